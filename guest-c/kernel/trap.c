/*
 * Interrupt and exception dispatch. Device interrupts go to their drivers, then the running thread
 * may be preempted (sched.c); an interrupt runs on the stack of whichever thread it interrupted,
 * so a switch here simply leaves the rest of the return path on that thread's stack until it runs
 * again. A CPU exception is a bug in the guest: report it on the console and end the machine with
 * status 128 + vector (the way a shell reports a process killed by a signal), never hang or crash
 * the emulator.
 */
#include <stdio.h>
#include "defs.h"
#include "proc.h"
#include "trap.h"

static const char *const exception_names[32] = {
    "Divide Error", "Debug", "Non-Maskable Interrupt", "Breakpoint", "Overflow",
    "BOUND Range Exceeded", "Invalid Opcode", "Device Not Available", "Double Fault",
    "Coprocessor Segment Overrun", "Invalid TSS", "Segment Not Present", "Stack-Segment Fault",
    "General Protection", "Page Fault", "Reserved (15)", "x87 Floating-Point Error",
    "Alignment Check", "Machine Check", "SIMD Floating-Point Exception", "Virtualization",
    "Control Protection", "Reserved (22)", "Reserved (23)", "Reserved (24)", "Reserved (25)",
    "Reserved (26)", "Reserved (27)", "Hypervisor Injection", "VMM Communication",
    "Security Exception", "Reserved (31)",
};

static int in_fault; /* a fault while reporting a fault: skip the report, just exit */

static __attribute__((noreturn)) void fault(struct trapframe *tf)
{
    uint32_t cr2;
    if (in_fault++)
        hkv_exit(128 + (int)tf->trapno);
    /* A fault on a thread that ran off its stack is reported as the overflow it is. */
    uint32_t esp = (uint32_t)(uintptr_t)(&tf->eflags + 1);
    stack_check(cur, esp);
    /* Whatever the app printed comes first, then the report on stderr. */
    console_flush();
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    fprintf(stderr,
            "hermitkv: guest fault: %s (vector %u, error code 0x%x) in thread %u\n"
            "  eip 0x%08x  cs 0x%04x  eflags 0x%08x  cr2 0x%08x\n"
            "  eax 0x%08x  ebx 0x%08x  ecx 0x%08x  edx 0x%08x\n"
            "  esi 0x%08x  edi 0x%08x  ebp 0x%08x  esp 0x%08x\n"
            "  ds 0x%04x  es 0x%04x  fs 0x%04x  gs 0x%04x\n"
            "hermitkv: exiting with status %u\n",
            exception_names[tf->trapno], tf->trapno, tf->err, cur->id, tf->eip, tf->cs, tf->eflags, cr2,
            tf->eax, tf->ebx, tf->ecx, tf->edx, tf->esi, tf->edi, tf->ebp,
            esp, tf->ds, tf->es, tf->fs, tf->gs,
            128 + tf->trapno);
    hkv_exit(128 + (int)tf->trapno);
}

static void irq(int n, struct trapframe *tf)
{
    if (pic_spurious(n))
        return; /* no EOI for a spurious interrupt */
    switch (n) {
    case 0:
        pit_intr();
        sched_tick((uint32_t)(uintptr_t)(&tf->eflags + 1)); /* the interrupted esp */
        break;
    case 11:
        kv_intr();
        break;
    default:
        break; /* masked lines never get here; ignore anything else */
    }
    pic_eoi(n);
    /* After the EOI: the thread we may switch to must be able to take interrupts. */
    sched_preempt();
}

#define T_DEVICE_NA 7 /* #NM: an FPU instruction with CR0.TS set */

void trap(struct trapframe *tf)
{
    if (tf->trapno == T_DEVICE_NA) {
        fpu_trap(); /* lazy FPU switching (fpu.c), not a fault */
        return;
    }
    if (tf->trapno < T_IRQ0)
        fault(tf);
    irq((int)(tf->trapno - T_IRQ0), tf);
}
