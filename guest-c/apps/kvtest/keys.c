/* kvtest: which keys are keys. Lengths, byte values, and names that look like paths. */
#include <kv.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

static void test_empty_key(void)
{
    /* The empty key cannot carry the run prefix: store something unique and remove it again. */
    char *mine = K("empty-key-value");
    expect_put("empty key put", "", mine, strlen(mine));
    expect_get("empty key get", "", mine, strlen(mine));
    expect_put("empty key delete", "", NULL, 0);
    expect_absent("empty key absent after delete", "");
}

static void test_long_keys(void)
{
    static char k[1100];
    char *p = K("");
    size_t pl = strlen(p);
    memcpy(k, p, pl);
    memset(k + pl, 'L', 1024 - pl);
    k[1024] = '\0';
    expect_put("1024-byte key put", k, "long", 4);
    expect_get("1024-byte key get", k, "long", 4);
    k[1024] = 'L';
    k[1025] = '\0';
    int r = put(k, "x", 1);
    check(r == -1, "1025-byte key put rejected", "put returned %d", r);
    char buf[8];
    size_t len = sizeof buf;
    r = get(k, buf, &len);
    check(r == -1, "1025-byte key get rejected (not truncated to 1024)", "get returned %d", r);
    r = put(k, NULL, 0);
    check(r == -1, "1025-byte key delete rejected", "put returned %d", r);
    k[1024] = '\0';
    expect_get("1024-byte key intact after 1025-byte calls", k, "long", 4);
    k[1023] = 'M';
    expect_absent("keys differing in byte 1024 are distinct", k);
    k[1023] = 'L';
    expect_put("1024-byte key delete", k, NULL, 0);
    expect_absent("1024-byte key absent after delete", k);
}

static void test_byte_values(void)
{
    char all[255];
    for (int i = 0; i < 255; i++)
        all[i] = (char)(i + 1);
    char *k = Kn(all, sizeof all);
    expect_put("key with bytes 1..255", k, "all", 3);
    expect_get("key with bytes 1..255 get", k, "all", 3);
    expect_put("key with bytes 1..255 delete", k, NULL, 0);

    /* One key per byte value: none may collide (case folding, escaping, normalisation). */
    int put_fail = 0, get_fail = 0;
    for (int b = 1; b < 256; b++) {
        char s[2] = {(char)b, 0};
        unsigned char v = (unsigned char)b;
        put_fail += put(Kn(s, 1), &v, 1) != 0;
    }
    for (int b = 1; b < 256; b++) {
        char s[2] = {(char)b, 0};
        unsigned char v = 0;
        size_t len = 1;
        get_fail += get(Kn(s, 1), &v, &len) != 0 || len != 1 || v != (unsigned char)b;
    }
    check(put_fail == 0, "255 one-byte-suffix keys put", "%d puts failed", put_fail);
    check(get_fail == 0, "255 one-byte-suffix keys distinct", "%d keys read wrong", get_fail);
    int del_fail = 0;
    for (int b = 1; b < 256; b++) {
        char s[2] = {(char)b, 0};
        del_fail += put(Kn(s, 1), NULL, 0) != 0;
    }
    check(del_fail == 0, "255 one-byte-suffix keys deleted", "%d deletes failed", del_fail);
}

/* Keys that a naive key-to-path or key-to-URL mapping would confuse with each other. */
static const char *const tricky[] = {
    "../x", "..", ".", "/", "//", "a//b", "a/b", "a/./b", "a/../b", "%2F", "%2f", "%", "%25",
    "\\", "a\\b", " ", "x ", "+", "~", "?", "#", "*", "a/", "A/", "CON", "\n", "\xff\xfe",
};
#define NTRICKY (sizeof tricky / sizeof tricky[0])

static void test_tricky(void)
{
    char name[80], val[32];
    for (size_t i = 0; i < NTRICKY; i++) {
        snprintf(name, sizeof name, "tricky key %zu put", i);
        snprintf(val, sizeof val, "tricky-%zu", i);
        expect_put(name, K(tricky[i]), val, strlen(val));
    }
    for (size_t i = 0; i < NTRICKY; i++) {
        snprintf(name, sizeof name, "tricky key %zu distinct", i);
        snprintf(val, sizeof val, "tricky-%zu", i);
        expect_get(name, K(tricky[i]), val, strlen(val));
    }
    for (size_t i = 0; i < NTRICKY; i++) {
        snprintf(name, sizeof name, "tricky key %zu delete", i);
        expect_put(name, K(tricky[i]), NULL, 0);
        snprintf(name, sizeof name, "tricky key %zu absent", i);
        expect_absent(name, K(tricky[i]));
    }
    /* The same few without the prefix, as whole keys: stored, read back, removed. */
    static const char *const bare[] = {"/", ".", "..", "../x", "%2F"};
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        char *mine = K("bare");
        snprintf(name, sizeof name, "bare key \"%s\"", bare[i]);
        expect_put(name, bare[i], mine, strlen(mine));
        expect_get(name, bare[i], mine, strlen(mine));
        expect_put(name, bare[i], NULL, 0);
        expect_absent(name, bare[i]);
    }
}

void test_keys(void)
{
    test_empty_key();
    test_long_keys();
    test_byte_values();
    test_tricky();
}
