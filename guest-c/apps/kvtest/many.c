/* kvtest: many distinct keys written, all read back and checked, then all deleted. */
#include <kv.h>
#include <stdio.h>
#include <string.h>
#include "check.h"


/* Key i's value: its own text repeated to a length that varies with i (1..~300 bytes). */
static size_t value_of(int i, char *v, size_t cap)
{
    char unit[16];
    int u = snprintf(unit, sizeof unit, "v%d;", i);
    size_t n = 1 + (size_t)(i * 37 % 300);
    for (size_t j = 0; j < n && j < cap; j++)
        v[j] = unit[j % (size_t)u];
    return n < cap ? n : cap;
}

static char *key_of(int i)
{
    char s[32];
    snprintf(s, sizeof s, "many/%05d", i);
    return K(s);
}

void test_many(int nkeys)
{
    char v[512], got[512];
    int put_fail = 0, get_fail = 0, del_fail = 0, gone_fail = 0;
    for (int i = 0; i < nkeys; i++) {
        size_t n = value_of(i, v, sizeof v);
        if (put(key_of(i), v, n) != 0 && put_fail++ < 5)
            printf("FAIL many: put of key %d failed\n", i);
    }
    check(put_fail == 0, "many: puts", "%d failed", put_fail);
    for (int i = 0; i < nkeys; i++) {
        size_t n = value_of(i, v, sizeof v), len = sizeof got;
        int r = get(key_of(i), got, &len);
        if ((r != 0 || len != n || memcmp(v, got, n) != 0) && get_fail++ < 5)
            printf("FAIL many: key %d read back wrong (r=%d len=%zu want %zu)\n", i, r, len, n);
    }
    check(get_fail == 0, "many: keys read back", "%d wrong", get_fail);
    for (int i = 0; i < nkeys; i++)
        del_fail += put(key_of(i), NULL, 0) != 0;
    check(del_fail == 0, "many: deletes", "%d failed", del_fail);
    for (int i = 0; i < nkeys; i++) {
        size_t len = sizeof got;
        gone_fail += get(key_of(i), got, &len) != -1;
    }
    check(gone_fail == 0, "many: keys absent after delete", "%d still there", gone_fail);
}
