/*
 * <pthread.h> for the hermitkv guest: kernel threads on one CPU, preemptive round robin.
 *
 * Model: every thread is a kernel thread of the unikernel, all in one address space. main runs
 * as the first thread (id 1). They are scheduled round robin with a 4 ms time slice (a 1000 Hz
 * timer tick); a thread that blocks (mutex, condition variable, join, sleep, a KV call) sleeps
 * and costs no CPU, and when every thread is blocked the CPU halts. Returning from main, or
 * exit() from any thread, ends the app with that status and kills the other threads; when the
 * last thread ends with pthread_exit (main included) the app exits with status 0. When every
 * thread is blocked with nothing left that could wake one (no timed sleep, no KV request in
 * flight) the kernel reports a deadlock and exits with status 134.
 *
 * Provided: pthread_create, pthread_join, pthread_exit, pthread_self, pthread_equal,
 * pthread_detach; pthread_attr_init/destroy/setstacksize/getstacksize/setdetachstate/
 * getdetachstate; pthread_mutex_init/destroy/lock/trylock/unlock and PTHREAD_MUTEX_INITIALIZER;
 * pthread_mutexattr_init/destroy; pthread_cond_init/destroy/wait/timedwait/signal/broadcast and
 * PTHREAD_COND_INITIALIZER; pthread_condattr_init/destroy. Also sched_yield (<sched.h>) and
 * usleep/sleep (<unistd.h>). Functions return 0 or an error number from <errno.h>.
 * Not provided: cancellation, thread-specific data (keys), pthread_once, rwlocks, barriers,
 * spinlocks, mutex types and attributes beyond the default, priorities, signals, errno.
 *
 * Limits: at most 256 threads at once (main included; EAGAIN beyond). Stacks: 64 KiB unless
 * pthread_attr_setstacksize says otherwise (rounded up to 4 KiB pages, at least 16 KiB); main
 * has 256 KiB. A joinable thread's stack is freed when it is joined, a detached thread's when
 * its slot is reused. Thread ids are never reused.
 *
 * Stack overflow: the lowest 256 bytes of every stack are a canary, checked (with the stack
 * pointer) whenever the thread leaves the CPU, at every timer tick that interrupts it, and when
 * it ends. An overflow ends the app with "hermitkv: stack overflow in thread N" and status 139.
 * A function whose frame jumps over the canary without touching it can go unnoticed: keep big
 * buffers off small stacks.
 *
 * Mutexes sleep while they wait (no spinning), are FIFO and are handed straight to the next
 * waiter on unlock. Locking a mutex the caller holds returns EDEADLK, unlocking one it does not
 * hold returns EPERM, destroying a locked one returns EBUSY. Condition variables: waiters wake in
 * FIFO order; pthread_cond_timedwait's abstime is measured on CLOCK_MONOTONIC (<time.h>; as if
 * set with pthread_condattr_setclock) and it returns ETIMEDOUT when that time passes (timeouts
 * have the timer tick's 1 ms resolution). As POSIX allows, a wait may return spuriously.
 */
#ifndef _HKV_PTHREAD_H
#define _HKV_PTHREAD_H

#include <stddef.h>
#include <time.h>

typedef unsigned int pthread_t;

typedef struct {
    size_t __stacksize; /* 0: the default */
    int __detachstate;
} pthread_attr_t;

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_STACK_MIN 16384
#define PTHREAD_THREADS_MAX 256

/* The layouts are the kernel's (kernel/sleeplock.h, kernel/proc.h); checked in libc/pthread.c. */
typedef struct {
    int __locked;
    void *__owner;
    void *__head, *__tail;
} pthread_mutex_t;
typedef struct {
    int __unused;
} pthread_mutexattr_t;
#define PTHREAD_MUTEX_INITIALIZER {0, 0, 0, 0}

typedef struct {
    void *__head, *__tail;
} pthread_cond_t;
typedef struct {
    int __unused;
} pthread_condattr_t;
#define PTHREAD_COND_INITIALIZER {0, 0}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg);
int pthread_join(pthread_t thread, void **retval);
__attribute__((noreturn)) void pthread_exit(void *retval);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);
int pthread_detach(pthread_t thread);

int pthread_attr_init(pthread_attr_t *attr);
int pthread_attr_destroy(pthread_attr_t *attr);
int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size);
int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size);
int pthread_attr_setdetachstate(pthread_attr_t *attr, int state);
int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state);

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr);
int pthread_mutex_destroy(pthread_mutex_t *m);
int pthread_mutex_lock(pthread_mutex_t *m);
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);
int pthread_mutexattr_init(pthread_mutexattr_t *attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t *attr);

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr);
int pthread_cond_destroy(pthread_cond_t *c);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);
int pthread_condattr_init(pthread_condattr_t *attr);
int pthread_condattr_destroy(pthread_condattr_t *attr);

#endif
