/* The stack frame that vectors.S builds for every interrupt and exception. */
#ifndef HKV_TRAP_H
#define HKV_TRAP_H

#include <stdint.h>

#define T_IRQ0 32 /* the 8259s deliver IRQ n as vector T_IRQ0 + n */
#define NVECTORS 48

struct trapframe {
    /* pushal */
    uint32_t edi, esi, ebp, oesp, ebx, edx, ecx, eax;
    /* segment registers, pushed as 32-bit slots */
    uint16_t gs, pad1, fs, pad2, es, pad3, ds, pad4;
    uint32_t trapno;
    uint32_t err; /* the CPU's error code, or 0 when the exception has none */
    /* pushed by the CPU; no privilege change, so no esp/ss */
    uint32_t eip;
    uint16_t cs, pad5;
    uint32_t eflags;
};

#endif
