/*
 * kvcrash: the guest workload of `npm run crashtest`. T threads put, get and delete keys from a
 * small space (so they contend) for a given time, and print a record of every operation:
 *
 *   I <thread> <n> P <key> <vid>     invocation of a put of value vid (printed before the hypercall)
 *   I <thread> <n> D <key>           invocation of a delete
 *   I <thread> <n> G <key>           invocation of a get
 *   R <thread> <n> <status> <vid>    its return: the raw HKV_STATUS_*; for a get that found a
 *                                    value, the value's vid, or X when the value is torn, corrupt
 *                                    or belongs to another key; otherwise "-"
 *
 * The console is written line by line, synchronously, by the hypercall: an I line reaches the
 * host before the request is submitted and an R line after it completed, so the order of lines is
 * a real-time order the history checker can use (emulator/src/check/).
 *
 *   kvcrash <run> <threads> <keys> <seed> <millis>
 *
 * A value is self-describing, so a reader can tell whose it is and whether it is whole: magic,
 * run, thread, seq, key, payload length, payload bytes derived from (run, thread, seq), and an
 * FNV-1a checksum over all of it (layout: emulator/src/crash/valueFormat.ts reads the same). vid
 * "run.thread.seq" names a put uniquely across a whole crash test. Values never appear on the
 * console, only vids.
 *
 * A failed call (the proxy died or is restarting) is followed by a short sleep, as an application
 * backing off, and the run goes on once the proxy is back: past <millis>, the threads keep working
 * until RECOVERED calls have succeeded since the last failure (at most HARD_END_FACTOR x millis in
 * all), so a run that saw the proxy die ends only after it has seen the store work again.
 */
#include <hermitkv/kvdev.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x3143564Bu /* "KVC1" */
#define HDR 24
#define MAX_PAYLOAD 200
#define MAX_VALUE (HDR + MAX_PAYLOAD + 4)
#define MAX_THREADS 64
#define BACKOFF_US 50000
#define RECOVERED 32
#define HARD_END_FACTOR 5

static uint32_t run_id, nthreads = 8, nkeys = 16, seed = 1, millis = 2000;
static double t_end, t_hard_end;
/* Calls that succeeded since the last failure; -1 before any failure. Races between threads only
 * blur the count a little (one CPU; each update is one instruction's worth). */
