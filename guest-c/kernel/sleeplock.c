/*
 * Sleeping locks (see sleeplock.h). The lock word and the queue are protected by disabling
 * interrupts for a few instructions; the waiting itself happens asleep, with interrupts on for
 * everyone else. Checking `locked` and going to sleep happen in one interrupts-off section, and
 * release hands the lock over before waking the new owner, so a wake-up cannot be lost and a
 * woken waiter never finds the lock taken again.
 */
#include "defs.h"
#include "proc.h"
#include "sleeplock.h"
#include "x86.h"

void sleeplock_acquire(struct sleeplock *lk)
{
    uint32_t f = irq_save();
    if (!lk->locked) {
        lk->locked = 1;
        lk->owner = cur;
    } else {
        while (lk->owner != cur) /* handed over by release */
            thread_sleep(&lk->waiters, 0);
    }
    irq_restore(f);
}

int sleeplock_try(struct sleeplock *lk)
{
    uint32_t f = irq_save();
    int got = !lk->locked;
    if (got) {
        lk->locked = 1;
        lk->owner = cur;
    }
    irq_restore(f);
    return got;
}

void sleeplock_release_locked(struct sleeplock *lk)
{
    struct thread *next = waitq_pop(&lk->waiters);
    if (next) {
        lk->owner = next; /* still locked: it is next's now */
        next->waitq = 0;
        thread_wake(next);
    } else {
        lk->locked = 0;
        lk->owner = 0;
    }
}

void sleeplock_release(struct sleeplock *lk)
{
    uint32_t f = irq_save();
    sleeplock_release_locked(lk);
    irq_restore(f);
}

int sleeplock_holding(struct sleeplock *lk)
{
    uint32_t f = irq_save();
    int r = lk->locked && lk->owner == cur;
    irq_restore(f);
    return r;
}
