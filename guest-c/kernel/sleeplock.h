/*
 * A lock whose waiters sleep instead of spinning (xv6's sleeplock): for critical sections that
 * may be long or may themselves sleep, where disabling interrupts would not do. Waiters queue in
 * FIFO order and release hands the lock straight to the first of them, so nobody starves.
 * pthread_mutex_t is one of these (libc/pthread.c). Zero-initialised is unlocked.
 */
#ifndef HKV_SLEEPLOCK_H
#define HKV_SLEEPLOCK_H

#include "proc.h"

struct sleeplock {
    int locked;
    struct thread *owner;
    struct waitq waiters;
};

void sleeplock_acquire(struct sleeplock *lk);
int sleeplock_try(struct sleeplock *lk);              /* 1: acquired */
void sleeplock_release(struct sleeplock *lk);
void sleeplock_release_locked(struct sleeplock *lk); /* the same, interrupts already off */
int sleeplock_holding(struct sleeplock *lk);

#endif
