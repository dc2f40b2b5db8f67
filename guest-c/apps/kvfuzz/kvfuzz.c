/*
 * kvfuzz: a seeded stream of random, mostly malformed KV hypercalls. Every malformed descriptor
 * must be answered with an error status (never OK), valid put/get interleaved with them must
 * still return the right bytes, and canary regions the host is never given must be intact at the
 * end. Usage: kvfuzz [seed] [count] (defaults 1, 100000). Prints one "KVFUZZ {json}" line with
 * the answers by status and ends with "N passed, N failed".
 */
#include <hermitkv/kvdev.h>
#include <kv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CANARY_SIZE 4096
#define CANARY_BYTE(i) ((unsigned char)(0xA5u ^ (unsigned)(i) * 31u))
#define NSTATUS 9

static unsigned char canary_lo[CANARY_SIZE];
static char key[] = "kvfuzz/victim";
static char value[HKV_MAX_VALUE_LEN + 64];
static char scratch[HKV_MAX_VALUE_LEN + 64]; /* the only guest buffer a malformed GET may name */
static unsigned char canary_hi[CANARY_SIZE];

static int passed, failed;
static unsigned long by_status[NSTATUS + 1]; /* last slot: statuses outside the ABI */
static unsigned long malformed, valid_ops, port_pokes;
static uint32_t rng;

/* xorshift32: deterministic per seed so a failure can be replayed exactly. */
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void expect(int ok, const char *name, unsigned long i, int status)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    if (failed <= 20) printf("FAIL %s (call %lu): status %d\n", name, i, status);
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void fill_canaries(void)
{
    for (int i = 0; i < CANARY_SIZE; i++) canary_lo[i] = canary_hi[i] = CANARY_BYTE(i);
}

static int canaries_intact(void)
{
    for (int i = 0; i < CANARY_SIZE; i++)
        if (canary_lo[i] != CANARY_BYTE(i) || canary_hi[i] != CANARY_BYTE(i)) return 0;
    return 1;
}

/* An address the host must refuse: past RAM, wrapping past 4 GiB, or an unaligned huge one. */
static uint32_t wild_addr(void)
{
    switch (next() % 4) {
    case 0: return 0xF0000000u + (next() & 0x0FFFFFF0u);
    case 1: return 0xFFFFFFFFu - (next() & 0xFF);
    case 2: return 0x80000000u | next();
    default: return 0xFFFFF000u + (next() & 0xFFF);
    }
}

static struct hkv_desc base(void)
{
    struct hkv_desc d = {0};
    d.op = (next() & 1) ? HKV_OP_PUT : HKV_OP_GET;
    d.key_addr = (uint32_t)(uintptr_t)key;
    d.key_len = (uint32_t)strlen(key);
    d.val_addr = (uint32_t)(uintptr_t)(d.op == HKV_OP_PUT ? value : scratch);
    d.val_len = 1 + next() % 64;
    return d;
}

/* One descriptor that breaks exactly one or more rules; the host must not answer OK. */
static struct hkv_desc malformed_desc(void)
{
    struct hkv_desc d = base();
    uint32_t rules = 1 + next() % 255;
    if (rules & 1) d.key_addr = wild_addr(), d.key_len = 1 + next() % HKV_MAX_KEY_LEN;
    if (rules & 2) d.val_addr = wild_addr();
    if (rules & 4) d.key_len = HKV_MAX_KEY_LEN + 1 + (next() % 3 ? next() % 4096 : next());
    if (rules & 8) d.val_len = HKV_MAX_VALUE_LEN + 1 + (next() % 3 ? next() % 4096 : next());
    if (rules & 16) d.op = (next() % 2) ? 4 + next() % 1000 : (next() | 4u);
    if (rules & 32) d.flags = next() | 1u;
    if (rules & 64) d.aux_addr = next() | 1u;
    if (rules & 128) d.aux_len = next() | 1u;
    if (d.op == HKV_OP_DELETE) d.op = 0; /* DELETE with val_len 0 and clean fields would be valid */
    if (d.op == HKV_OP_SCAN) d.op = 0;   /* SCAN with a large val_len and clean fields would be too */
    return d;
}

