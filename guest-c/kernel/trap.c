/*
 * Interrupt and exception dispatch. Device interrupts go to their drivers; a CPU exception is a
 * bug in the guest: report it on the console and end the machine with status 128 + vector (the
 * way a shell reports a process killed by a signal), never hang or crash the emulator.
 */
#include <stdio.h>
#include "defs.h"
#include "trap.h"

static const char *const exception_names[32] = {
    "Divide Error", "Debug", "Non-Maskable Interrupt", "Breakpoint", "Overflow",
    "BOUND Range Exceeded", "Invalid Opcode", "Device Not Available", "Double Fault",
    "Coprocessor Segment Overrun", "Invalid TSS", "Segment Not Present", "Stack-Segment Fault",
    "General Protection", "Page Fault", "Reserved (15)", "x87 Floating-Point Error",
    "Alignment Check", "Machine Check", "SIMD Floating-Point Exception", "Virtualization",
    "Control Protection", "Reserved (22)", "Reserved (23)", "Reserved (24)", "Reserved (25)",
    "Reserved (26)", "Reserved (27)", "Hypervisor Injection", "VMM Communication",
    "Security Exception", "Reserved (31)",
};

static int in_fault; /* a fault while reporting a fault: skip the report, just exit */

static __attribute__((noreturn)) void fault(struct trapframe *tf)
{
    uint32_t cr2;
    if (in_fault++)
        hkv_exit(128 + (int)tf->trapno);
    /* Whatever the app printed comes first, then the report on stderr. */
    console_flush();
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    fprintf(stderr,
            "hermitkv: guest fault: %s (vector %u, error code 0x%x)\n"
            "  eip 0x%08x  cs 0x%04x  eflags 0x%08x  cr2 0x%08x\n"
            "  eax 0x%08x  ebx 0x%08x  ecx 0x%08x  edx 0x%08x\n"
            "  esi 0x%08x  edi 0x%08x  ebp 0x%08x  esp 0x%08x\n"
            "  ds 0x%04x  es 0x%04x  fs 0x%04x  gs 0x%04x\n"
            "hermitkv: exiting with status %u\n",
            exception_names[tf->trapno], tf->trapno, tf->err, tf->eip, tf->cs, tf->eflags, cr2,
            tf->eax, tf->ebx, tf->ecx, tf->edx, tf->esi, tf->edi, tf->ebp,
            (uint32_t)(uintptr_t)(&tf->eflags + 1), tf->ds, tf->es, tf->fs, tf->gs,
            128 + tf->trapno);
    hkv_exit(128 + (int)tf->trapno);
}

static void irq(int n)
{
    if (pic_spurious(n))
        return; /* no EOI for a spurious interrupt */
    switch (n) {
    case 0:
        pit_intr();
        break;
    case 11:
        kv_intr();
        break;
    default:
        break; /* masked lines never get here; ignore anything else */
    }
    pic_eoi(n);
}

void trap(struct trapframe *tf)
{
    if (tf->trapno < T_IRQ0)
        fault(tf);
    irq((int)(tf->trapno - T_IRQ0));
}
