/*
 * <stdlib.h> for the hermitkv guest.
 *
 * Provided: malloc, free, calloc, realloc (16-byte aligned blocks from a first-fit, address-ordered
 * free list that coalesces neighbours; memory comes from the page allocator, i.e. the machine's RAM
 * above the kernel), exit, abort, atoi, atol, strtol, strtoul, strtoll, strtoull, abs, labs,
 * llabs, qsort, rand, srand (RAND_MAX 0x7fffffff; a 64-bit LCG, not for cryptography; one
 * sequence shared by all threads, safe to call from any of them). malloc and friends are safe
 * from any thread (a sleeping lock; never from an interrupt handler).
 * exit(status), from any thread, flushes every thread's buffered output and ends the virtual
 * machine (and so every thread) with that status; returning from main does the same. abort()
 * exits with status 134 (128 + SIGABRT) like a shell would report.
 * Not provided: getenv, system, atexit, atof/strtod, bsearch, div.
 */
#ifndef _HKV_STDLIB_H
#define _HKV_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 0x7fffffff

void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void abort(void);

int atoi(const char *s);
long atol(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);

int abs(int x);
long labs(long x);
long long llabs(long long x);

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

int rand(void);
void srand(unsigned seed);

#endif
