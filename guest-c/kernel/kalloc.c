/*
 * The physical page allocator: every RAM page the multiboot memory map calls available and that
 * lies above the kernel image (and above the loader's boot information). One bit per page (set:
 * in use), kept in the first free pages, so runs of contiguous pages can be handed out; malloc
 * asks for runs. Memory is identity-mapped, so a page's address is its physical address.
 * Interrupt handlers never allocate; disabling interrupts is the lock (one CPU): it holds across
 * thread switches too, since a thread is only preempted by an interrupt. Runs are only asked for
 * when the heap grows and when a thread is created, so the bitmap scan stays rare.
 */
#include <stdint.h>
#include <string.h>
#include "defs.h"
#include "multiboot.h"
#include "x86.h"

#define RAM_LIMIT 0xFFFFF000ULL /* 32-bit physical addresses only */

extern char kernel_start[], kernel_end[]; /* link.ld */

static uint32_t *bitmap;
static uint32_t npages;  /* pages covered by the bitmap: [0, npages * PGSIZE) */
static uint32_t nfree;
static uint32_t next_fit; /* where the last search ended: spreads the scan cost */

static uint32_t page_up(uint64_t a) { return (uint32_t)((a + PGSIZE - 1) / PGSIZE); }
static uint32_t page_down(uint64_t a) { return (uint32_t)(a / PGSIZE); }
static int used(uint32_t pg) { return (bitmap[pg / 32] >> (pg % 32)) & 1; }
static void set_used(uint32_t pg) { bitmap[pg / 32] |= 1u << (pg % 32); }
static void set_free(uint32_t pg) { bitmap[pg / 32] &= ~(1u << (pg % 32)); }

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* End of everything we must not hand out: the kernel and any boot data the loader put above it. */
static uint64_t reserved_end(const struct multiboot_info *mbi)
{
    uint64_t end = (uintptr_t)kernel_end;
    uint64_t start = (uintptr_t)kernel_start;
    uint64_t mb = (uintptr_t)mbi;
    if (mb >= start)
        end = max64(end, mb + sizeof(*mbi));
    if ((mbi->flags & MULTIBOOT_INFO_MEM_MAP) && mbi->mmap_addr >= start)
        end = max64(end, (uint64_t)mbi->mmap_addr + mbi->mmap_length);
    return end;
}

/* Calls fn(lo, hi) for each available range [lo, hi) below RAM_LIMIT. */
static void each_range(const struct multiboot_info *mbi, void (*fn)(uint64_t, uint64_t))
{
    if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP)) {
        fn(0x100000, 0x100000 + (uint64_t)mbi->mem_upper * 1024);
        return;
    }
    uint32_t p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
    while (p + sizeof(struct multiboot_mmap_entry) <= end) {
        const struct multiboot_mmap_entry *e = (const void *)(uintptr_t)p;
        if (e->type == MULTIBOOT_MEMORY_AVAILABLE && e->addr < RAM_LIMIT) {
            uint64_t hi = e->addr + e->len;
            fn(e->addr, hi < RAM_LIMIT ? hi : RAM_LIMIT);
        }
        p += e->size + 4;
    }
}

static uint64_t ram_top;
static void note_top(uint64_t lo, uint64_t hi) { (void)lo; ram_top = max64(ram_top, hi); }

static uint64_t free_from; /* first byte the pass below may free */
static void free_range(uint64_t lo, uint64_t hi)
{
    for (uint32_t pg = page_up(max64(lo, free_from)); pg < page_down(hi); pg++) {
        if (used(pg)) {
            set_free(pg);
            nfree++;
        }
    }
}

void kalloc_init(const struct multiboot_info *mbi)
{
    each_range(mbi, note_top);
    npages = page_down(ram_top);
    /* The bitmap sits right above the kernel, in the RAM that follows it. */
    uint64_t start = (uint64_t)page_up(reserved_end(mbi)) * PGSIZE;
    uint32_t words = (npages + 31) / 32;
    bitmap = (uint32_t *)(uintptr_t)start;
    memset(bitmap, 0xFF, words * 4);
    free_from = start + words * 4;
    each_range(mbi, free_range);
}

/* n contiguous pages, or NULL. Not zeroed. */
void *kalloc_pages(size_t n)
{
    if (n == 0 || n > npages)
        return 0;
    uint32_t f = irq_save();
    void *res = 0;
    uint32_t scanned = 0, run = 0, pg = next_fit;
    while (scanned < npages + n) {
        if (pg >= npages) {
            pg = 0;
            run = 0; /* a run cannot wrap around the end */
        }
        if (run == 0 && pg % 32 == 0 && bitmap[pg / 32] == 0xFFFFFFFF) {
            pg += 32; /* skip a full word of used pages at once */
            scanned += 32;
            continue;
        }
        run = used(pg) ? 0 : run + 1;
        pg++;
        scanned++;
        if (run == n) {
            uint32_t first = pg - n;
            for (uint32_t i = first; i < pg; i++)
                set_used(i);
            nfree -= n;
            next_fit = pg;
            res = (void *)(uintptr_t)(first * PGSIZE);
            break;
        }
    }
    irq_restore(f);
    return res;
}

void kfree_pages(void *p, size_t n)
{
    uint32_t f = irq_save();
    for (uint32_t pg = page_down((uintptr_t)p); n > 0; pg++, n--) {
        if (!used(pg))
            continue; /* already free: a double free; ignore rather than corrupt the count */
        set_free(pg);
        nfree++;
    }
    irq_restore(f);
}

size_t kalloc_free_pages(void) { return nfree; }
uint32_t kalloc_ram_end(void) { return npages * PGSIZE; }
