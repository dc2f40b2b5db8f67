/*
 * kvbench: a mixed get/put load from many threads, with every operation's latency measured in the
 * guest (clock_gettime(CLOCK_MONOTONIC) around each call).
 *
 *   kvbench [-t threads] [-n ops per thread] [-s value size] [-r read percent 0..100]
 *           [-k keyspace] [-p prefix] [-w warm-up ops per thread] [--preload | --no-preload]
 *           [--mark]
 *   defaults: -t 16 -n 1000 -s 64 -r 90 -k 1000 -w 0, prefix "kvbench/<clock>", preload on.
 *
 * The keyspace is written first (all threads sharing the work, --preload, the default) so that
 * gets hit; --no-preload skips that when an earlier run with the same -p filled it. Then all
 * threads start together and each does its ops on random keys. With -w, each thread first does
 * that many untimed ops of the same mix: v86 compiles guest code to WebAssembly as it first runs
 * it, and a short run (16 threads x 600 ops) otherwise measures mostly that warm-up. Percentiles are nearest-rank over
 * all samples. The last lines are a human summary and one machine-readable line:
 *   KVBENCH {"threads":..,"ops":..,"value_size":..,"read_pct":..,"seconds":..,"ops_per_s":..,
 *            "get_p50_us":..,"get_p99_us":..,"put_p50_us":..,"put_p99_us":..,"errors":..,
 *            "gets":..,"puts":..,"cdf_permille":[..],"get_cdf_us":[..],"put_cdf_us":[..]}
 * where the *_cdf_us arrays hold the latency at each level of cdf_permille (nearest rank, level 0
 * is the minimum and 1000 the maximum): enough to draw a CDF without shipping every sample.
 *
 * --mark brackets the timed phase with a get of MARK_START just before the clock starts and of
 * MARK_END just after it stops (both from main, while no other op is in flight). A host that
 * watches for those keys (the system benchmark) reads the proxy's S3 counters there, so that
 * S3 requests per op cover exactly the timed ops; anywhere else they are two gets of absent keys.
 */
#include <kv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int nthreads = 16, nops = 1000, vsize = 64, read_pct = 90, keyspace = 1000, preload = 1, warmup;
static int mark;
static char prefix[128];

/* The phase markers of --mark; \x7f keeps them outside every key kvbench itself writes. */
#define MARK_START "\x7fkvbench:mark:start"
#define MARK_END "\x7fkvbench:mark:end"

/* The CDF levels of the KVBENCH line, in permille (those of proxy/src/bench/plot/cdf.ts). */
static const int cdf_permille[] = {0, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950, 970, 990, 995, 999, 1000};
#define NCDF ((int)(sizeof cdf_permille / sizeof cdf_permille[0]))

struct worker {
    pthread_t tid;
    int id;
    uint64_t rng;
    uint32_t *get_ns, *put_ns; /* samples, clamped to 4.29 s */
    int ngets, nputs;
    int errors;
};

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static int started, ready;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Keys are formatted once, up front: snprintf costs tens of µs under v86, the op itself ~150. */
static char **keys;

static int make_keys(void)
{
    keys = malloc(sizeof(char *) * (size_t)keyspace);
    for (int i = 0; keys && i < keyspace; i++) {
        char k[160];
        snprintf(k, sizeof k, "%s/%d", prefix, i);
        if ((keys[i] = strdup(k)) == 0)
            return -1;
    }
    return keys ? 0 : -1;
}

static void fill(char *v, int i, uint64_t salt)
{
    for (int j = 0; j < vsize; j++)
        v[j] = (char)('a' + (i + j + (int)salt) % 26);
}

static void *preload_part(void *arg)
{
    struct worker *w = arg;
    char *v = malloc((size_t)vsize);
    for (int i = w->id; i < keyspace; i += nthreads) {
        fill(v, i, 0);
        if (put(keys[i], v, (size_t)vsize) != 0)
            w->errors++;
    }
    free(v);
    return 0;
}