/* Ports in and around the hypercall range that name no call: writes must do nothing. */
static void poke_ports(void)
{
    static const uint16_t near[] = {0x8FC, 0x901, 0x902, 0x903, 0x908, 0x90C, 0x910, 0x9FC, 0x3FC, 0x404, 0x544, 0x744, 0x784};
    uint16_t port = near[next() % (sizeof near / sizeof near[0])];
    outl(port, next());
    port_pokes++;
}

/* A raw submit of a descriptor the host cannot answer (outside RAM or misaligned): it must be ignored. */
static void raw_unanswerable(void)
{
    uint32_t addr = (next() & 1) ? wild_addr() : (uint32_t)(uintptr_t)scratch + 1 + next() % 3;
    outl(HKV_PORT_KV_SUBMIT, addr);
    port_pokes++;
}


/*
 * Raw submissions, bypassing the driver. Their tags have slot bits 0xFF (the driver has 128
 * slots), so the driver's ISR drains their completions as "stray" and ignores them; we wait on
 * the descriptor's status instead, which the host writes last. Only done while the driver has
 * nothing in flight (main is the only thread and hkv_submit is synchronous).
 */
#define RAW_TAG 0xFA2200FFu
#define FLOOD 400
static struct hkv_desc raw_desc[FLOOD];
static char raw_val[HKV_MAX_VALUE_LEN];
static char raw_buf[HKV_MAX_VALUE_LEN];
static char raw_key[] = "kvfuzz/raw";
static unsigned long raw_busy;

static int32_t status_of(struct hkv_desc *d)
{
    return *(volatile int32_t *)&d->status;
}

/* Waits (sleeping, so the emulator runs the host) until d is answered; -1 after ~10 s. */
static int32_t wait_done(struct hkv_desc *d)
{
    for (int i = 0; i < 20000; i++) {
        int32_t s = status_of(d);
        if (s != HKV_STATUS_PENDING) return s;
        usleep(500);
    }
    return -1;
}

static void raw_submit(struct hkv_desc *d)
{
    d->tag = RAW_TAG;
    d->status = HKV_STATUS_PENDING;
    __asm__ volatile("" ::: "memory"); /* the descriptor must be in memory before the outl */
    outl(HKV_PORT_KV_SUBMIT, (uint32_t)(uintptr_t)d);
    __asm__ volatile("" ::: "memory");
}

/* Submit a valid PUT, then scribble over its descriptor and value before it completes: the host
 * copied both at submit, so the stored value must be the original. */
static void raw_scribble(unsigned long i)
{
    struct hkv_desc *d = &raw_desc[0];
    size_t n = 1 + next() % 512;
    char want[512];
    for (size_t k = 0; k < n; k++) want[k] = raw_val[k] = (char)next();
    memset(d, 0, sizeof *d);
    d->op = HKV_OP_PUT;
    d->key_addr = (uint32_t)(uintptr_t)raw_key;
    d->key_len = (uint32_t)strlen(raw_key);
    d->val_addr = (uint32_t)(uintptr_t)raw_val;
    d->val_len = (uint32_t)n;
    raw_submit(d);
    int32_t first = status_of(d);
    d->op = 99, d->key_addr = wild_addr(), d->val_len = 0xFFFFFFFFu, d->flags = next();
    for (size_t k = 0; k < n; k++) raw_val[k] = (char)~want[k];
    int32_t s = first == HKV_STATUS_PENDING ? wait_done(d) : first;
    expect(s == HKV_STATUS_OK, "raw put with its descriptor scribbled in flight", i, s);
    char got[512];
    size_t len = sizeof got;
    int r = get(raw_key, got, &len);
    expect(r == 0 && len == n && memcmp(got, want, n) == 0, "scribbled put stored the submitted bytes", i, r);
}

/* Submit the same GET descriptor twice while the first is in flight: whatever the host does, it
 * must answer with a status of the ABI and write only that descriptor and its buffer. */
