/* The test harness of kvtest: counts checks, prints one line per failure. */
#ifndef KVTEST_CHECK_H
#define KVTEST_CHECK_H

#include <stddef.h>

/* Records one check; on failure prints "FAIL <name>: <detail>". Returns ok. */
int check(int ok, const char *name, const char *detail_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Store-level checks built on check(). */
int expect_put(const char *name, const char *key, const void *v, size_t n);
int expect_get(const char *name, const char *key, const void *v, size_t n);
int expect_absent(const char *name, const char *key);

/* key = the run's unique prefix followed by suffix (into a static rotating buffer). */
char *K(const char *suffix);
/* Same, for a suffix of n bytes that are not NUL-terminated (may be long). */
char *Kn(const char *suffix, size_t n);
void set_prefix(const char *prefix);

int report(void); /* prints "N passed, N failed"; returns the exit status */

#endif
