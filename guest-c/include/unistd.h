/*
 * <unistd.h> for the hermitkv guest: sleeping only.
 *
 * usleep and sleep put the calling thread to sleep (other threads run; an idle CPU halts). The
 * sleep ends at the first timer tick (1 ms period) at or after the requested time, so it lasts
 * at least as long as asked and usually less than 1-2 ms more. usleep(0) yields. Both return 0
 * (sleep: 0 seconds left). Nothing interrupts a sleep: there are no signals.
 */
#ifndef _HKV_UNISTD_H
#define _HKV_UNISTD_H

typedef unsigned int useconds_t;

int usleep(useconds_t usec);
unsigned int sleep(unsigned int seconds);

#endif
