/*
 * <unistd.h> usleep and sleep, and <sched.h> sched_yield: giving up the CPU for a while. A timed
 * sleep ends at the first timer tick past its deadline (sched.c checks deadlines every tick); the
 * deadline is in TSC time, which keeps counting even when the emulator delivers ticks late.
 */
#include <sched.h>
#include <unistd.h>
#include "kernel/defs.h"
#include "kernel/proc.h"
#include "kernel/x86.h"

int sched_yield(void)
{
    yield();
    return 0;
}

static void sleep_ns(uint64_t ns)
{
    uint64_t deadline = rdtsc() + time_ns_to_tsc(ns);
    uint32_t f = irq_save();
    while (rdtsc() < deadline)
        thread_sleep(0, deadline);
    irq_restore(f);
}

int usleep(useconds_t usec)
{
    if (usec == 0)
        yield();
    else
        sleep_ns((uint64_t)usec * 1000);
    return 0;
}

unsigned int sleep(unsigned int seconds)
{
    sleep_ns((uint64_t)seconds * 1000000000ULL);
    return 0;
}
