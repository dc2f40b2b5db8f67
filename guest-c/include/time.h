/*
 * <time.h> for the hermitkv guest: clock_gettime only.
 *
 * CLOCK_MONOTONIC counts from boot; it reads the TSC, whose rate is calibrated against the PIT
 * while the kernel boots (v86 runs the TSC at about 1 GHz). Resolution: about 1 ns; accuracy:
 * that of the calibration (measured within 0.05% under v86). Any other clock id fails with -1.
 * time_t is 64 bits.
 */
#ifndef _HKV_TIME_H
#define _HKV_TIME_H

typedef long long time_t;
typedef int clockid_t;

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

#define CLOCK_MONOTONIC 1

int clock_gettime(clockid_t clock, struct timespec *ts);

#endif
