/*
 * The scheduler: round robin over one FIFO run queue, preemptive on the timer tick, with sleep and
 * wake-up on wait queues and optional deadlines.
 *
 * Everything here runs with interrupts off (see proc.h): on one CPU that is the whole lock.
 * A thread gives up the CPU only inside sched(), which it enters with its own state already set:
 * RUNNABLE and queued (yield), SLEEPING (thread_sleep) or ZOMBIE (thread_exit). When no thread is
 * runnable the idle thread runs and waits in `sti; hlt`: the emulator then idles, and a device
 * interrupt wakes it at once (a busy-waiting guest would make every completion ~1 ms late).
 *
 * Preemption: the timer tick counts the running thread's ticks and, once it has had SLICE_TICKS
 * and someone else is waiting to run, asks trap() to yield on the way out of the interrupt (after
 * the EOI, so the 8259 keeps delivering interrupts to the next thread). A thread woken by a device
 * does not preempt a running thread; it waits its turn, except that the idle thread gives way
 * at once.
 *
 * FPU: each thread has its own x87 state, so printf's %f in one thread cannot disturb a
 * computation in another; it is switched lazily, on first use after a switch (fpu.c).
 */
#include <stdio.h>
#include "defs.h"
#include "proc.h"
#include "x86.h"

struct thread *cur;
static struct thread *idle;
static struct waitq runq;
static int need_resched;
static int ntimed; /* sleeping threads with a deadline: the tick scans only when there are some */

void sched_init(struct thread *t)
{
    idle = t;
    cur = t;
}

static void waitq_push(struct waitq *q, struct thread *t)
{
    t->next = 0;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

struct thread *waitq_pop(struct waitq *q)
{
    struct thread *t = q->head;
    if (t) {
        q->head = t->next;
        if (q->head == 0)
            q->tail = 0;
        t->next = 0;
    }
    return t;
}

/* Only a timed-out sleeper leaves a queue from the middle: rare enough for a linear walk. */
static void waitq_remove(struct waitq *q, struct thread *t)
{
    struct thread *prev = 0;
    for (struct thread *p = q->head; p; prev = p, p = p->next) {
        if (p != t)
            continue;
        if (prev)
            prev->next = p->next;
        else
            q->head = p->next;
        if (q->tail == p)
            q->tail = prev;
        p->next = 0;
        return;
    }
}

void make_runnable(struct thread *t)
{
    t->state = T_RUNNABLE;
    waitq_push(&runq, t);
    if (cur == idle)
        need_resched = 1;
}

/*
 * Give the CPU to the next runnable thread (or to the idle thread). Returns when the caller is
 * chosen again, in the caller's own context: its stack, registers and FPU state.
 */
void sched(void)
{
    struct thread *prev = cur;
    struct thread *next = waitq_pop(&runq);
    if (next == 0)
        next = idle;
    need_resched = 0;
    if (next == prev) {
        if (prev != idle)
            prev->state = T_RUNNING;
        return;
    }
    /* Before anyone else runs: a thread that overflowed its stack may have written into theirs. */
    stack_check(prev, read_esp());
    fpu_switch(next);
    next->state = T_RUNNING;
    next->slice = 0;
    cur = next;
    swtch(&prev->esp, next->esp);
    /* Back on the CPU (cur == prev again). A new thread starts in thread_start instead. */
}

/* Interrupts off. Sleep on q (if any) until woken or until the TSC passes deadline (if not 0). */
int thread_sleep(struct waitq *q, uint64_t deadline)
{
    cur->state = T_SLEEPING;
    cur->waitq = q;
    cur->timed_out = 0;
    if (q)
        waitq_push(q, cur);
    if (deadline) {
        cur->deadline = deadline;
        ntimed++;
    }
    sched();
    return cur->timed_out;
}

/* Interrupts off. Make a sleeping thread runnable; any other thread is left alone. */
void thread_wake(struct thread *t)
{
    if (t == 0 || t->state != T_SLEEPING)
        return;
    if (t->waitq)
        waitq_remove(t->waitq, t);
    t->waitq = 0;
    if (t->deadline) {
        t->deadline = 0;
        ntimed--;
    }
    make_runnable(t);
}

struct thread *waitq_wake_one(struct waitq *q)
{
    struct thread *t = waitq_pop(q);
    if (t) {
        t->waitq = 0; /* already off the queue */
        thread_wake(t);
    }
    return t;
}

void waitq_wake_all(struct waitq *q)
{
    while (waitq_wake_one(q))
        ;
}

void yield(void)
{
    uint32_t f = irq_save();
    if (cur != idle) {
        cur->state = T_RUNNABLE;
        waitq_push(&runq, cur);
    }
    sched();
    irq_restore(f);
}

/* The timer interrupt (interrupts off): deadlines, the running thread's stack, its time slice. */
void sched_tick(uint32_t esp)
{
    stack_check(cur, esp);
    if (ntimed > 0) {
        uint64_t now = rdtsc();
        for (int i = 0; i < NTHREAD; i++) {
            struct thread *t = &threads[i];
            if (t->state == T_SLEEPING && t->deadline && now >= t->deadline) {
                t->timed_out = 1;
                thread_wake(t);
            }
        }
    }
    if (cur != idle && ++cur->slice >= SLICE_TICKS && runq.head)
        need_resched = 1;
}

/* At the end of every interrupt, after the EOI. */
void sched_preempt(void)
{
    if (need_resched)
        yield();
}

/*
 * Nothing can wake a thread any more when none is runnable, none sleeps with a deadline and no
 * KV request is in flight: the only wake-up sources are other threads, the timer and the device.
 */
static void deadlock_check(void)
{
    if (ntimed > 0 || kv_inflight() > 0 || proc_live() == 0)
        return;
    console_flush();
    fprintf(stderr, "hermitkv: deadlock: all %d threads are blocked (mutex, condition variable "
                    "or join) and nothing can wake them\n", proc_live());
    hkv_exit(134);
}

/* The boot context becomes the idle thread: it runs only when no other thread can. */
void idle_loop(void)
{
    cli();
    for (;;) {
        if (runq.head) {
            sched();
            continue;
        }
        deadlock_check();
        sti_hlt(); /* sti takes effect after hlt starts: a wake-up cannot slip in between */
        cli();
    }
}
