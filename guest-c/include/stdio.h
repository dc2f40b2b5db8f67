/*
 * <stdio.h> for the hermitkv guest: formatted output to the host console only.
 *
 * Provided: printf, vprintf, snprintf, vsnprintf, sprintf, vsprintf, puts, putchar, fflush,
 * fputs/fprintf/fputc/vfprintf on stdout and stderr.
 * Every thread has its own stdout and stderr buffers, so lines from different threads never
 * interleave mid-line (no lock is involved: see libc/stdio.c). stdout is line-buffered (one
 * console hypercall per line where the line fits the 1 KiB buffer); stderr is written at the end
 * of each call (one fprintf, one write) after the thread's pending stdout. fflush(NULL) and
 * fflush(stdout) flush the calling thread's buffers; exit() and a fault report flush everyone's,
 * and a thread's partial line goes out when it ends.
 * Conversions: %d %i %u %ld %li %lu %lld %lli %llu %zu %zd %x %X %lx %llx %o %p %s %c %f %F %%,
 * flags "-0+ #", width and precision (both may be "*"). %f prints |x| < 1e18 exactly rounded to
 * the precision (at most 18 digits); larger values print their leading 17 significant digits
 * followed by zeros. Not provided: input (scanf, getchar), files, %e/%g/%a, %n, wide characters.
 */
#ifndef _HKV_STDIO_H
#define _HKV_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct hkv_file FILE;
extern FILE *const stdout;
extern FILE *const stderr;

#define EOF (-1)

#define HKV_PRINTF(f, a) __attribute__((format(printf, f, a)))

int printf(const char *fmt, ...) HKV_PRINTF(1, 2);
int vprintf(const char *fmt, va_list ap) HKV_PRINTF(1, 0);
int fprintf(FILE *f, const char *fmt, ...) HKV_PRINTF(2, 3);
int vfprintf(FILE *f, const char *fmt, va_list ap) HKV_PRINTF(2, 0);
int sprintf(char *buf, const char *fmt, ...) HKV_PRINTF(2, 3);
int vsprintf(char *buf, const char *fmt, va_list ap) HKV_PRINTF(2, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) HKV_PRINTF(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) HKV_PRINTF(3, 0);
int puts(const char *s);
int putchar(int c);
int fputs(const char *s, FILE *f);
int fputc(int c, FILE *f);
int fflush(FILE *f); /* f == NULL flushes both */

#endif
