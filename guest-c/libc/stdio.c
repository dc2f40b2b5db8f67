/*
 * stdout and stderr, with one buffer per thread and stream (struct linebuf in kernel/proc.h).
 *
 * Why per thread: a line is built by one thread, often over several calls (printf("a");
 * printf("b\n")), and must reach the host as one console hypercall, whole. With a shared buffer
 * that needs a lock held from the first piece of a line to its newline, across calls; with a
 * buffer of its own each thread builds its lines undisturbed, and the hypercall that hands a
 * finished line to the host is the only shared step (console_write keeps interrupts off for it,
 * a few µs). So there is no stdio lock at all, nobody sleeps or spins for output, and lines from
 * different threads never interleave mid-line; they appear in the order they were finished.
 *
 * stdout is line-buffered: a line becomes one console write (a line longer than the buffer goes
 * out in pieces). stderr is buffered for the length of one call (one fprintf is one write) and
 * first flushes the thread's stdout, so that a thread's own output stays in order. exit() and a
 * fault report flush every thread's buffers.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/defs.h"
#include "kernel/proc.h"
#include "kernel/x86.h"

struct hkv_file {
    int fd;
};

static struct hkv_file out = {1};
static struct hkv_file err = {2};
FILE *const stdout = &out;
FILE *const stderr = &err;

/*
 * Interrupts off so that exit() flushing every thread's buffers cannot send a buffer whose owner
 * was preempted halfway through flushing it.
 */
static void flush(int fd, struct linebuf *b)
{
    uint32_t f = irq_save();
    size_t n = b->n;
    b->n = 0;
    if (n > 0)
        console_write(fd, b->buf, n);
    irq_restore(f);
}

static void write_bytes(FILE *f, const char *s, size_t len)
{
    struct linebuf *b = thread_linebuf(f->fd);
    if (f->fd == 2)
        flush(1, thread_linebuf(1));
    while (len > 0) {
        size_t k = LINEBUF - b->n < len ? LINEBUF - b->n : len;
        const char *nl = f->fd == 1 ? memchr(s, '\n', k) : 0;
        if (nl)
            k = (size_t)(nl - s) + 1;
        memcpy(b->buf + b->n, s, k);
        b->n += k;
        s += k;
        len -= k;
        if (nl || b->n == LINEBUF)
            flush(f->fd, b);
    }
}

/* For printf.c: output already formatted, and the end of one call. */
void hkv_stdio_write(FILE *f, const char *s, size_t len)
{
    write_bytes(f, s, len);
}

void hkv_stdio_end(FILE *f)
{
    if (f->fd == 2)
        flush(2, thread_linebuf(2));
}

int fflush(FILE *f)
{
    if (f == 0) {
        stdio_flush_thread();
    } else {
        flush(f->fd, thread_linebuf(f->fd));
    }
    return 0;
}

int fputs(const char *s, FILE *f)
{
    write_bytes(f, s, strlen(s));
    hkv_stdio_end(f);
    return 0;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    write_bytes(f, &ch, 1);
    hkv_stdio_end(f);
    return (unsigned char)ch;
}

int puts(const char *s)
{
    write_bytes(stdout, s, strlen(s));
    write_bytes(stdout, "\n", 1);
    return 0;
}

int putchar(int c)
{
    return fputc(c, stdout);
}

void stdio_flush_thread(void)
{
    flush(1, thread_linebuf(1));
    flush(2, thread_linebuf(2));
}

void console_flush(void)
{
    proc_flush_output(flush);
}
