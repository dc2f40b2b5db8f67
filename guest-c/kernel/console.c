/*
 * The console: the WRITE hypercall (port 0x400) that hands the host a buffer for fd 1 or 2.
 * Buffering lives in libc/stdio.c; this is the one place that talks to the host. Interrupts are
 * off for the few hypercalls of one buffer (normally one), so no other thread's output lands in
 * the middle of it when the host takes a buffer in pieces.
 */
#include <stdint.h>
#include "defs.h"
#include "uhyve.h"
#include "x86.h"

void console_write(int fd, const char *buf, size_t len)
{
    uint32_t f = irq_save();
    while (len > 0) {
        volatile struct hkv_write w = {fd, gpa(buf), len};
        hypercall(HKV_PORT_WRITE, &w);
        uint32_t done = w.len; /* the host writes back how many bytes it took */
        if (done == 0 || done > len)
            break; /* a host that takes nothing would make us loop forever */
        buf += done;
        len -= done;
    }
    irq_restore(f);
}
