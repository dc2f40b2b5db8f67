/*
 * malloc, free, calloc, realloc: a first-fit allocator over an address-ordered, circular free list
 * (the K&R design). Blocks are multiples of 16 bytes with a 16-byte header, so every pointer handed
 * out is 16-byte aligned. free() merges a block with free neighbours on both sides, so the heap does
 * not fragment into slivers. Memory comes from kalloc_pages in runs of at least MIN_GROW bytes and is
 * never given back (a unikernel's heap only lives as long as its one app).
 * The lock is a sleeplock, not "interrupts off": a first-fit walk over a fragmented free list can
 * be long, and timer and device interrupts should not wait for it. Interrupt handlers never
 * allocate, so nothing below can deadlock against them; a preempted allocation simply keeps the
 * lock and other threads that want memory sleep until it is done.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "defs.h"
#include "sleeplock.h"

#define UNIT 16
#define MIN_GROW (64 * 1024)
#define IN_USE ((union header *)0x600DB10C) /* next of an allocated block: catches bad frees */

union header {
    struct {
        union header *next; /* free: next free block by address; allocated: IN_USE */
        size_t units;       /* size of the block in UNITs, header included */
    } h;
    _Alignas(UNIT) char pad[UNIT];
};
_Static_assert(sizeof(union header) == UNIT, "header is one unit");

static union header base;    /* a zero-size block that anchors the circular list */
static union header *freep;  /* where the last search ended */
static struct sleeplock lock; /* protects base, freep and the free list */

/* Block addresses compared as integers: the blocks are not parts of one C object. */
static uintptr_t addr(const union header *b) { return (uintptr_t)b; }
static uintptr_t end_of(const union header *b) { return addr(b) + b->h.units * UNIT; }

/* Insert block b into the free list, merging it with the free blocks it touches. */
static void insert_free(union header *b)
{
    union header *p = freep;
    while (!(addr(b) > addr(p) && addr(b) < addr(p->h.next))) {
        if (addr(p) >= addr(p->h.next) && (addr(b) > addr(p) || addr(b) < addr(p->h.next)))
            break; /* b lies beyond either end of the list */
        p = p->h.next;
    }
    if (end_of(b) == addr(p->h.next)) {
        b->h.units += p->h.next->h.units;
        b->h.next = p->h.next->h.next;
    } else {
        b->h.next = p->h.next;
    }
    if (end_of(p) == addr(b)) {
        p->h.units += b->h.units;
        p->h.next = b->h.next;
    } else {
        p->h.next = b;
    }
    freep = p;
}

static int grow(size_t units)
{
    size_t bytes = units * UNIT < MIN_GROW ? MIN_GROW : units * UNIT;
    size_t npages = (bytes + PGSIZE - 1) / PGSIZE;
    union header *b = kalloc_pages(npages);
    if (b == 0)
        return -1;
    b->h.units = npages * PGSIZE / UNIT;
    insert_free(b);
    return 0;
}

/* First fit from freep; split from the tail so the free block stays in place. */
static void *take(size_t units)
{
    union header *prev = freep;
    for (union header *p = prev->h.next;; prev = p, p = p->h.next) {
        if (p->h.units >= units) {
            if (p->h.units == units) {
                prev->h.next = p->h.next;
            } else {
                p->h.units -= units;
                p = (union header *)end_of(p); /* the tail of the free block */
                p->h.units = units;
            }
            freep = prev;
            p->h.next = IN_USE;
            return p + 1;
        }
        if (p == freep)
            return 0; /* went all the way round */
    }
}

void *malloc(size_t size)
{
    if (size > SIZE_MAX / 2)
        return 0;
    size_t units = (size + UNIT - 1) / UNIT + 1;
    sleeplock_acquire(&lock);
    if (freep == 0) {
        base.h.next = freep = &base;
        base.h.units = 0;
    }
    void *p = take(units);
    if (p == 0 && grow(units) == 0)
        p = take(units);
    sleeplock_release(&lock);
    return p;
}

void free(void *ptr)
{
    if (ptr == 0)
        return;
    union header *b = (union header *)ptr - 1;
    if (b->h.next != IN_USE) {
        fprintf(stderr, "hermitkv: free(%p): not an allocated block (double free?)\n", ptr);
        abort();
    }
    sleeplock_acquire(&lock);
    insert_free(b);
    sleeplock_release(&lock);
}

void *calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return 0;
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (ptr == 0)
        return malloc(size);
    if (size == 0) {
        free(ptr);
        return 0;
    }
    union header *b = (union header *)ptr - 1;
    size_t have = (b->h.units - 1) * UNIT;
    if (size <= have)
        return ptr;
    void *n = malloc(size);
    if (n == 0)
        return 0; /* the old block stays valid, as C requires */
    memcpy(n, ptr, have);
    free(ptr);
    return n;
}
