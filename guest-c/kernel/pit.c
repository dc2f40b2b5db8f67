/*
 * The 8253/8254 programmable interval timer, channel 0 on IRQ 0, at PIT_HZ. The tick drives
 * preemption and ends timed sleeps (sched.c), bounds how long a BUSY submitter waits (kv.c), and
 * calibrates the TSC (time.c). 1000 Hz: timed sleeps end within about 1 ms and a time slice is a
 * few ticks; an idle guest still halts between ticks, and a tick costs the emulator a few µs.
 */
#include <stdint.h>
#include "defs.h"
#include "x86.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43

static volatile uint32_t ticks;

void pit_init(void)
{
    uint32_t divisor = (PIT_INPUT_HZ + PIT_HZ / 2) / PIT_HZ;
    outb(PIT_MODE, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, divisor >> 8);
    pic_enable(0);
}

void pit_intr(void)
{
    ticks++;
}

uint32_t pit_ticks(void)
{
    return ticks;
}

/*
 * Channel 2 as a free-running stopwatch for time.c: counts down from 0xFFFF at PIT_INPUT_HZ and
 * wraps every ~55 ms, raising no interrupt. Unlike the tick count, it cannot lose time when the
 * emulator delivers ticks late (v86 merges overdue ticks into one). On a real PC its gate is
 * port 0x61 bit 0; v86 ignores the gate, and setting it would switch on the PC speaker there.
 */
void pit_stopwatch_start(void)
{
    outb(PIT_MODE, 0xB4); /* channel 2, lobyte/hibyte, mode 2, binary */
    outb(PIT_CH2, 0xFF);
    outb(PIT_CH2, 0xFF);
}

uint16_t pit_stopwatch_read(void)
{
    uint32_t f = irq_save(); /* latch and both reads must not be split */
    outb(PIT_MODE, 0x80);    /* latch channel 2 */
    uint16_t lo = inb(PIT_CH2);
    uint16_t hi = inb(PIT_CH2);
    irq_restore(f);
    return (uint16_t)(hi << 8 | lo);
}
