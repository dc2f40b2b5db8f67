/*
 * The two 8259A interrupt controllers, cascaded on master line 2. Without a BIOS nobody has
 * programmed them: remap IRQ 0-15 to vectors 32-47 (clear of the CPU exceptions) and keep every
 * line masked except those a driver enables. Edge-triggered: the host must pulse a line per event.
 */
#include <stdint.h>
#include "defs.h"
#include "trap.h"
#include "x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0B
#define CASCADE_IRQ 2

static uint16_t mask = 0xFFFF; /* bit n set: IRQ n masked */

static void write_mask(void)
{
    outb(PIC1_DATA, mask & 0xFF);
    outb(PIC2_DATA, mask >> 8);
}

void pic_init(void)
{
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
    outb(PIC1_CMD, 0x11);          /* ICW1: init, edge-triggered, cascade, ICW4 follows */
    outb(PIC1_DATA, T_IRQ0);       /* ICW2: vector base */
    outb(PIC1_DATA, 1 << CASCADE_IRQ); /* ICW3: slave on line 2 */
    outb(PIC1_DATA, 0x01);         /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_CMD, 0x11);
    outb(PIC2_DATA, T_IRQ0 + 8);
    outb(PIC2_DATA, CASCADE_IRQ);  /* ICW3: slave identity */
    outb(PIC2_DATA, 0x01);
    mask = 0xFFFF;
    write_mask();
}

/* Unmask irq (and the cascade line, without which no slave interrupt reaches the CPU). */
void pic_enable(int irq)
{
    uint32_t f = irq_save();
    mask &= ~(1u << irq);
    if (irq >= 8)
        mask &= ~(1u << CASCADE_IRQ);
    write_mask();
    irq_restore(f);
}

static uint8_t read_isr(uint16_t cmd)
{
    outb(cmd, PIC_READ_ISR);
    return inb(cmd);
}

/*
 * IRQ 7 and 15 also arrive when a request vanished before the CPU acknowledged it; the in-service
 * bit tells a real one from a spurious one. A spurious 15 still needs an EOI on the master.
 */
int pic_spurious(int irq)
{
    if (irq == 7 && !(read_isr(PIC1_CMD) & 0x80))
        return 1;
    if (irq == 15 && !(read_isr(PIC2_CMD) & 0x80)) {
        outb(PIC1_CMD, PIC_EOI);
        return 1;
    }
    return 0;
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}
