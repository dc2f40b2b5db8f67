/* Ending the machine: the EXIT hypercall (port 0x540) with the address of an int32 status. */
#include <stdint.h>
#include "defs.h"
#include "uhyve.h"

void hkv_exit(int status)
{
    static volatile int32_t st;
    st = status;
    hypercall(HKV_PORT_EXIT, &st);
    /* The host stops the CPU at the outl; if it ever returns, stay halted with interrupts off. */
    for (;;)
        __asm__ volatile("cli; hlt");
}
