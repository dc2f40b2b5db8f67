/*
 * stdout and stderr. stdout is line-buffered: a line becomes one console hypercall (one host
 * write), which keeps lines whole when the host interleaves output; a line longer than the buffer
 * goes out in pieces. stderr is unbuffered and flushes stdout first, so the two stay in order.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/defs.h"
#include "kernel/x86.h"

#define BUFSIZE 1024

struct hkv_file {
    int fd;
    size_t n;
    char *buf; /* NULL: unbuffered */
};

static char stdout_buf[BUFSIZE];
static struct hkv_file out = {1, 0, stdout_buf};
static struct hkv_file err = {2, 0, 0};
FILE *const stdout = &out;
FILE *const stderr = &err;

static void flush(FILE *f)
{
    if (f->buf && f->n > 0) {
        console_write(f->fd, f->buf, f->n);
        f->n = 0;
    }
}

/* Disabling interrupts is the lock: threads (later) must not interleave inside a buffer. */
static void write_bytes(FILE *f, const char *s, size_t len)
{
    uint32_t fl = irq_save();
    if (f->buf == 0) {
        flush(stdout);
        console_write(f->fd, s, len);
        irq_restore(fl);
        return;
    }
    while (len > 0) {
        size_t k = BUFSIZE - f->n < len ? BUFSIZE - f->n : len;
        const char *nl = memchr(s, '\n', k);
        if (nl)
            k = (size_t)(nl - s) + 1;
        memcpy(f->buf + f->n, s, k);
        f->n += k;
        s += k;
        len -= k;
        if (nl || f->n == BUFSIZE)
            flush(f);
    }
    irq_restore(fl);
}

/* For printf.c: output already formatted. */
void hkv_stdio_write(FILE *f, const char *s, size_t len)
{
    write_bytes(f, s, len);
}

int fflush(FILE *f)
{
    uint32_t fl = irq_save();
    if (f == 0) {
        flush(stdout);
        flush(stderr);
    } else {
        flush(f);
    }
    irq_restore(fl);
    return 0;
}

int fputs(const char *s, FILE *f)
{
    write_bytes(f, s, strlen(s));
    return 0;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    write_bytes(f, &ch, 1);
    return (unsigned char)ch;
}

int puts(const char *s)
{
    uint32_t fl = irq_save(); /* the line and its newline stay one write */
    fputs(s, stdout);
    fputc('\n', stdout);
    irq_restore(fl);
    return 0;
}

int putchar(int c)
{
    return fputc(c, stdout);
}

void console_flush(void)
{
    fflush(0);
}
