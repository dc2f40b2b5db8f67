/*
 * The thread table: creating, ending and joining threads, their stacks, and stack overflow checks.
 * The scheduler is sched.c; the locking rule (interrupts off) is in proc.h.
 *
 * main runs as thread 1 on a stack of its own; the boot context becomes the idle thread (id 0).
 * When main returns, exit() ends the app whatever the other threads are doing, as in C. When the
 * last thread ends with pthread_exit (main included), the app exits with status 0.
 *
 * Stack overflow, two defences, both ending the app with "stack overflow in thread N" and status
 * 139 (128 + SIGSEGV):
 *  - a guard page: the page below every stack is unmapped (vm.c), so the first write past the
 *    bottom faults at once, before anything below is damaged. This is the one that matters: a
 *    runaway recursion writes megabytes between two timer ticks (measured: it wrecked the kernel
 *    and panicked the emulator when only the canary guarded it);
 *  - a canary: the lowest STACK_CANARY bytes of the stack hold a pattern, checked together with
 *    the stack pointer whenever the thread leaves the CPU, at every timer tick that interrupts
 *    it, and when it ends. It catches what the guard page cannot see: a frame bigger than a page
 *    that jumps over the guard page and writes below it (the canary is damaged or esp is below
 *    it), reported before any other thread runs on the damaged memory.
 * A frame that jumps over both without touching either and returns before the next check goes
 * unseen: keep buffers bigger than 4 KiB off small stacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "defs.h"
#include "proc.h"
#include "x86.h"

#define CANARY_WORD 0x57AC4CA9u
#define BOOT_STACK_SIZE 65536 /* boot.S */

extern char boot_stack_bottom[]; /* boot.S */

struct thread threads[NTHREAD];
static struct thread idle_thread;
static uint32_t next_id = 1;
static int nlive; /* threads not yet ended, idle excluded */

static void canary_fill(char *stack)
{
    uint32_t *w = (uint32_t *)stack;
    for (size_t i = 0; i < STACK_CANARY / 4; i++)
        w[i] = CANARY_WORD;
}

static int canary_intact(const struct thread *t)
{
    const volatile uint32_t *w = (const uint32_t *)t->stack;
    for (size_t i = 0; i < STACK_CANARY / 4; i++)
        if (w[i] != CANARY_WORD)
            return 0;
    return 1;
}

/* A stack of its own for the report: the overflowed one may sit on someone else's memory. */
static char report_stack[4096] __attribute__((aligned(16)));
static struct {
    uint32_t id, lo, hi, esp;
} overflow;

static __attribute__((noreturn, used)) void overflow_report(void)
{
    static char msg[200];
    int n = snprintf(msg, sizeof msg,
                     "hermitkv: stack overflow in thread %u (stack 0x%08x-0x%08x, esp 0x%08x): "
                     "exiting with status 139\n", overflow.id, overflow.lo, overflow.hi, overflow.esp);
    console_flush();
    console_write(2, msg, (size_t)n);
    hkv_exit(139);
}

/* Interrupts off. esp: the thread's stack pointer now (or where it was interrupted). */
void stack_check(struct thread *t, uint32_t esp)
{
    uint32_t lo = (uint32_t)(uintptr_t)t->stack, hi = lo + (uint32_t)t->stack_size;
    if (t->stack == 0 || (esp >= lo + STACK_CANARY && esp <= hi && canary_intact(t)))
        return;
    overflow.id = t->id;
    overflow.lo = lo;
    overflow.hi = hi;
    overflow.esp = esp;
    __asm__ volatile("movl %0, %%esp; call overflow_report"
                     : : "r"(report_stack + sizeof report_stack) : "memory");
    __builtin_unreachable();
}

void proc_init(void)
{
    struct thread *t = &idle_thread;
    t->id = 0;
    t->state = T_RUNNING;
    t->stack = boot_stack_bottom;
    t->stack_size = BOOT_STACK_SIZE;
    canary_fill(t->stack); /* boot.S started at the top: the bottom is untouched */
    sched_init(t);
}

int proc_live(void)
{
    return nlive;
}

/* A new thread's first instructions: swtch "returns" here, with interrupts still off. */
static void thread_start(void)
{
    sti();
    thread_exit(cur->fn(cur->arg));
}

/* The stack's pages and its guard page below it go back to the page allocator. */
static void stack_free(struct thread *t)
{
    char *guard = t->stack - PGSIZE;
    vm_guard(guard, 0);
    kfree_pages(guard, (size_t)t->stack_pages);
    t->stack = 0;
}

/* Interrupts off. A free slot, reclaiming detached threads that have ended. */
static struct thread *slot_alloc(void)
{
    for (int i = 0; i < NTHREAD; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_ZOMBIE && t->detached) {
            stack_free(t);
            t->state = T_UNUSED;
        }
        if (t->state == T_UNUSED)
            return t;
    }
    return 0;
}

