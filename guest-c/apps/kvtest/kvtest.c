/*
 * kvtest: checks every rule of the seed API in <kv.h> against the running store.
 * usage: kvtest [unique-prefix [nkeys]]    (nkeys: how many distinct keys the bulk test writes,
 *        default 1200)
 * Keys live under a per-run prefix ("kvtest/<run>/", from argv[1] or from a run counter in the
 * store plus the clock), so reruns against a persistent store never collide, and every key written
 * is deleted again. Prints "FAIL <name>: <detail>" per failure and ends with "N passed, N failed";
 * exit status 1 on any failure.
 */
#include <kv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check.h"

void test_keys(void); /* keys.c */
void test_many(int nkeys); /* many.c */

static char big[4097];

/* A prefix no earlier run used: a counter kept in the store, plus the clock for good measure. */
static void choose_prefix(int argc, char **argv)
{
    char p[128];
    if (argc > 1) {
        snprintf(p, sizeof p, "kvtest/%.100s/", argv[1]);
    } else {
        char buf[32];
        size_t len = sizeof buf - 1;
        long run = 0;
        if (get("kvtest/run-counter", buf, &len) == 0) {
            buf[len] = '\0';
            run = strtol(buf, 0, 10);
        }
        run++;
        int n = snprintf(buf, sizeof buf, "%ld", run);
        put("kvtest/run-counter", buf, (size_t)n);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(p, sizeof p, "kvtest/%ld-%ld/", run, ts.tv_nsec);
    }
    set_prefix(p);
    printf("kvtest: keys under \"%s\"\n", p);
}

static void test_round_trip(void)
{
    char *k = K("basic");
    expect_absent("fresh key is absent", k);
    expect_put("put", k, "hello", 5);
    expect_get("get after put", k, "hello", 5);
    expect_put("overwrite longer", k, "hello, world", 12);
    expect_get("get after overwrite longer", k, "hello, world", 12);
    expect_put("overwrite shorter", k, "x", 1);
    expect_get("get after overwrite shorter (no stale bytes)", k, "x", 1);
    expect_put("delete", k, NULL, 0);
    expect_absent("get after delete", k);
    expect_put("delete again (absent key)", k, NULL, 0);
    expect_put("delete with non-NULL value and length 0", K("never-written"), "junk", 0);
    expect_absent("delete did not create the key", K("never-written"));
    expect_put("put after delete", k, "again", 5);
    expect_get("get after put after delete", k, "again", 5);
    expect_put("cleanup basic", k, NULL, 0);
}

static void test_values(void)
{
    char *k = K("values");
    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    expect_put("binary value with every byte", k, bin, sizeof bin);
    expect_get("binary value round trip", k, bin, sizeof bin);
    unsigned char zeros[100] = {0};
    expect_put("all-zero value", k, zeros, sizeof zeros);
    expect_get("all-zero value round trip", k, zeros, sizeof zeros);
    expect_put("one-byte zero value", k, zeros, 1);
    expect_get("one-byte zero value round trip", k, zeros, 1);

    for (int i = 0; i < 4097; i++)
        big[i] = (char)('a' + i % 26);
    expect_put("4096-byte value", k, big, 4096);
    expect_get("4096-byte value round trip", k, big, 4096);
    int r = put(k, big, 4097);
    check(r == -1, "4097-byte value rejected", "put returned %d, want -1", r);
    expect_get("4097-byte put left the old value", k, big, 4096);

    /* Buffer larger than the largest value: fine (treated as 4096). */
    static char huge[8192];
    size_t len = sizeof huge;
    r = get(k, huge, &len);
    check(r == 0 && len == 4096 && memcmp(huge, big, 4096) == 0, "get into an 8 KiB buffer",
          "r=%d len=%zu", r, len);
    expect_put("cleanup values", k, NULL, 0);
}

static void test_too_small(void)
{
    char *k = K("small");
    expect_put("put 4096 for -2 tests", k, big, 4096);
    char buf[10];
    size_t len = sizeof buf;
    int r = get(k, buf, &len);
    check(r == -2, "small buffer gives -2", "get returned %d", r);
    check(len == 4096, "-2 sets the length needed", "len=%zu, want 4096", len);
    static char b2[4096];
    len = 4095;
    r = get(k, b2, &len);
    check(r == -2 && len == 4096, "buffer one byte short gives -2", "r=%d len=%zu", r, len);
    len = 4096;
    r = get(k, b2, &len);
    check(r == 0 && len == 4096, "exact-size buffer", "r=%d len=%zu", r, len);

    len = 0;
    r = get(k, NULL, &len);
    check(r == -2 && len == 4096, "size query get(key, NULL, &0)", "r=%d len=%zu", r, len);
    len = 0;
    r = get(k, buf, &len);
    check(r == -2 && len == 4096, "zero-capacity buffer", "r=%d len=%zu", r, len);
    len = 0;
    r = get(K("small-absent"), NULL, &len);
    check(r == -1, "size query of an absent key", "r=%d len=%zu", r, len);
    expect_put("cleanup small", k, NULL, 0);
}

static void test_invalid(void)
{
    char *k = K("invalid");
    char buf[64];
    size_t len;
    int r;
    expect_put("put for invalid-argument tests", k, "keep", 4);
    r = put(NULL, "v", 1);
    check(r == -1, "put NULL key", "put returned %d", r);
    r = put(NULL, NULL, 0);
    check(r == -1, "delete NULL key", "put returned %d", r);
    len = sizeof buf;
    r = get(NULL, buf, &len);
    check(r == -1, "get NULL key", "get returned %d", r);
    check(len == sizeof buf, "get NULL key leaves *value_len", "len=%zu", len);
    r = get(k, buf, NULL);
    check(r == -1, "get NULL value_len", "get returned %d", r);
    r = put(k, NULL, 5);
    check(r == -1, "put NULL value with length 5", "put returned %d", r);
    expect_get("old value intact after NULL value put", k, "keep", 4);
    len = 5;
    r = get(k, NULL, &len);
    check(r == -1, "get NULL buffer with length 5", "get returned %d", r);
    check(len == 5, "get NULL buffer leaves *value_len", "len=%zu", len);
    r = put(k, "v", (size_t)-1);
    check(r == -1, "put SIZE_MAX length", "put returned %d", r);
    expect_get("old value intact after invalid puts", k, "keep", 4);
    expect_put("cleanup invalid", k, NULL, 0);
}

int main(int argc, char **argv)
{
    choose_prefix(argc, argv);
    test_round_trip();
    test_values();
    test_too_small();
    test_invalid();
    test_keys();
    int nkeys = argc > 2 ? atoi(argv[2]) : 1200;
    printf("kvtest: bulk test with %d keys\n", nkeys);
    test_many(nkeys);
    return report();
}
