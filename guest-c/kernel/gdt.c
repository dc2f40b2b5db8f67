/*
 * The global descriptor table: flat 4 GiB code and data segments for ring 0. Everything (kernel,
 * libc, app) runs in ring 0 of one address space: this is a unikernel. The loader's segments are
 * flat too, but the GDTR is 0, so the first interrupt or far jump would fault without this.
 */
#include <stdint.h>
#include "defs.h"

struct segdesc {
    uint16_t limit_lo, base_lo;
    uint8_t base_mid, access, limit_hi_flags, base_hi;
} __attribute__((packed));

struct gdtr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

#define SEG(access) {0xFFFF, 0, 0, (access), 0xCF /* 4 KiB granularity, 32-bit, limit 19:16 */, 0}

static struct segdesc gdt[] = {
    {0, 0, 0, 0, 0, 0},
    SEG(0x9A), /* SEG_KCODE: present, ring 0, code, readable */
    SEG(0x92), /* SEG_KDATA: present, ring 0, data, writable */
    {0, 0, 0, 0, 0, 0}, /* SEG_TSS_MAIN, filled in by gdt_set_tss */
    {0, 0, 0, 0, 0, 0}, /* SEG_TSS_FAULT */
};

/* A 32-bit available TSS descriptor (vm.c: the page-fault task gate needs two tasks). */
void gdt_set_tss(int sel, const void *tss, uint32_t size)
{
    uint32_t base = (uint32_t)(uintptr_t)tss, limit = size - 1;
    struct segdesc *d = &gdt[sel / 8];
    d->limit_lo = limit & 0xFFFF;
    d->base_lo = base & 0xFFFF;
    d->base_mid = (base >> 16) & 0xFF;
    d->access = 0x89; /* present, ring 0, 32-bit TSS, not busy */
    d->limit_hi_flags = (limit >> 16) & 0x0F;
    d->base_hi = base >> 24;
}

void gdt_init(void)
{
    static struct gdtr r;
    r.limit = sizeof(gdt) - 1;
    r.base = (uint32_t)(uintptr_t)gdt;
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     "movw %%ax, %%ss"
                     :
                     : "m"(r), "i"(SEG_KCODE), "i"(SEG_KDATA)
                     : "eax", "memory");
}
