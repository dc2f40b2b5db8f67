/*
 * kvstress: T threads x N random operations at once, every result checked.
 *   kvstress [threads T] [ops N] [seed]      defaults: 16 threads, 500 ops, seed 1
 *
 * Private keys (PRIVATE per thread): only their thread touches them, so it keeps an exact model
 * and checks every get against it, bytes and absence. Shared keys (SHARED in all): any thread
 * writes them with self-describing values (writer id, the writer's sequence number, payload
 * bytes derived from both, a checksum over everything), so a reader can check that each value
 * it reads is intact and whole (not torn, not mixed from two puts) and that, key by key, it never
 * sees an older value from a writer than one it has seen already (its own writes included).
 * Keys live under a per-run prefix (a run counter in the store plus the clock), so reruns on a
 * persistent store do not collide. Prints one line per failure, then a summary and
 * "N passed, N failed" (N: checks); exit status 1 on any failure.
 */
#include <kv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRIVATE 8
#define SHARED 8
#define PRIV_MAX 256      /* private value length 1..PRIV_MAX */
#define SHARED_PAYLOAD 240 /* shared payload length 0..SHARED_PAYLOAD */
#define HDR 16             /* magic, writer, seq, payload length */
#define MAGIC 0x3153564Bu  /* "KVS1" */
#define MAX_FAIL_LINES 200

static int nthreads = 16, nops = 500;
static unsigned seed = 1;
static char prefix[96];

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static long total_passed, total_failed, fail_lines;

struct worker {
    pthread_t tid;
    int id;
    uint64_t rng;
    long passed, failed;
    uint32_t seq;                 /* this thread's shared writes so far */
    uint32_t *last_seen;          /* [SHARED][nthreads]: newest seq seen per key and writer */
    struct {
        int state;                /* 0 absent, 1 present, 2 unknown (a put failed) */
        size_t len;
        uint8_t bytes[PRIV_MAX];
    } model[PRIVATE];
};

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

/* The payload of (writer, seq): its length and bytes are a function of the two. */
static size_t payload(uint32_t writer, uint32_t seq, uint8_t *out)
{
    uint64_t s = ((uint64_t)writer << 32 | seq) * 0x9E3779B97F4A7C15ULL | 1;
    size_t n = next(&s) % (SHARED_PAYLOAD + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)next(&s);
    return n;
}

static size_t shared_value(uint32_t writer, uint32_t seq, uint8_t *v)
{
    size_t n = payload(writer, seq, v + HDR);
    put32(v, MAGIC);
    put32(v + 4, writer);
    put32(v + 8, seq);
    put32(v + 12, (uint32_t)n);
    put32(v + HDR + n, fnv1a(v, HDR + n));
    return HDR + n + 4;
}

static int check(struct worker *w, int ok, int op, const char *key, const char *why)
{
    if (ok) {
        w->passed++;
        return 1;
    }
    w->failed++;
    pthread_mutex_lock(&report_lock);
    if (fail_lines++ < MAX_FAIL_LINES)
        printf("FAIL thread %d op %d key %s: %s\n", w->id, op, key, why);
    else if (fail_lines == MAX_FAIL_LINES + 1)
        printf("FAIL ... (further failure lines not shown; the count below has them all)\n");
    pthread_mutex_unlock(&report_lock);
    return 0;
}

static void private_key(char *k, size_t cap, int t, int i) { snprintf(k, cap, "%s/p%d/%d", prefix, t, i); }
static void shared_key(char *k, size_t cap, int i) { snprintf(k, cap, "%s/s%d", prefix, i); }

static void private_get(struct worker *w, int op, int i)
{
    char key[128];
    uint8_t buf[PRIV_MAX + 16];
    private_key(key, sizeof key, w->id, i);
    size_t len = sizeof buf;
    int r = get(key, buf, &len);
    if (w->model[i].state == 2)
        return; /* after a failed put either outcome is right */
    if (w->model[i].state == 0) {
        check(w, r == -1, op, key, r == 0 ? "present, the model says absent" : "get failed");
        return;
    }
    check(w, r == 0 && len == w->model[i].len && memcmp(buf, w->model[i].bytes, len) == 0, op, key,
          r != 0 ? "absent or failed, the model has a value" : "value differs from the model");
}

static void private_put(struct worker *w, int op, int i, int del)
{
    char key[128];
    private_key(key, sizeof key, w->id, i);
    size_t len = del ? 0 : 1 + next(&w->rng) % PRIV_MAX;
    for (size_t j = 0; j < len; j++)
        w->model[i].bytes[j] = (uint8_t)next(&w->rng);
    int r = put(key, w->model[i].bytes, len);
    check(w, r == 0, op, key, del ? "delete failed" : "put failed");
    w->model[i].state = r != 0 ? 2 : del ? 0 : 1;
    w->model[i].len = len;
}

