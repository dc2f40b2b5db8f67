/* Inline wrappers for the x86 instructions that C cannot express. */
#ifndef HKV_X86_H
#define HKV_X86_H

#include <stdint.h>

#define FL_IF 0x200 /* EFLAGS: interrupts enabled */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* "memory": the host reads or writes guest memory during the port access. */
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static inline void cli(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void sti(void) { __asm__ volatile("sti" : : : "memory"); }

/*
 * Enable interrupts and halt until one arrives. sti takes effect after the next instruction, so
 * no interrupt can slip in between and the wake-up cannot be lost.
 */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }

static inline uint32_t read_eflags(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0" : "=r"(f));
    return f;
}

/* Disable interrupts and return the previous EFLAGS, for irq_restore. */
static inline uint32_t irq_save(void)
{
    uint32_t f = read_eflags();
    cli();
    return f;
}

static inline void irq_restore(uint32_t f)
{
    if (f & FL_IF)
        sti();
}

/*
 * The x87 state of a thread (108 bytes): fnsave stores it and reinitialises the FPU, frstor loads
 * it back. The no-wait forms never raise a pending FPU exception inside the scheduler.
 */
#define FPU_STATE_SIZE 108
static inline void fnsave(void *area) { __asm__ volatile("fnsave %0" : "=m"(*(char (*)[FPU_STATE_SIZE])area)); }
static inline void frstor(const void *area) { __asm__ volatile("frstor %0" : : "m"(*(const char (*)[FPU_STATE_SIZE])area)); }
static inline void fninit(void) { __asm__ volatile("fninit"); }

static inline uint32_t read_esp(void)
{
    uint32_t sp;
    __asm__ volatile("movl %%esp, %0" : "=r"(sp));
    return sp;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#endif
