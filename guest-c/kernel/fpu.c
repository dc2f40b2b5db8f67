/*
 * Each thread's x87 FPU state, switched lazily. Saving and restoring 108 bytes of x87 state at
 * every context switch costs about 10 µs under v86 (measured), while most threads here never
 * touch the FPU (KV calls, integer work) and the others rarely. So the FPU keeps the state of its
 * last user (fpu_owner), and a switch to any other thread only sets CR0.TS; that thread's first
 * FPU instruction then raises #NM (vector 7), and only then is the owner's state saved and the
 * new thread's restored (or initialised, on its first use). Threads that never use the FPU never
 * pay for it. All of this runs with interrupts off (sched and the trap), like the scheduler.
 */
#include "defs.h"
#include "proc.h"
#include "x86.h"

#define CR0_TS 0x8

static struct thread *fpu_owner; /* whose state is in the FPU registers; 0: nobody's */
static int ts_set;               /* mirrors CR0.TS, so that a switch rarely writes CR0 */

static void set_ts(int on)
{
    if (on == ts_set)
        return;
    uint32_t cr0;
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
    cr0 = on ? cr0 | CR0_TS : cr0 & ~CR0_TS;
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr0) : "memory");
    ts_set = on;
}

/* sched(): next is about to run. */
void fpu_switch(struct thread *next)
{
    set_ts(next != fpu_owner);
}

/* #NM: the running thread used the FPU while another thread's state is in it. */
void fpu_trap(void)
{
    set_ts(0);
    if (fpu_owner == cur)
        return;
    if (fpu_owner)
        fnsave(fpu_owner->fpu);
    if (cur->fpu_valid) {
        frstor(cur->fpu);
    } else {
        fninit(); /* its first FPU instruction: a clean FPU, as at boot */
        cur->fpu_valid = 1;
    }
    fpu_owner = cur;
}

/* A thread has ended: its state is nobody's to keep. */
void fpu_forget(struct thread *t)
{
    if (fpu_owner == t)
        fpu_owner = 0;
}
