/*
 * <sched.h> for the hermitkv guest: sched_yield only. Threads are scheduled round robin with a
 * time slice of 4 ms (see <pthread.h>); sched_yield puts the caller at the back of the run queue
 * and returns 0 (at once when no other thread is runnable).
 */
#ifndef _HKV_SCHED_H
#define _HKV_SCHED_H

int sched_yield(void);

#endif
