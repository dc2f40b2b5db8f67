/* The <stdlib.h> subset that is not memory allocation (that is kernel/malloc.c). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/defs.h"
#include "kernel/x86.h"

/* From any thread: every thread's buffered output goes out, then the machine ends. */
void exit(int status)
{
    console_flush();
    hkv_exit(status);
}

void abort(void)
{
    console_flush();
    hkv_exit(134); /* 128 + SIGABRT, as a shell reports an aborted process */
}

int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
long long llabs(long long x) { return x < 0 ? -x : x; }

static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int digit_value(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/*
 * The common part of the strto* family: skips space, reads a sign and the base prefix, and
 * accumulates the magnitude, saturating at limit. *neg tells the sign; *end as in C.
 */
static unsigned long long scan(const char *s, char **end, int base, unsigned long long limit,
                               int *neg)
{
    const char *p = s;
    while (is_space(*p))
        p++;
    *neg = 0;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long long v = 0;
    int any = 0, over = 0;
    for (; digit_value(*p) < base; p++, any = 1) {
        unsigned d = (unsigned)digit_value(*p);
        if (v > (limit - d) / (unsigned)base)
            over = 1;
        else
            v = v * (unsigned)base + d;
    }
    if (end)
        *end = (char *)(uintptr_t)(any ? p : s);
    return over ? limit : v;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = scan(s, end, base, ULLONG_MAX, &neg);
    return neg ? -v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int neg;
    unsigned long v = (unsigned long)scan(s, end, base, ULONG_MAX, &neg);
    return neg ? -v : v;
}

long long strtoll(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = scan(s, end, base, (unsigned long long)LLONG_MAX + 1, &neg);
    if (!neg)
        return v > LLONG_MAX ? LLONG_MAX : (long long)v;
    return v > LLONG_MAX ? LLONG_MIN : -(long long)v;
}

long strtol(const char *s, char **end, int base)
{
    long long v = strtoll(s, end, base);
    return v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : (long)v;
}

int atoi(const char *s) { return (int)strtol(s, 0, 10); }
long atol(const char *s) { return strtol(s, 0, 10); }

static void swap(char *a, char *b, size_t size)
{
    for (; size > 0; size--, a++, b++) {
        char t = *a;
        *a = *b;
        *b = t;
    }
}

/* Heapsort: O(n log n) in the worst case and no recursion, so no deep stacks. */
static void sift(char *base, size_t root, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap(base + root * size, base + child * size, size);
        root = child;
    }
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    if (n < 2 || size == 0)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift(b, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap(b, b + end * size, size);
        sift(b, 0, end, size, cmp);
    }
}

static uint64_t rand_state = 1;

void srand(unsigned seed)
{
    uint32_t f = irq_save();
    rand_state = seed;
    irq_restore(f);
}

/* One shared sequence: the 64-bit update must not be torn by a preemption. */
int rand(void)
{
    uint32_t f = irq_save();
    rand_state = rand_state * 6364136223846793005ULL + 1442695040888963407ULL;
    int r = (int)(rand_state >> 33); /* the high bits: an LCG's low bits are weak */
    irq_restore(f);
    return r;
}
