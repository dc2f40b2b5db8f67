/*
 * <pthread.h> on top of the kernel's threads (kernel/proc.c), scheduler (kernel/sched.c) and
 * sleeping locks (kernel/sleeplock.c). A pthread_mutex_t is a struct sleeplock and a
 * pthread_cond_t a struct waitq, in the public layout that <pthread.h> spells out so that the
 * static initialisers work; the asserts below keep the two in step.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include "kernel/defs.h"
#include "kernel/proc.h"
#include "kernel/sleeplock.h"
#include "kernel/x86.h"

_Static_assert(sizeof(pthread_mutex_t) == sizeof(struct sleeplock), "mutex layout");
_Static_assert(offsetof(pthread_mutex_t, __locked) == offsetof(struct sleeplock, locked), "mutex");
_Static_assert(offsetof(pthread_mutex_t, __owner) == offsetof(struct sleeplock, owner), "mutex");
_Static_assert(offsetof(pthread_mutex_t, __head) == offsetof(struct sleeplock, waiters), "mutex");
_Static_assert(sizeof(pthread_cond_t) == sizeof(struct waitq), "cond layout");
_Static_assert(NTHREAD == PTHREAD_THREADS_MAX && STACK_MIN == PTHREAD_STACK_MIN, "limits");

static struct sleeplock *lk(pthread_mutex_t *m) { return (struct sleeplock *)(void *)m; }
static struct waitq *wq(pthread_cond_t *c) { return (struct waitq *)(void *)c; }

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    if (thread == 0 || start == 0)
        return EINVAL;
    size_t stack = attr && attr->__stacksize ? attr->__stacksize : STACK_DEFAULT;
    int detached = attr && attr->__detachstate == PTHREAD_CREATE_DETACHED;
    return thread_create(stack, start, arg, detached, thread);
}

int pthread_join(pthread_t thread, void **retval) { return thread_join(thread, retval); }
void pthread_exit(void *retval) { thread_exit(retval); }
pthread_t pthread_self(void) { return cur->id; }
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }
int pthread_detach(pthread_t thread) { return thread_detach(thread); }

int pthread_attr_init(pthread_attr_t *attr)
{
    attr->__stacksize = 0;
    attr->__detachstate = PTHREAD_CREATE_JOINABLE;
    return 0;
}

int pthread_attr_destroy(pthread_attr_t *attr) { (void)attr; return 0; }

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
    if (size < PTHREAD_STACK_MIN)
        return EINVAL;
    attr->__stacksize = size;
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *attr, size_t *size)
{
    *size = attr->__stacksize ? attr->__stacksize : STACK_DEFAULT;
    return 0;
}

int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
    if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)
        return EINVAL;
    attr->__detachstate = state;
    return 0;
}

int pthread_attr_getdetachstate(const pthread_attr_t *attr, int *state)
{
    *state = attr->__detachstate;
    return 0;
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    (void)attr;
    *m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m) { return lk(m)->locked ? EBUSY : 0; }

int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (sleeplock_holding(lk(m)))
        return EDEADLK;
    sleeplock_acquire(lk(m));
    return 0;
}

int pthread_mutex_trylock(pthread_mutex_t *m) { return sleeplock_try(lk(m)) ? 0 : EBUSY; }

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (!sleeplock_holding(lk(m)))
        return EPERM;
    sleeplock_release(lk(m));
    return 0;
}

int pthread_mutexattr_init(pthread_mutexattr_t *attr) { attr->__unused = 0; return 0; }
int pthread_mutexattr_destroy(pthread_mutexattr_t *attr) { (void)attr; return 0; }

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    (void)attr;
    *c = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
    return 0;
}

int pthread_cond_destroy(pthread_cond_t *c) { return wq(c)->head ? EBUSY : 0; }

/*
 * Releasing the mutex and going to sleep on the condition happen with interrupts off, as one
 * step: a signal sent by anyone after the release (they need the mutex, or at least run after
 * it is released) finds this thread already on the queue.
 */
static int wait(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline)
{
    if (!sleeplock_holding(lk(m)))
        return EPERM;
    uint32_t f = irq_save();
    sleeplock_release_locked(lk(m));
    int timed_out = thread_sleep(wq(c), deadline);
    irq_restore(f);
    sleeplock_acquire(lk(m));
    return timed_out ? ETIMEDOUT : 0;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { return wait(c, m, 0); }

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
    if (abstime == 0 || abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L)
        return EINVAL;
    uint64_t deadline = time_tsc_of(abstime->tv_sec, abstime->tv_nsec);
    if (rdtsc() >= deadline)
        return sleeplock_holding(lk(m)) ? ETIMEDOUT : EPERM;
    return wait(c, m, deadline);
}

int pthread_cond_signal(pthread_cond_t *c)
{
    uint32_t f = irq_save();
    waitq_wake_one(wq(c));
    irq_restore(f);
    return 0;
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    uint32_t f = irq_save();
    waitq_wake_all(wq(c));
    irq_restore(f);
    return 0;
}

int pthread_condattr_init(pthread_condattr_t *attr) { attr->__unused = 0; return 0; }
int pthread_condattr_destroy(pthread_condattr_t *attr) { (void)attr; return 0; }
