/*
 * kvscan: checks scan() (<kv.h>) against a sorted model kept in the guest.
 *
 *   kvscan [seed [keys [ranges]]]   defaults: seed 1, 3500 keys, 40 ranges
 *   kvscan bench N                  puts N sequential keys, then times full scans of them
 *
 * The store is wiped first (scan chunks of keys, delete them with 64 threads), so a rerun on a
 * persistent store starts clean: do not point kvscan at data you want to keep.
 * Then `keys` random keys (1..12 bytes drawn from a-h, 0x80..0xff and 0x01..0xff, so that high
 * bytes must sort after low ones) are put by 64 threads; 15% are overwritten and 15% deleted.
 * Checks: a full scan (larger than one 16 KiB batch for the default key count), `ranges` random
 * ranges (start and end from the keys or random, end NULL, empty ranges, start > end, early stop
 * after a random number of keys), and invalid arguments. Every visited key and value is compared
 * with the model, and the count returned with the keys the model expected.
 * Prints one line per failure (the first 50), then "N passed, N failed"; exit status 1 on any.
 *
 * bench prints "scan (first|second): N keys in T ms, K keys/s" for two full scans in a row (the
 * first includes v86 compiling the scan code; neither reads S3 on the log engine, whose value
 * cache still holds what was just written).
 */
#include <kv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTHREADS 64
#define KEY_MAX 12
#define MAX_FAIL_LINES 50

struct ent {
    char key[KEY_MAX + 1];
    int live;
    uint32_t vseed;
    uint32_t vlen;
};

static struct ent *model;
static int nmodel;
static long passed, failed;
static uint64_t rng = 1;

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(next(&rng) % n);
}

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER; /* writers check at once */

static void check(int ok, const char *what, const char *detail)
{
    pthread_mutex_lock(&check_lock);
    if (ok)
        passed++;
    else if (failed++ < MAX_FAIL_LINES)
        printf("FAIL %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    pthread_mutex_unlock(&check_lock);
}

/* The value of (vseed, vlen): a function of both, so the model keeps 8 bytes per key. */
static void value_of(uint32_t vseed, uint32_t vlen, uint8_t *out)
{
    uint64_t s = (uint64_t)vseed * 0x9E3779B97F4A7C15ULL | 1;
    for (uint32_t i = 0; i < vlen; i++)
        out[i] = (uint8_t)next(&s);
}

static uint32_t random_vlen(void)
{
    /* Mostly small; some up to the 4096-byte limit, so byte capacity ends batches too. */
    return below(50) == 0 ? 1000 + below(3097) : 1 + below(64);
}

static void random_key(char *k)
{
    int n = 1 + (int)below(KEY_MAX);
    for (int i = 0; i < n; i++) {
        uint32_t kind = below(10);
        k[i] = (char)(kind < 4 ? 'a' + below(8) : kind < 7 ? 0x80 + below(128) : 1 + below(255));
    }
    k[n] = 0;
}

static int ent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ent *)a)->key, ((const struct ent *)b)->key); /* unsigned bytes */
}

/* ---- writing the model with many threads ---------------------------------------------------- */

struct writer {
    pthread_t tid;
    int id;
    int phase; /* 0: put every key; 1: overwrite or delete some */
    uint64_t rng;
};

static void *write_keys(void *p)
{
    struct writer *w = p;
    static uint8_t bufs[NTHREADS][4096];
    uint8_t *buf = bufs[w->id];
    for (int i = w->id; i < nmodel; i += NTHREADS) {
        struct ent *e = &model[i];
        if (w->phase == 1) {
            uint32_t r = (uint32_t)(next(&w->rng) % 100);
            if (r < 15) {
                check(put(e->key, 0, 0) == 0, "delete", 0);
                e->live = 0;
                continue;
            }
            if (r >= 30)
                continue;
            e->vseed = (uint32_t)next(&w->rng);
            e->vlen = e->vlen % 64 + 1; /* overwrite with a different value */
        }
        value_of(e->vseed, e->vlen, buf);
        check(put(e->key, buf, e->vlen) == 0, "put", 0);
        e->live = 1;
    }
    return 0;
}