/* One random op; its latency is recorded when timed (warm-up ops are not). */
static void one_op(struct worker *w, char *v, char *buf, int timed)
{
    uint64_t x = next(&w->rng);
    int i = (int)(x % (uint64_t)keyspace);
    char *key = keys[i];
    if ((int)((uint32_t)(x >> 32) % 100u) < read_pct) {
        size_t len = (size_t)vsize;
        uint64_t t0 = now_ns();
        int r = get(key, buf, &len);
        uint64_t d = now_ns() - t0;
        if (timed)
            w->get_ns[w->ngets++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        if (r != 0 || (preload && len != (size_t)vsize))
            w->errors++;
    } else {
        fill(v, i, x);
        uint64_t t0 = now_ns();
        int r = put(key, v, (size_t)vsize);
        uint64_t d = now_ns() - t0;
        if (timed)
            w->put_ns[w->nputs++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        if (r != 0)
            w->errors++;
    }
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char *v = malloc((size_t)vsize), *buf = malloc((size_t)vsize);
    for (int op = 0; op < warmup; op++)
        one_op(w, v, buf, 0);
    pthread_mutex_lock(&start_lock);
    ready++;
    pthread_cond_broadcast(&start_cond);
    while (!started)
        pthread_cond_wait(&start_cond, &start_lock);
    pthread_mutex_unlock(&start_lock);
    for (int op = 0; op < nops; op++)
        one_op(w, v, buf, 1);
    free(v);
    free(buf);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank at p permille, in µs; 0 without samples. */
static double permille_us(const uint32_t *sorted, size_t n, int p)
{
    if (n == 0)
        return 0;
    size_t rank = (n * (size_t)p + 999) / 1000;
    return sorted[rank ? rank - 1 : 0] / 1000.0;
}

static double pct_us(const uint32_t *sorted, size_t n, int p)
{
    return permille_us(sorted, n, p * 10);
}

static void print_cdf(const char *name, const uint32_t *sorted, size_t n)
{
    printf(",\"%s\":[", name);
    for (int i = 0; i < NCDF; i++)
        printf("%s%.1f", i ? "," : "", permille_us(sorted, n, cdf_permille[i]));
    printf("]");
}

/* A get whose only purpose is to be seen by the host (--mark). */
static void phase_mark(const char *key)
{
    char b[1];
    size_t len = sizeof b;
    if (mark)
        get((char *)key, b, &len);
}

static int start_all(struct worker *ws, void *(*fn)(void *))
{
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&ws[t].tid, NULL, fn, &ws[t]) != 0)
            return -1;
    return 0;
}

static void join_all(struct worker *ws)
{
    for (int t = 0; t < nthreads; t++)
        pthread_join(ws[t].tid, NULL);
}

static int parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--preload") == 0) { preload = 1; continue; }
        if (strcmp(a, "--no-preload") == 0) { preload = 0; continue; }
        if (strcmp(a, "--mark") == 0) { mark = 1; continue; }
        if (i + 1 >= argc || a[0] != '-' || a[1] == '\0' || a[2] != '\0')
            return -1;
        const char *v = argv[++i];
        switch (a[1]) {
        case 't': nthreads = atoi(v); break;
        case 'n': nops = atoi(v); break;
        case 's': vsize = atoi(v); break;
        case 'r': read_pct = atoi(v); break;
        case 'k': keyspace = atoi(v); break;
        case 'w': warmup = atoi(v); break;
        case 'p': snprintf(prefix, sizeof prefix, "%s", v); break;
        default: return -1;
        }
    }
    if (nthreads < 1 || nthreads > 255 || nops < 0 || vsize < 1 || vsize > 4096 || read_pct < 0 ||
        read_pct > 100 || keyspace < 1 || warmup < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (parse(argc, argv) != 0) {
        printf("usage: kvbench [-t threads 1..255] [-n ops per thread] [-s value size 1..4096] "
               "[-r read percent] [-k keyspace] [-p prefix] [-w warm-up ops] [--preload|--no-preload] "
               "[--mark]\n");
        return 2;
    }
    if (prefix[0] == '\0')
        snprintf(prefix, sizeof prefix, "kvbench/%llu", (unsigned long long)now_ns());
    struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
    if (ws == 0 || make_keys() != 0) {
        printf("kvbench: out of memory for keys\n");
        return 2;
    }
    for (int t = 0; t < nthreads; t++) {
        ws[t].id = t;
        ws[t].rng = ((uint64_t)t + 1) * 0x9E3779B97F4A7C15ULL | 1;
        ws[t].get_ns = malloc(sizeof(uint32_t) * (size_t)(nops + 1));
        ws[t].put_ns = malloc(sizeof(uint32_t) * (size_t)(nops + 1));
        if (ws[t].get_ns == 0 || ws[t].put_ns == 0) {
            printf("kvbench: out of memory for samples\n");
            return 2;
        }
    }
    int errors = 0;
    if (preload) {
        uint64_t p0 = now_ns();
        if (start_all(ws, preload_part) != 0)
            return 2;
        join_all(ws);
        for (int t = 0; t < nthreads; t++)
            errors += ws[t].errors, ws[t].errors = 0;
        printf("kvbench: preloaded %d keys of %d bytes under \"%s\" in %.3f s\n", keyspace, vsize,
               prefix, (double)(now_ns() - p0) / 1e9);
    }
    if (start_all(ws, run) != 0)
        return 2;
    pthread_mutex_lock(&start_lock);
    while (ready < nthreads)
        pthread_cond_wait(&start_cond, &start_lock);
    phase_mark(MARK_START);
    uint64_t t0 = now_ns();
    started = 1;
    pthread_cond_broadcast(&start_cond);
    pthread_mutex_unlock(&start_lock);
    join_all(ws);
    double secs = (double)(now_ns() - t0) / 1e9;
    phase_mark(MARK_END);

    size_t ng = 0, np = 0;
    for (int t = 0; t < nthreads; t++)
        ng += (size_t)ws[t].ngets, np += (size_t)ws[t].nputs, errors += ws[t].errors;
    uint32_t *gs = malloc(sizeof(uint32_t) * (ng + 1)), *ps = malloc(sizeof(uint32_t) * (np + 1));
    size_t gi = 0, pi = 0;
    for (int t = 0; t < nthreads; t++) {
        memcpy(gs + gi, ws[t].get_ns, sizeof(uint32_t) * (size_t)ws[t].ngets);
        memcpy(ps + pi, ws[t].put_ns, sizeof(uint32_t) * (size_t)ws[t].nputs);
        gi += (size_t)ws[t].ngets;
        pi += (size_t)ws[t].nputs;
    }
    qsort(gs, ng, sizeof *gs, cmp_u32);
    qsort(ps, np, sizeof *ps, cmp_u32);
    long ops = (long)nthreads * nops;
    double rate = secs > 0 ? ops / secs : 0;
    printf("kvbench: %d threads, %ld ops (%d%% gets, %d-byte values) in %.3f s: %.0f ops/s; "
           "get p50 %.1f us p99 %.1f us; put p50 %.1f us p99 %.1f us; %d errors\n",
           nthreads, ops, read_pct, vsize, secs, rate, pct_us(gs, ng, 50), pct_us(gs, ng, 99),
           pct_us(ps, np, 50), pct_us(ps, np, 99), errors);
    /* One line, written in pieces: only main runs now, so nothing can interleave. */
    printf("KVBENCH {\"threads\":%d,\"ops\":%ld,\"value_size\":%d,\"read_pct\":%d,\"seconds\":%.3f,"
           "\"ops_per_s\":%.0f,\"get_p50_us\":%.1f,\"get_p99_us\":%.1f,\"put_p50_us\":%.1f,"
           "\"put_p99_us\":%.1f,\"errors\":%d,\"gets\":%lu,\"puts\":%lu,\"cdf_permille\":[",
           nthreads, ops, vsize, read_pct, secs, rate, pct_us(gs, ng, 50), pct_us(gs, ng, 99),
           pct_us(ps, np, 50), pct_us(ps, np, 99), errors, (unsigned long)ng, (unsigned long)np);
    for (int i = 0; i < NCDF; i++)
        printf("%s%d", i ? "," : "", cdf_permille[i]);
    printf("]");
    print_cdf("get_cdf_us", gs, ng);
    print_cdf("put_cdf_us", ps, np);
    printf("}\n");
    return errors ? 1 : 0;
}
