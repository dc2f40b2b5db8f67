/*
 * threads: an out-of-tree app that exercises <pthread.h> with 16 threads: a contended mutex, a
 * bounded queue on condition variables, floating point across context switches, timed sleeps
 * and waits measured with clock_gettime, and KV puts/gets from every thread at once.
 * Prints one line per failed check and ends with "N passed, N failed" (exit 1 on failure).
 *   make image APP=examples/threads && npm start -- images/threads.elf [-- run-id]
 */
#include <errno.h>
#include <kv.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 16
#define INCREMENTS 2000
#define ITEMS 200 /* per producer, and per consumer */
#define QCAP 4
#define NKEYS 20

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int passed, failed;

static void check(int ok, int t, const char *what)
{
    pthread_mutex_lock(&report_lock);
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL thread %d: %s\n", t, what);
    }
    pthread_mutex_unlock(&report_lock);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Start line: every thread waits here until all have arrived. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int arrived, gate_round;

static void gate(void)
{
    pthread_mutex_lock(&gate_lock);
    int round = gate_round;
    if (++arrived == NTHREADS) {
        arrived = 0;
        gate_round++;
        pthread_cond_broadcast(&gate_cond);
    } else {
        while (round == gate_round)
            pthread_cond_wait(&gate_cond, &gate_lock);
    }
    pthread_mutex_unlock(&gate_lock);
}

/* A counter whose read-modify-write is stretched across a yield: only the mutex keeps it right. */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long counter;

static void count(void)
{
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&counter_lock);
        long v = counter;
        if (i % 64 == 0)
            sched_yield();
        counter = v + 1;
        pthread_mutex_unlock(&counter_lock);
    }
}

/* A bounded queue: even threads produce, odd threads consume. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER, q_not_empty = PTHREAD_COND_INITIALIZER;
static int q[QCAP], q_head, q_len;

static void produce(int t)
{
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QCAP)
            pthread_cond_wait(&q_not_full, &q_lock);
        q[(q_head + q_len++) % QCAP] = t * 1000 + i;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
}

static long consume(void)
{
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0)
            pthread_cond_wait(&q_not_empty, &q_lock);
        sum += q[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
    }
    return sum;
}

static pthread_mutex_t sum_lock = PTHREAD_MUTEX_INITIALIZER;
static long consumed_sum;

/* x87 arithmetic with context switches in the middle: each thread's FPU state is its own. */
static double series(int t, int yield)
{
    double x = 0.5 + t;
    for (int i = 1; i <= 200; i++) {
        x = x * 1.000001 + 1.0 / (i + t);
        if (yield && i % 20 == 0)
            sched_yield();
    }
    return x;
}
static double expected_series[NTHREADS];

static void timing(int t)
{
    long long t0 = now_ns();
    usleep(2000);
    long long slept = now_ns() - t0;
    check(slept >= 2000000, t, "usleep(2000) slept at least 2 ms");

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 5000000;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m);
    t0 = now_ns();
    int r = pthread_cond_timedwait(&c, &m, &until);
    long long waited = now_ns() - t0;
    check(r == ETIMEDOUT, t, "pthread_cond_timedwait times out");
    check(waited >= 4000000, t, "pthread_cond_timedwait waited about 5 ms");
    check(pthread_mutex_trylock(&m) == EBUSY, t, "trylock of a held mutex is EBUSY");
    check(pthread_mutex_unlock(&m) == 0, t, "timedwait returned with the mutex held");
}

static char prefix[64];

static void kv(int t)
{
    char key[96], val[64], got[64];
    for (int i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof key, "%s/%d/%d", prefix, t, i);
        int n = snprintf(val, sizeof val, "thread %d value %d", t, i * i);
        check(put(key, val, (size_t)n) == 0, t, "put");
    }
    for (int i = 0; i < NKEYS; i++) {
        snprintf(key, sizeof key, "%s/%d/%d", prefix, t, i);
        int n = snprintf(val, sizeof val, "thread %d value %d", t, i * i);
        size_t len = sizeof got;
        int r = get(key, got, &len);
        check(r == 0 && len == (size_t)n && memcmp(got, val, len) == 0, t, "get returns the put value");
        check(put(key, NULL, 0) == 0, t, "delete");
        len = sizeof got;
        check(get(key, got, &len) == -1, t, "deleted key is absent");
    }
}

static void *worker(void *arg)
{
    int t = (int)(long)arg;
    gate();
    count();
    gate();
    if (t % 2 == 0) {
        produce(t);
    } else {
        long s = consume();
        pthread_mutex_lock(&sum_lock);
        consumed_sum += s;
        pthread_mutex_unlock(&sum_lock);
    }
    double x = series(t, 1);
    check(x == expected_series[t], t, "floating point survives context switches");
    printf("thread %2d: series %.6f\n", t, x);
    timing(t);
    kv(t);
    return (void *)(long)(t * 7 + 1);
}

int main(int argc, char **argv)
{
    snprintf(prefix, sizeof prefix, "threads/%s", argc > 1 ? argv[1] : "run");
    if (argc <= 1)
        snprintf(prefix, sizeof prefix, "threads/%lld", now_ns());
    for (int t = 0; t < NTHREADS; t++)
        expected_series[t] = series(t, 0);

    pthread_t tid[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        check(pthread_create(&tid[t], NULL, worker, (void *)(long)t) == 0, 0, "pthread_create");
    for (int t = 0; t < NTHREADS; t++)
        for (int u = 0; u < t; u++)
            if (pthread_equal(tid[t], tid[u]))
                check(0, t, "thread ids are distinct");
    check(!pthread_equal(tid[0], pthread_self()), 0, "pthread_self differs from a child's id");
    for (int t = 0; t < NTHREADS; t++) {
        void *ret = 0;
        check(pthread_join(tid[t], &ret) == 0, t, "pthread_join");
        check(ret == (void *)(long)(t * 7 + 1), t, "pthread_join returns the thread's value");
    }
    check(pthread_join(tid[0], NULL) != 0, 0, "a thread cannot be joined twice");
    check(counter == (long)NTHREADS * INCREMENTS, 0, "mutex-protected counter is exact");
    long want = 0;
    for (int t = 0; t < NTHREADS; t += 2)
        for (int i = 1; i <= ITEMS; i++)
            want += t * 1000 + i;
    check(consumed_sum == want, 0, "every produced item consumed once");
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