static void shared_get(struct worker *w, int op, int i)
{
    char key[128];
    uint8_t buf[HDR + SHARED_PAYLOAD + 4], want[HDR + SHARED_PAYLOAD + 4];
    shared_key(key, sizeof key, i);
    size_t len = sizeof buf;
    int r = get(key, buf, &len);
    if (r == -1) {
        check(w, 1, op, key, ""); /* deleted by someone: nothing more to check */
        return;
    }
    if (!check(w, r == 0, op, key, "get failed"))
        return;
    uint32_t writer = len >= HDR ? get32(buf + 4) : 0, seq = len >= HDR ? get32(buf + 8) : 0;
    int intact = len >= HDR + 4 && get32(buf) == MAGIC && writer < (uint32_t)nthreads && seq > 0 &&
                 get32(buf + 12) + HDR + 4 == len && get32(buf + len - 4) == fnv1a(buf, len - 4) &&
                 shared_value(writer, seq, want) == len && memcmp(buf, want, len) == 0;
    if (!check(w, intact, op, key, "torn, mixed or corrupt shared value"))
        return;
    uint32_t *seen = &w->last_seen[i * nthreads + writer];
    char why[96];
    snprintf(why, sizeof why, "older value from writer %u: seq %u after seq %u", writer, seq, *seen);
    check(w, seq >= *seen, op, key, why);
    if (seq > *seen)
        *seen = seq;
}

static void shared_put(struct worker *w, int op, int i, int del)
{
    char key[128];
    uint8_t v[HDR + SHARED_PAYLOAD + 4];
    shared_key(key, sizeof key, i);
    if (del) {
        check(w, put(key, NULL, 0) == 0, op, key, "shared delete failed");
        return;
    }
    uint32_t seq = ++w->seq;
    size_t len = shared_value((uint32_t)w->id, seq, v);
    int r = put(key, v, len);
    check(w, r == 0, op, key, "shared put failed");
    if (r == 0)
        w->last_seen[i * nthreads + w->id] = seq; /* read-your-writes, per key */
}

static void *run(void *arg)
{
    struct worker *w = arg;
    for (int op = 0; op < nops; op++) {
        uint64_t x = next(&w->rng);
        int pct = (int)(x % 100), i = (int)(x / 100 % (x & 1 ? PRIVATE : SHARED));
        if (x & 1) {
            if (pct < 40)
                private_get(w, op, i);
            else
                private_put(w, op, i, pct >= 80);
        } else {
            if (pct < 45)
                shared_get(w, op, i);
            else
                shared_put(w, op, i, pct >= 90);
        }
    }
    /* The end: every private key once more against the model, then deleted and gone. */
    for (int i = 0; i < PRIVATE; i++) {
        private_get(w, nops, i);
        private_put(w, nops, i, 1);
        private_get(w, nops, i);
    }
    pthread_mutex_lock(&report_lock);
    total_passed += w->passed;
    total_failed += w->failed;
    pthread_mutex_unlock(&report_lock);
    return 0;
}

static void choose_prefix(void)
{
    char buf[32];
    size_t len = sizeof buf - 1;
    long n = 0;
    if (get("kvstress/run-counter", buf, &len) == 0) {
        buf[len] = '\0';
        n = strtol(buf, 0, 10);
    }
    int k = snprintf(buf, sizeof buf, "%ld", ++n);
    put("kvstress/run-counter", buf, (size_t)k);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(prefix, sizeof prefix, "kvstress/%ld-%ld", n, ts.tv_nsec);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (argc > 2)
        nops = atoi(argv[2]);
    if (argc > 3)
        seed = (unsigned)strtoul(argv[3], 0, 0);
    if (nthreads < 1 || nthreads > 255 || nops < 0) {
        printf("usage: kvstress [threads 1..255] [ops] [seed]\n");
        return 2;
    }
    choose_prefix();
    printf("kvstress: %d threads x %d ops, seed %u, keys under \"%s\"\n", nthreads, nops, seed, prefix);
    struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
    double t0 = now();
    for (int t = 0; t < nthreads; t++) {
        struct worker *w = &ws[t];
        w->id = t;
        w->rng = ((uint64_t)seed << 32 | (uint32_t)t) * 0x9E3779B97F4A7C15ULL | 1;
        w->last_seen = calloc((size_t)SHARED * (size_t)nthreads, sizeof(uint32_t));
        if (w->last_seen == 0 || pthread_create(&w->tid, NULL, run, w) != 0) {
            printf("kvstress: cannot start thread %d\n", t);
            return 2;
        }
    }
    for (int t = 0; t < nthreads; t++)
        pthread_join(ws[t].tid, NULL);
    double secs = now() - t0;
    char key[128];
    for (int i = 0; i < SHARED; i++) {
        shared_key(key, sizeof key, i);
        put(key, NULL, 0);
    }
    long ops = (long)nthreads * (nops + 3 * PRIVATE);
    printf("kvstress: %ld operations in %.2f s (%.0f ops/s)\n", ops, secs, secs > 0 ? ops / secs : 0.0);
    printf("%ld passed, %ld failed\n", total_passed, total_failed);
    return total_failed ? 1 : 0;
}
