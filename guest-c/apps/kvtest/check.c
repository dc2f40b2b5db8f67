/* kvtest's harness: counting, reporting, and the common put/get expectations. */
#include <kv.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

static int passed, failed;
static char prefix[128];

int check(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return 1;
    }
    failed++;
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("FAIL %s: %s\n", name, detail);
    return 0;
}

int expect_put(const char *name, const char *key, const void *v, size_t n)
{
    int r = put((char *)key, (void *)v, n);
    return check(r == 0, name, "put returned %d, want 0", r);
}

int expect_get(const char *name, const char *key, const void *v, size_t n)
{
    static char buf[4096];
    size_t len = sizeof buf;
    int r = get((char *)key, buf, &len);
    if (!check(r == 0, name, "get returned %d, want 0", r))
        return 0;
    if (!check(len == n, name, "get length %zu, want %zu", len, n))
        return 0;
    return check(memcmp(buf, v, n) == 0, name, "get returned different bytes");
}

int expect_absent(const char *name, const char *key)
{
    char buf[16];
    size_t len = sizeof buf;
    int r = get((char *)key, buf, &len);
    return check(r == -1, name, "get returned %d, want -1 (absent)", r);
}

void set_prefix(const char *p)
{
    snprintf(prefix, sizeof prefix, "%s", p);
}

char *Kn(const char *suffix, size_t n)
{
    static char bufs[4][1200];
    static int next;
    char *k = bufs[next++ % 4];
    size_t pl = strlen(prefix);
    if (pl + n >= sizeof bufs[0])
        n = sizeof bufs[0] - 1 - pl;
    memcpy(k, prefix, pl);
    memcpy(k + pl, suffix, n);
    k[pl + n] = '\0';
    return k;
}

char *K(const char *suffix)
{
    return Kn(suffix, strlen(suffix));
}

int report(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
