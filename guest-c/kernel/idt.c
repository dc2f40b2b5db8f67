/*
 * The interrupt descriptor table. Every vector the CPU or the 8259s can raise has a gate, so a
 * guest fault always reaches trap() and is reported instead of killing the emulator. Interrupt
 * gates (not trap gates) clear IF on entry: handlers run with interrupts off.
 */
#include <stdint.h>
#include "defs.h"
#include "trap.h"

struct gatedesc {
    uint16_t off_lo, sel;
    uint8_t zero, type_attr;
    uint16_t off_hi;
} __attribute__((packed));

struct idtr {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

#define GATE_INTR32 0x8E /* present, ring 0, 32-bit interrupt gate */

extern const uint32_t vectors[NVECTORS]; /* vectors.S */
static struct gatedesc idt[NVECTORS];

#define GATE_TASK 0x85 /* present, ring 0, task gate */

/* Vector goes through a task switch to the TSS sel: a fresh stack whatever state esp is in. */
void idt_set_task_gate(int vector, int sel)
{
    idt[vector].off_lo = 0;
    idt[vector].sel = (uint16_t)sel;
    idt[vector].zero = 0;
    idt[vector].type_attr = GATE_TASK;
    idt[vector].off_hi = 0;
}

void idt_init(void)
{
    static struct idtr r;
    for (int i = 0; i < NVECTORS; i++) {
        idt[i].off_lo = vectors[i] & 0xFFFF;
        idt[i].sel = SEG_KCODE;
        idt[i].zero = 0;
        idt[i].type_attr = GATE_INTR32;
        idt[i].off_hi = vectors[i] >> 16;
    }
    /* Vectors above 47 are outside the limit: "int $n" for them raises #GP, which is reported. */
    r.limit = sizeof(idt) - 1;
    r.base = (uint32_t)(uintptr_t)idt;
    __asm__ volatile("lidt %0" : : "m"(r));
}
