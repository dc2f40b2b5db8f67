/*
 * Threads: the thread table (proc.c) and the scheduler with its sleep/wake-up primitives
 * (sched.c).
 *
 * One CPU, so the lock that protects everything in this header is "interrupts off": the only
 * other party that can run in the middle of a kernel function is an interrupt handler, and with
 * IF clear none can. Every function below that says "interrupts off" must be called that way;
 * the sleep primitives return with interrupts still off, which is what makes "check a condition,
 * then sleep" atomic with respect to the interrupt handler that makes it true (no lost wake-up).
 */
#ifndef HKV_PROC_H
#define HKV_PROC_H

#include <stddef.h>
#include <stdint.h>
#include "x86.h"

#define NTHREAD 256                 /* threads at once, main included, the idle thread not */
#define STACK_DEFAULT (64 * 1024)   /* pthread_create without a stack size */
#define STACK_MAIN (256 * 1024)     /* main's: apps put big buffers on it */
#define STACK_MIN (16 * 1024)
#define STACK_CANARY 256            /* bytes at the bottom of every stack, checked at switches */
#define SLICE_TICKS 4               /* time slice: 4 timer ticks (4 ms at PIT_HZ 1000) */
#define LINEBUF 1024

enum tstate { T_UNUSED, T_RUNNABLE, T_RUNNING, T_SLEEPING, T_ZOMBIE };

/* A FIFO of sleeping threads (linked through thread.next). Zero-initialised is empty. */
struct waitq {
    struct thread *head, *tail;
};

/* A thread's own output buffer for one stream (libc/stdio.c). */
struct linebuf {
    size_t n;
    char buf[LINEBUF];
};

struct thread {
    uint32_t esp;            /* saved by swtch while the thread is not running */
    uint32_t id;             /* pthread_t; never reused; 0 is the idle thread, 1 is main */
    enum tstate state;
    char *stack;             /* [stack, stack + stack_size); the canary is at stack */
    size_t stack_size;
    int stack_pages;         /* kalloc'd pages from stack - PGSIZE (the guard page) on */
    struct thread *next;     /* on the run queue or on one wait queue */
    struct waitq *waitq;     /* the wait queue it sleeps on, if any */
    uint64_t deadline;       /* TSC time at which a sleep ends by itself; 0: none */
    int timed_out;
    uint32_t slice;          /* timer ticks since it was last given the CPU */
    void *(*fn)(void *);
    void *arg;
    void *retval;
    int detached, joining;
    struct waitq joiners;
    struct linebuf out, err; /* stdout and stderr, one each so lines never interleave */
    int fpu_valid;           /* fpu holds its state (it has used the FPU) */
    _Alignas(16) uint8_t fpu[FPU_STATE_SIZE];
};

extern struct thread threads[NTHREAD];
extern struct thread *cur; /* the running thread */

/* proc.c */
void proc_init(void);
__attribute__((noreturn)) void proc_run_main(int argc, char **argv);
int thread_create(size_t stack_size, void *(*fn)(void *), void *arg, int detached, uint32_t *id);
__attribute__((noreturn)) void thread_exit(void *retval);
int thread_join(uint32_t id, void **retval);
int thread_detach(uint32_t id);
int proc_live(void);
void stack_check(struct thread *t, uint32_t esp); /* interrupts off; exits on overflow */
struct linebuf *thread_linebuf(int fd);
void proc_flush_output(void (*flush)(int fd, struct linebuf *b));

/* sched.c */
void sched_init(struct thread *idle);
int thread_sleep(struct waitq *q, uint64_t deadline); /* interrupts off; 1: timed out */
void thread_wake(struct thread *t);                    /* interrupts off */
struct thread *waitq_wake_one(struct waitq *q);        /* interrupts off */
void waitq_wake_all(struct waitq *q);                  /* interrupts off */
struct thread *waitq_pop(struct waitq *q);             /* interrupts off */
void make_runnable(struct thread *t);                  /* interrupts off */
void sched(void);                                      /* interrupts off */
void yield(void);
void sched_tick(uint32_t esp);
void sched_preempt(void);
__attribute__((noreturn)) void idle_loop(void);

/* fpu.c */
void fpu_switch(struct thread *next);
void fpu_trap(void);
void fpu_forget(struct thread *t);

/* swtch.S */
void swtch(uint32_t *old_esp, uint32_t new_esp);

#endif