static void raw_resubmit(unsigned long i)
{
    struct hkv_desc *d = &raw_desc[1];
    memset(d, 0, sizeof *d);
    d->op = HKV_OP_GET;
    d->key_addr = (uint32_t)(uintptr_t)raw_key;
    d->key_len = (uint32_t)strlen(raw_key);
    d->val_addr = (uint32_t)(uintptr_t)raw_buf;
    d->val_len = sizeof raw_buf;
    raw_submit(d);
    outl(HKV_PORT_KV_SUBMIT, (uint32_t)(uintptr_t)d);
    int32_t s = wait_done(d);
    usleep(5000); /* let a second completion, if any, land before the descriptor is reused */
    s = status_of(d);
    expect(s >= HKV_STATUS_OK && s <= HKV_STATUS_BUSY, "resubmitted descriptor answered", i, s);
}

/* More valid GETs at once than the host queues: the excess must be refused with BUSY, the rest answered. */
static void raw_flood(unsigned long i)
{
    unsigned long busy = 0;
    for (int k = 0; k < FLOOD; k++) {
        struct hkv_desc *d = &raw_desc[k];
        memset(d, 0, sizeof *d);
        d->op = HKV_OP_GET;
        d->key_addr = (uint32_t)(uintptr_t)raw_key;
        d->key_len = (uint32_t)strlen(raw_key);
        d->val_addr = (uint32_t)(uintptr_t)raw_buf;
        d->val_len = sizeof raw_buf;
        raw_submit(d);
    }
    int bad = 0;
    for (int k = 0; k < FLOOD; k++) {
        int32_t s = wait_done(&raw_desc[k]);
        if (s == HKV_STATUS_BUSY) busy++;
        else if (s != HKV_STATUS_OK && s != HKV_STATUS_NOT_FOUND) bad++;
    }
    raw_busy += busy;
    expect(busy > 0, "a flood past the host queue bound gets BUSY", i, (int)busy);
    expect(bad == 0, "every flooded request answered", i, bad);
}

static void valid_roundtrip(unsigned long i)
{
    size_t n = 1 + next() % 256;
    for (size_t k = 0; k < n; k++) value[k] = (char)next();
    int r = put(key, value, n);
    expect(r == 0, "valid put", i, r);
    char got[256];
    size_t len = sizeof got;
    r = get(key, got, &len);
    expect(r == 0 && len == n && memcmp(got, value, n) == 0, "valid get returns what was put", i, r);
    valid_ops += 2;
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
    unsigned long count = argc > 2 ? strtoul(argv[2], NULL, 0) : 100000;
    rng = (uint32_t)seed ? (uint32_t)seed : 1u; /* xorshift must not start at 0 */
    fill_canaries();

    for (unsigned long i = 0; i < count; i++) {
        uint32_t kind = next() % 100;
        if (kind < 5) {
            valid_roundtrip(i);
        } else if (i % 997 == 0) {
            raw_scribble(i);
            raw_resubmit(i);
            if (i % (997 * 10) == 0) raw_flood(i);
        } else if (kind < 10) {
            poke_ports();
        } else if (kind < 13) {
            raw_unanswerable();
        } else {
            struct hkv_desc d = malformed_desc();
            if (next() % 16 == 0) {
                /* A GET buffer overlapping its own descriptor: the host must refuse it (the
                 * descriptor is this stack slot, never a canary). */
                d.op = HKV_OP_GET;
                d.val_addr = (uint32_t)(uintptr_t)&d - 8 + next() % 40;
                d.val_len = 16 + next() % 64;
            }
            int s = hkv_submit(&d);
            malformed++;
            by_status[(s >= 0 && s < NSTATUS) ? s : NSTATUS]++;
            expect(s != HKV_STATUS_OK && s >= 0 && s < NSTATUS, "malformed request answered with an error", i, s);
        }
    }

    expect(canaries_intact(), "canaries intact", count, 0);
    valid_roundtrip(count);
    printf("KVFUZZ {\"seed\":%lu,\"count\":%lu,\"malformed\":%lu,\"valid\":%lu,\"port_pokes\":%lu,"
           "\"ok\":%lu,\"not_found\":%lu,\"too_small\":%lu,\"invalid\":%lu,\"io_error\":%lu,"
           "\"unavailable\":%lu,\"busy\":%lu,\"pending\":%lu,\"other\":%lu,\"raw_busy\":%lu}\n",
           seed, count, malformed, valid_ops, port_pokes, by_status[0], by_status[1], by_status[2],
           by_status[3], by_status[4], by_status[5], by_status[6], by_status[7], by_status[9], raw_busy);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