/* Returns 0 and the id, or EAGAIN (no slot) or ENOMEM (no stack) as pthread_create does. */
int thread_create(size_t stack_size, void *(*fn)(void *), void *arg, int detached, uint32_t *id)
{
    if (stack_size < STACK_MIN)
        stack_size = STACK_MIN;
    size_t pages = (stack_size + PGSIZE - 1) / PGSIZE;
    char *guard = kalloc_pages(pages + 1), *stack = guard + PGSIZE;
    if (guard == 0)
        return 12; /* ENOMEM */
    canary_fill(stack);
    vm_guard(guard, 1);
    uint32_t f = irq_save();
    struct thread *t = slot_alloc();
    if (t == 0) {
        irq_restore(f);
        vm_guard(guard, 0);
        kfree_pages(guard, pages + 1);
        return 11; /* EAGAIN */
    }
    memset(t, 0, sizeof *t);
    t->id = next_id++;
    t->stack = stack;
    t->stack_size = pages * PGSIZE;
    t->stack_pages = (int)pages + 1;
    t->fn = fn;
    t->arg = arg;
    t->detached = detached;
    /*
     * The stack as swtch expects it: four callee-saved registers, then the address to return to
     * (thread_start), then a null return address for thread_start itself, placed so that
     * thread_start is entered with the 16-byte alignment the i386 ABI promises a function.
     */
    uint32_t *sp = (uint32_t *)(stack + t->stack_size);
    *--sp = 0;
    *--sp = (uint32_t)(uintptr_t)thread_start;
    for (int i = 0; i < 4; i++)
        *--sp = 0; /* ebp, ebx, esi, edi */
    t->esp = (uint32_t)(uintptr_t)sp;
    nlive++;
    if (id)
        *id = t->id;
    make_runnable(t);
    irq_restore(f);
    return 0;
}

void thread_exit(void *retval)
{
    stdio_flush_thread(); /* a last partial line is still this thread's output */
    cli();
    stack_check(cur, read_esp());
    cur->retval = retval;
    cur->state = T_ZOMBIE;
    fpu_forget(cur);
    if (--nlive == 0)
        exit(0); /* the last thread ended: the app is done */
    waitq_wake_all(&cur->joiners);
    sched();
    for (;;) /* a zombie is never chosen again */
        ;
}

static struct thread *lookup(uint32_t id)
{
    for (int i = 0; i < NTHREAD; i++)
        if (threads[i].state != T_UNUSED && threads[i].id == id)
            return &threads[i];
    return 0;
}

/* 0, or ESRCH (no such thread), EDEADLK (itself), EINVAL (detached or already being joined). */
int thread_join(uint32_t id, void **retval)
{
    uint32_t f = irq_save();
    struct thread *t = lookup(id);
    int err = t == 0 ? 3 : t == cur ? 35 : t->detached || t->joining ? 22 : 0;
    if (err) {
        irq_restore(f);
        return err;
    }
    t->joining = 1;
    while (t->state != T_ZOMBIE)
        thread_sleep(&t->joiners, 0);
    /* It has left the CPU for good inside thread_exit: its stack is free to go. */
    if (retval)
        *retval = t->retval;
    stack_free(t);
    t->state = T_UNUSED;
    irq_restore(f);
    return 0;
}

int thread_detach(uint32_t id)
{
    uint32_t f = irq_save();
    struct thread *t = lookup(id);
    int err = t == 0 ? 3 : t->detached || t->joining ? 22 : 0;
    if (err == 0)
        t->detached = 1; /* reclaimed by the next thread_create that needs a slot */
    irq_restore(f);
    return err;
}

static int main_argc;
static char **main_argv;

static void *run_main(void *unused)
{
    (void)unused;
    int main(int argc, char **argv); /* the app's */
    exit(main(main_argc, main_argv));
}

/* Start main as thread 1 and turn the boot context into the idle thread. */
void proc_run_main(int argc, char **argv)
{
    main_argc = argc;
    main_argv = argv;
    if (thread_create(STACK_MAIN, run_main, 0, 0, 0) != 0) {
        fprintf(stderr, "hermitkv: no memory for main's stack\n");
        hkv_exit(127);
    }
    idle_loop();
}

/* The running thread's buffer for fd 1 or 2 (libc/stdio.c). */
struct linebuf *thread_linebuf(int fd)
{
    return fd == 2 ? &cur->err : &cur->out;
}

/* Every thread's buffers, idle first then by slot: exit and fault reports lose nothing. */
void proc_flush_output(void (*flush)(int fd, struct linebuf *b))
{
    flush(1, &idle_thread.out);
    flush(2, &idle_thread.err);
    for (int i = 0; i < NTHREAD; i++) {
        flush(1, &threads[i].out);
        flush(2, &threads[i].err);
    }
}