static void write_phase(int phase)
{
    struct writer w[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        w[t].id = t;
        w[t].phase = phase;
        w[t].rng = next(&rng) | 1;
        pthread_create(&w[t].tid, 0, write_keys, &w[t]);
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(w[t].tid, 0);
}

/* ---- checking scans against the model ------------------------------------------------------- */

struct expect {
    const char *end;  /* NULL: no bound */
    int idx;          /* model index of the next key the scan should visit */
    int visits, stop_after, bad;
    char what[96];
};

/* The first live model index >= idx whose key is in range, or nmodel. */
static int next_live(int idx, const char *end)
{
    while (idx < nmodel && !model[idx].live)
        idx++;
    if (idx < nmodel && end != 0 && strcmp(model[idx].key, end) >= 0)
        return nmodel;
    return idx;
}

static int compare_fn(const char *key, const void *value, size_t value_len, void *arg)
{
    static uint8_t want[4096];
    struct expect *x = arg;
    x->visits++;
    x->idx = next_live(x->idx, x->end);
    if (x->idx >= nmodel) {
        if (x->bad++ == 0)
            check(0, x->what, "visited a key past the range's last live key");
        return 1;
    }
    struct ent *e = &model[x->idx++];
    if (strcmp(key, e->key) != 0) {
        if (x->bad++ == 0)
            check(0, x->what, "visited a key other than the model's next");
        return 1;
    }
    value_of(e->vseed, e->vlen, want);
    if (value_len != e->vlen || memcmp(value, want, value_len) != 0) {
        if (x->bad++ == 0)
            check(0, x->what, "wrong value");
        return 1;
    }
    return x->visits == x->stop_after;
}

/* The model index of the first key >= start. */
static int lower_bound(const char *start)
{
    int lo = 0, hi = nmodel;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(model[mid].key, start) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Scans [start, end) stopping after stop_after keys (0: never) and checks it all. */
static void check_range(const char *start, const char *end, int stop_after, const char *label)
{
    struct expect x = {0};
    x.end = end;
    x.idx = lower_bound(start);
    x.stop_after = stop_after;
    snprintf(x.what, sizeof x.what, "%s (scan %d)", label, (int)(passed + failed));
    /* What the model says: the keys in range, up to stop_after. */
    int want = 0;
    for (int i = next_live(x.idx, end); i < nmodel; i = next_live(i + 1, end)) {
        want++;
        if (want == stop_after)
            break;
    }
    int got = scan(start, end, compare_fn, &x);
    if (x.bad)
        return; /* already reported */
    char detail[64];
    snprintf(detail, sizeof detail, "returned %d, visited %d, expected %d", got, x.visits, want);
    check(got == want && x.visits == want, x.what, detail);
}

static void random_bound(char *k)
{
    uint32_t r = below(3);
    if (r == 0 && nmodel > 0)
        strcpy(k, model[below((uint32_t)nmodel)].key);
    else if (r == 1)
        random_key(k);
    else {
        random_key(k);
        k[1] = 0; /* a short key: a wide range */
    }
}

static int never(const char *key, const void *value, size_t len, void *arg)
{
    (void)key, (void)value, (void)len, (void)arg;
    return 0;
}

static void check_ranges(int nranges)
{
    check_range("", 0, 0, "full scan");
    check_range("", 0, 1, "full scan, stop at the first key");
    for (int r = 0; r < nranges; r++) {
        char start[KEY_MAX + 1], end[KEY_MAX + 1];
        random_bound(start);
        random_bound(end);
        uint32_t shape = below(10);
        int stop = below(4) == 0 ? 1 + (int)below(200) : 0;
        if (shape < 2)
            check_range(start, 0, stop, "range to the end");
        else if (shape == 2)
            check_range(start, start, stop, "empty range");
        else
            check_range(start, end, stop, "random range");
    }
    static char longkey[1026];
    memset(longkey, 'x', 1025);
    check(scan(0, 0, never, 0) == -1, "scan with a NULL start", 0);
    check(scan("", 0, 0, 0) == -1, "scan with a NULL fn", 0);
    check(scan(longkey, 0, never, 0) == -1, "scan with a 1025-byte start", 0);
    check(scan("", longkey, never, 0) == -1, "scan with a 1025-byte end", 0);
    longkey[1024] = 0;
    check(scan(longkey, 0, never, 0) >= 0, "scan with a 1024-byte start", 0);
}

/* ---- wiping, and the benchmark --------------------------------------------------------------- */

#define WIPE_CHUNK 2048
static char *doomed[WIPE_CHUNK];
static int ndoomed;

static int collect_fn(const char *key, const void *value, size_t len, void *arg)
{
    (void)value, (void)len, (void)arg;
    doomed[ndoomed] = strdup(key);
    return doomed[ndoomed] == 0 || ++ndoomed == WIPE_CHUNK;
}

static void *delete_some(void *p)
{
    struct writer *w = p;
    for (int i = w->id; i < ndoomed; i += NTHREADS)
        if (put(doomed[i], 0, 0) != 0)
            w->phase = -1;
    return 0;
}

/* Deletes every key: scan a chunk of keys, delete them with many threads, until none is left. */
static int wipe(void)
{
    int total = 0;
    char first[KEY_MAX + 1] = "";
    for (int round = 0;; round++) {
        ndoomed = 0;
        int n = scan("", 0, collect_fn, 0);
        if (n < 0 || n != ndoomed) {
            printf("kvscan: cannot wipe the store: scan returned %d\n", n);
            return -1;
        }
        if (ndoomed == 0)
            break;
        /* A key that survives its delete (one with a NUL byte, stored through the raw device). */
        if (round > 0 && strncmp(first, doomed[0], KEY_MAX) == 0) {
            printf("kvscan: cannot wipe the store: a key survives its delete\n");
            return -1;
        }
        strncpy(first, doomed[0], KEY_MAX);
        struct writer w[NTHREADS];
        for (int t = 0; t < NTHREADS; t++) {
            w[t].id = t;
            w[t].phase = 0;
            pthread_create(&w[t].tid, 0, delete_some, &w[t]);
        }
        int errors = 0;
        for (int t = 0; t < NTHREADS; t++) {
            pthread_join(w[t].tid, 0);
            errors += w[t].phase < 0;
        }
        for (int i = 0; i < ndoomed; i++)
            free(doomed[i]);
        if (errors) {
            printf("kvscan: cannot wipe the store: deletes failed\n");
            return -1;
        }
        total += ndoomed;
    }
    printf("wiped %d keys\n", total);
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int count_fn(const char *key, const void *value, size_t len, void *arg)
{
    (void)key, (void)value, (void)len;
    ++*(long *)arg;
    return 0;
}

static int bench(int n)
{
    model = calloc((size_t)n, sizeof *model);
    if (model == 0)
        return 1;
    nmodel = n;
    for (int i = 0; i < n; i++) {
        snprintf(model[i].key, sizeof model[i].key, "k%08d", i);
        model[i].vseed = (uint32_t)i;
        model[i].vlen = 64;
    }
    write_phase(0);
    for (int round = 0; round < 2; round++) {
        long seen = 0;
        double t0 = now_ms();
        int got = scan("", 0, count_fn, &seen);
        double ms = now_ms() - t0;
        printf("scan (%s): %d keys in %d ms, %d keys/s\n", round ? "second" : "first", got, (int)ms,
               ms > 0 ? (int)(got * 1000.0 / ms) : 0);
        check(got == n && seen == n, "bench scan count", 0);
    }
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (wipe() != 0)
        return 1;
    if (argc > 2 && strcmp(argv[1], "bench") == 0)
        return bench(atoi(argv[2]));
    uint64_t seed = argc > 1 ? strtoull(argv[1], 0, 10) : 1;
    int nkeys = argc > 2 ? atoi(argv[2]) : 3500;
    int nranges = argc > 3 ? atoi(argv[3]) : 40;
    if (nkeys < 1 || nranges < 0) {
        printf("usage: kvscan [seed [keys [ranges]]] | kvscan bench N\n");
        return 2;
    }
    rng = seed * 0x9E3779B97F4A7C15ULL | 1;
    model = calloc((size_t)nkeys, sizeof *model);
    if (model == 0)
        return 1;
    for (int i = 0; i < nkeys; i++) {
        random_key(model[i].key);
        model[i].vseed = (uint32_t)next(&rng);
        model[i].vlen = random_vlen();
    }
    qsort(model, (size_t)nkeys, sizeof *model, ent_cmp);
    nmodel = 0; /* drop duplicates: each key once */
    for (int i = 0; i < nkeys; i++)
        if (nmodel == 0 || strcmp(model[nmodel - 1].key, model[i].key) != 0)
            model[nmodel++] = model[i];
    double t0 = now_ms();
    write_phase(0);
    write_phase(1);
    int live = 0;
    for (int i = 0; i < nmodel; i++)
        live += model[i].live;
    double t1 = now_ms();
    printf("model: %d keys, %d live, written in %d ms\n", nmodel, live, (int)(t1 - t0));
    check_ranges(nranges);
    printf("scans checked in %d ms\n", (int)(now_ms() - t1));
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
