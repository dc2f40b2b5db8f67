/*
 * The KV frontend driver: the guest half of the split driver (the host's KV device is the other).
 * Shaped like xv6's virtio_disk.c: init, submit, interrupt handler.
 *
 * A request is a struct hkv_desc in guest memory (the caller's, usually on its stack). Submitting
 * is one outl of its address; the host copies the descriptor at once and writes status PENDING
 * (a completion will follow) or BUSY (its queue is full: nothing was taken, try again after the
 * next completion). On completion the host has written result_len and status (and GET bytes into
 * the caller's buffer), posts the tag on the completion port and pulses IRQ 11.
 *
 * Many requests in flight: every request owns one of NSLOT slots for its lifetime, and its tag is
 * the slot index plus a generation count in the upper bits, so a late or forged completion for a
 * reused slot is recognised and ignored. The submitting thread sleeps until its slot is done; the
 * interrupt handler drains every completion the host has posted and wakes exactly the threads
 * whose slots finished. More threads than slots sleep, FIFO, until a slot is freed.
 *
 * No lost wake-up: all of slots[], the queues and the decision to sleep are protected by
 * disabling interrupts (one CPU: the ISR is the only other party). hkv_submit keeps interrupts
 * off from taking the slot through the outl to the moment it is asleep, so the completion
 * interrupt, even if the host raises it before the outl returns, is delivered only after the
 * thread is marked SLEEPING with its slot's waiter set; the ISR then sets done and wakes it.
 * The sleep is a loop on `done`, so an early or spurious wake-up just sleeps again.
 */
#include <stdint.h>
#include <hermitkv/abi.h>
#include <hermitkv/kvdev.h>
#include "defs.h"
#include "proc.h"
#include "uhyve.h"

#define NSLOT 128
#define TAG_SLOT_BITS 8 /* tag = generation << 8 | slot: never HKV_NO_COMPLETION */
_Static_assert(NSLOT <= 1 << TAG_SLOT_BITS, "slot index fits the tag");

struct slot {
    struct hkv_desc *desc;  /* NULL: slot free */
    uint32_t tag;
    struct thread *waiter;  /* the submitting thread */
    int done;               /* set by the ISR */
};

/* Protected by disabling interrupts: the ISR is the only other party. */
static struct slot slots[NSLOT];
static int nbusy;               /* slots in use */
static struct waitq slot_wait;  /* threads waiting for a free slot */
static struct waitq busy_wait;  /* threads told BUSY, waiting for the next completion */
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

/* Requests submitted or about to be: while there are any, a completion interrupt will come. */
int kv_inflight(void)
{
    return nbusy;
}

/* Interrupts off. Sleeps (FIFO) while every slot is in flight. */
static struct slot *slot_alloc(struct hkv_desc *d)
{
    for (;;) {
        for (int i = 0; i < NSLOT; i++) {
            struct slot *s = &slots[i];
            if (s->desc == 0) {
                generation = (generation + 1) & (UINT32_MAX >> TAG_SLOT_BITS);
                s->desc = d;
                s->tag = generation << TAG_SLOT_BITS | (uint32_t)i;
                s->waiter = cur;
                s->done = 0;
                nbusy++;
                return s;
            }
        }
        thread_sleep(&slot_wait, 0); /* woken by slot_free */
    }
}

/* Interrupts off. */
static void slot_free(struct slot *s)
{
    s->desc = 0;
    s->waiter = 0;
    nbusy--;
    waitq_wake_one(&slot_wait);
}

/*
 * Interrupts off. Hand the descriptor to the host until it accepts it. The status is preset to
 * PENDING so that a host that fails to write it leaves us waiting for a completion rather than
 * resubmitting forever.
 */
static void submit(struct slot *s)
{
    volatile struct hkv_desc *d = s->desc;
    for (;;) {
        d->tag = s->tag;
        d->thread = cur->id;
        d->status = HKV_STATUS_PENDING;
        stats.submitted++;
        hypercall(HKV_PORT_KV_SUBMIT, d);
        if (d->status != HKV_STATUS_BUSY)
            return;
        /*
         * Queue full: nothing was taken. The host's queue holds only our requests, so a
         * completion will come and make room; the one-tick deadline is a safety net in case
         * room is made without an interrupt for us.
         */
        stats.busy++;
        thread_sleep(&busy_wait, rdtsc() + time_tsc_hz() / PIT_HZ);
    }
}

int hkv_submit(struct hkv_desc *d)
{
    uint32_t f = irq_save();
    struct slot *s = slot_alloc(d);
    submit(s);
    while (!s->done)
        thread_sleep(0, 0); /* woken by kv_intr for this slot */
    int status = ((volatile struct hkv_desc *)d)->status;
    slot_free(s);
    irq_restore(f);
    return status;
}

/* IRQ 11: drain the completion port, waking the thread of each finished slot. */
void kv_intr(void)
{
    uint32_t tag;
    int any = 0;
    while ((tag = inl(HKV_PORT_KV_COMPLETION)) != HKV_NO_COMPLETION) {
        uint32_t i = tag & ((1u << TAG_SLOT_BITS) - 1);
        if (i >= NSLOT || slots[i].desc == 0 || slots[i].tag != tag || slots[i].done) {
            stats.stray++; /* not a request of ours in flight: ignore it */
            continue;
        }
        slots[i].done = 1;
        thread_wake(slots[i].waiter);
        stats.completed++;
        any = 1;
    }
    if (any)
        waitq_wake_all(&busy_wait); /* the host's queue has room again */
}