static volatile long ok_since_failure = -1;

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* The value put number seq of (run, thread) stores under key; its length is returned. */
static size_t make_value(uint32_t run, uint32_t thread, uint32_t seq, uint32_t key, uint8_t *v)
{
    uint64_t s = (((uint64_t)run << 40) ^ ((uint64_t)thread << 32) ^ seq) * 0x9E3779B97F4A7C15ULL | 1;
    size_t n = next(&s) % (MAX_PAYLOAD + 1);
    put32(v, MAGIC);
    put32(v + 4, run);
    put32(v + 8, thread);
    put32(v + 12, seq);
    put32(v + 16, key);
    put32(v + 20, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        v[HDR + i] = (uint8_t)next(&s);
    put32(v + HDR + n, fnv1a(v, HDR + n));
    return HDR + n + 4;
}

/* Whether v (len bytes, read under key) is exactly a value make_value would have produced. */
static int intact(const uint8_t *v, size_t len, uint32_t key)
{
    uint8_t want[MAX_VALUE];
    if (len < HDR + 4 || len > MAX_VALUE || get32(v) != MAGIC || get32(v + 16) != key)
        return 0;
    if (get32(v + 20) + HDR + 4 != len || get32(v + len - 4) != fnv1a(v, len - 4))
        return 0;
    return make_value(get32(v + 4), get32(v + 8), get32(v + 12), key, want) == len && memcmp(v, want, len) == 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int submit(uint32_t op, const char *key, void *val, uint32_t len, uint32_t *result_len)
{
    struct hkv_desc d = {0};
    d.op = op;
    d.key_addr = (uint32_t)(uintptr_t)key;
    d.key_len = (uint32_t)strlen(key);
    d.val_addr = (uint32_t)(uintptr_t)val;
    d.val_len = len;
    int status = hkv_submit(&d);
    *result_len = ((volatile struct hkv_desc *)&d)->result_len;
    return status;
}

struct worker {
    pthread_t tid;
    uint32_t id, seq;
    uint64_t rng;
    long ops, ok, failed;
};

static void one_op(struct worker *w, long n)
{
    uint8_t buf[MAX_VALUE];
    char key[16];
    uint64_t x = next(&w->rng);
    uint32_t k = (uint32_t)(x >> 8) % nkeys, pct = (uint32_t)(x % 100), rlen = 0;
    snprintf(key, sizeof key, "c/%u", k);
    int status;
    char out[48] = "-";
    if (pct < 45) {
        uint32_t seq = ++w->seq;
        size_t len = make_value(run_id, w->id, seq, k, buf);
        printf("I %u %ld P %u %u.%u.%u\n", w->id, n, k, run_id, w->id, seq);
        status = submit(HKV_OP_PUT, key, buf, (uint32_t)len, &rlen);
    } else if (pct < 60) {
        printf("I %u %ld D %u\n", w->id, n, k);
        status = submit(HKV_OP_DELETE, key, 0, 0, &rlen);
    } else {
        printf("I %u %ld G %u\n", w->id, n, k);
        status = submit(HKV_OP_GET, key, buf, sizeof buf, &rlen);
        if (status == HKV_STATUS_OK) {
            if (rlen <= sizeof buf && intact(buf, rlen, k))
                snprintf(out, sizeof out, "%u.%u.%u", get32(buf + 4), get32(buf + 8), get32(buf + 12));
            else
                snprintf(out, sizeof out, "X");
        }
    }
    printf("R %u %ld %d %s\n", w->id, n, status, out);
    w->ops++;
    if (status == HKV_STATUS_OK || status == HKV_STATUS_NOT_FOUND) {
        w->ok++;
        if (ok_since_failure >= 0)
            ok_since_failure++;
    } else {
        w->failed++;
        ok_since_failure = 0;
        usleep(BACKOFF_US);
    }
}

static int keep_going(void)
{
    double t = now();
    return t < t_end || (ok_since_failure >= 0 && ok_since_failure < RECOVERED && t < t_hard_end);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (long n = 0; keep_going(); n++)
        one_op(w, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        printf("usage: kvcrash <run> <threads 1..%d> <keys> <seed> <millis>\n", MAX_THREADS);
        return 2;
    }
    run_id = (uint32_t)strtoul(argv[1], 0, 10);
    nthreads = (uint32_t)strtoul(argv[2], 0, 10);
    nkeys = (uint32_t)strtoul(argv[3], 0, 10);
    seed = (uint32_t)strtoul(argv[4], 0, 10);
    millis = (uint32_t)strtoul(argv[5], 0, 10);
    if (nthreads < 1 || nthreads > MAX_THREADS || nkeys < 1) {
        printf("kvcrash: bad arguments\n");
        return 2;
    }
    static struct worker ws[MAX_THREADS];
    printf("kvcrash: run %u, %u threads, %u keys, seed %u, %u ms\n", run_id, nthreads, nkeys, seed, millis);
    t_end = now() + millis / 1000.0;
    t_hard_end = now() + HARD_END_FACTOR * (millis / 1000.0);
    for (uint32_t t = 0; t < nthreads; t++) {
        ws[t].id = t;
        ws[t].rng = (((uint64_t)seed << 32 | t) ^ ((uint64_t)run_id << 16)) * 0x9E3779B97F4A7C15ULL | 1;
        if (pthread_create(&ws[t].tid, NULL, work, &ws[t]) != 0) {
            printf("kvcrash: cannot start thread %u\n", t);
            return 2;
        }
    }
    long ops = 0, ok = 0, failed = 0;
    for (uint32_t t = 0; t < nthreads; t++) {
        pthread_join(ws[t].tid, NULL);
        ops += ws[t].ops;
        ok += ws[t].ok;
        failed += ws[t].failed;
    }
    printf("kvcrash: done: %ld operations, %ld answered, %ld failed, %ld answered since the last failure\n", ops, ok, failed,
           ok_since_failure);
    return 0;
}
