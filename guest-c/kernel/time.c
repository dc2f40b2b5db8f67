/*
 * clock_gettime(CLOCK_MONOTONIC) from the TSC. v86 runs the TSC at about 1 GHz of wall-clock time
 * but that is not architectural, so time_init measures it against the PIT's channel 2 stopwatch,
 * whose count v86 derives from the host's clock. Counting timer interrupts instead would be wrong
 * on a busy host: v86 merges overdue ticks into one, so ticks undercount. The CPU halts between
 * samples (woken by the timer tick); samples must come less than one stopwatch wrap (~55 ms) apart.
 */
#include <stdint.h>
#include <time.h>
#include "defs.h"
#include "x86.h"

#define CALIBRATE_COUNTS (PIT_INPUT_HZ / 50) /* 20 ms */
#define NSEC_PER_SEC 1000000000ULL
#define TIGHT_CYCLES 20000 /* a PIT read normally takes a few microseconds */

static uint64_t tsc_boot;
static uint64_t tsc_hz;

/* Sleep (hlt, never spin) until the next interrupt of any kind. */
static void sleep_a_little(void)
{
    uint32_t f = irq_save();
    sti_hlt();
    irq_restore(f);
}

/*
 * One (TSC, stopwatch) pair. The emulator may pause between the two reads (a slice boundary,
 * a busy host), which would skew the pair; bracket the PIT read with two TSC reads and retry
 * until they are close, then take their midpoint.
 */
static uint16_t sample(uint64_t *tsc)
{
    uint64_t best = UINT64_MAX;
    uint16_t v = 0;
    for (int i = 0; i < 20 && best > TIGHT_CYCLES; i++) {
        uint64_t a = rdtsc();
        uint16_t p = pit_stopwatch_read();
        uint64_t b = rdtsc();
        if (b - a < best) {
            best = b - a;
            v = p;
            *tsc = a + (b - a) / 2;
        }
    }
    return v;
}

/* Needs the PIT running and interrupts enabled. */
void time_init(void)
{
    pit_stopwatch_start();
    uint64_t t0, t1;
    uint16_t prev = sample(&t0);
    uint32_t counts = 0;
    while (counts < CALIBRATE_COUNTS) {
        sleep_a_little();
        uint16_t now = sample(&t1);
        /* Counts down and wraps from 0 to PERIOD - 1. */
        counts += prev >= now ? (uint32_t)(prev - now) : (uint32_t)prev + PIT_STOPWATCH_PERIOD - now;
        prev = now;
    }
    tsc_hz = (t1 - t0) * PIT_INPUT_HZ / counts;
    if (tsc_hz == 0)
        tsc_hz = NSEC_PER_SEC; /* a TSC that does not move: keep the arithmetic defined */
    tsc_boot = t0;
}

uint64_t time_tsc_hz(void)
{
    return tsc_hz;
}

int clock_gettime(clockid_t clock, struct timespec *ts)
{
    if (clock != CLOCK_MONOTONIC || ts == 0)
        return -1;
    uint64_t d = rdtsc() - tsc_boot;
    /* Split before scaling: d * 1e9 would overflow 64 bits after ~18 s at 1 GHz. */
    uint64_t sec = d / tsc_hz;
    uint64_t rem = d % tsc_hz;
    ts->tv_sec = (time_t)sec;
    ts->tv_nsec = (long)(rem * NSEC_PER_SEC / tsc_hz);
    return 0;
}

/* ns of CLOCK_MONOTONIC time as TSC cycles (for deadlines). Split to keep 64 bits enough. */
uint64_t time_ns_to_tsc(uint64_t ns)
{
    return ns / NSEC_PER_SEC * tsc_hz + ns % NSEC_PER_SEC * tsc_hz / NSEC_PER_SEC;
}

/* The TSC value at CLOCK_MONOTONIC time (sec, nsec); times before boot are boot itself. */
uint64_t time_tsc_of(long long sec, long nsec)
{
    if (sec < 0)
        return tsc_boot;
    return tsc_boot + (uint64_t)sec * tsc_hz + time_ns_to_tsc((uint64_t)(nsec < 0 ? 0 : nsec));
}
