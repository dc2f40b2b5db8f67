/*
 * The KV frontend driver: the guest half of the split driver (the host's KV device is the other).
 * Shaped like xv6's virtio_disk.c: init, submit, interrupt handler.
 *
 * A request is a struct hkv_desc in guest memory (the caller's, usually on its stack). Submitting
 * is one outl of its address; the host copies the descriptor at once and writes status PENDING
 * (a completion will follow) or BUSY (its queue is full: nothing was taken, try again after the
 * next interrupt). On completion the host has written result_len and status (and GET bytes into
 * the caller's buffer), posts the tag on the completion port and pulses IRQ 11.
 *
 * Each request in flight owns one of NSLOT slots; its tag is the slot index plus a generation
 * count in the upper bits, so a late or forged completion for a reused slot is recognised and
 * ignored. The ISR marks slots done; a submitter sleeps (sti; hlt) until its slot is done. With
 * threads, kv_wait becomes sleep-on-slot and the ISR's mark becomes a wakeup: nothing else changes,
 * and up to NSLOT requests can be in flight at once.
 */
#include <stdint.h>
#include <hermitkv/abi.h>
#include <hermitkv/kvdev.h>
#include "defs.h"
#include "uhyve.h"

#define NSLOT 64
#define TAG_SLOT_BITS 8 /* tag = generation << 8 | slot: never HKV_NO_COMPLETION */

struct slot {
    struct hkv_desc *desc; /* NULL: slot free */
    uint32_t tag;
    volatile int done;     /* set by the ISR */
};

/* Protected by disabling interrupts: the ISR is the only other party. */
static struct slot slots[NSLOT];
static uint32_t generation;
static struct {
    uint32_t submitted, busy, completed, stray;
} stats;

void kv_init(void)
{
    while (inl(HKV_PORT_KV_COMPLETION) != HKV_NO_COMPLETION)
        ; /* nothing of ours can be in flight yet: drop anything stale */
    pic_enable(HKV_KV_IRQ);
}

/* Halt until any interrupt. Called and returns with interrupts off. */
static void wait_interrupt(void)
{
    sti_hlt();
    cli();
}

static struct slot *slot_alloc(struct hkv_desc *d)
{
    for (;;) {
        for (int i = 0; i < NSLOT; i++) {
            struct slot *s = &slots[i];
            if (s->desc == 0) {
                generation = (generation + 1) & (UINT32_MAX >> TAG_SLOT_BITS);
                s->desc = d;
                s->tag = generation << TAG_SLOT_BITS | (uint32_t)i;
                s->done = 0;
                return s;
            }
        }
        wait_interrupt(); /* every slot in flight: a completion will free one */
    }
}

/*
 * Hand the descriptor to the host until it accepts it. The status is preset to PENDING so that a
 * host that fails to write it leaves us waiting for a completion rather than resubmitting forever.
 */
static void submit(struct slot *s)
{
    volatile struct hkv_desc *d = s->desc;
    for (;;) {
        d->tag = s->tag;
        d->status = HKV_STATUS_PENDING;
        stats.submitted++;
        hypercall(HKV_PORT_KV_SUBMIT, d);
        if (d->status != HKV_STATUS_BUSY)
            return;
        /*
         * Queue full: nothing was taken. A completion will make room; the timer tick bounds the
         * wait in case the room is made without an interrupt for us.
         */
        stats.busy++;
        wait_interrupt();
    }
}

/* Sleep until the ISR marks the slot done. Called and returns with interrupts off. */
static void kv_wait(struct slot *s)
{
    while (!s->done)
        wait_interrupt();
}

int hkv_submit(struct hkv_desc *d)
{
    uint32_t f = irq_save();
    struct slot *s = slot_alloc(d);
    submit(s);
    kv_wait(s);
    int status = ((volatile struct hkv_desc *)d)->status;
    s->desc = 0;
    irq_restore(f);
    return status;
}

/* IRQ 11: drain the completion port, marking each finished slot. */
void kv_intr(void)
{
    uint32_t tag;
    while ((tag = inl(HKV_PORT_KV_COMPLETION)) != HKV_NO_COMPLETION) {
        uint32_t i = tag & ((1u << TAG_SLOT_BITS) - 1);
        if (i >= NSLOT || slots[i].desc == 0 || slots[i].tag != tag || slots[i].done) {
            stats.stray++; /* not a request of ours in flight: ignore it */
            continue;
        }
        slots[i].done = 1;
        stats.completed++;
    }
}
