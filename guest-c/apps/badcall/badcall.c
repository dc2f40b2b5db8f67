/*
 * badcall: hostile descriptors, sent straight to the device with <hermitkv/kvdev.h>. The host must
 * complete each with HKV_STATUS_INVALID, touch nothing, and keep working: a normal put/get
 * afterwards must still succeed. Prints one line per failure and "N passed, N failed".
 */
#include <hermitkv/kvdev.h>
#include <kv.h>
#include <stdio.h>
#include <string.h>

#define BEYOND_RAM 0xF0000000u /* above any RAM size v86 offers (< 2 GiB) */

static int passed, failed;
static char key[] = "badcall/victim";
static char value[4097] = "untouched";
static char buf[4097];
static uint32_t scanbuf[HKV_SCAN_MIN_BATCH / 4 + 1];
static char longend[1025];

static void expect(int ok, const char *name, int status)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: status %d\n", name, status);
}

/* A valid PUT of value to key, for the cases to spoil one field at a time. */
static struct hkv_desc base_put(void)
{
    struct hkv_desc d = {0};
    d.op = HKV_OP_PUT;
    d.key_addr = (uint32_t)(uintptr_t)key;
    d.key_len = (uint32_t)strlen(key);
    d.val_addr = (uint32_t)(uintptr_t)value;
    d.val_len = 4;
    return d;
}

static struct hkv_desc base_get(void)
{
    struct hkv_desc d = base_put();
    d.op = HKV_OP_GET;
    d.val_addr = (uint32_t)(uintptr_t)buf;
    d.val_len = 16;
    return d;
}

/* A valid SCAN of [key, key + "\x01") into scanbuf. */
static struct hkv_desc base_scan(void)
{
    static char end[sizeof key + 1];
    struct hkv_desc d = base_put();
    memcpy(end, key, sizeof key);
    end[sizeof key - 1] = 1;
    d.op = HKV_OP_SCAN;
    d.val_addr = (uint32_t)(uintptr_t)scanbuf;
    d.val_len = HKV_SCAN_MIN_BATCH;
    d.flags = HKV_SCAN_F_END;
    d.aux_addr = (uint32_t)(uintptr_t)end;
    d.aux_len = (uint32_t)sizeof key;
    return d;
}

static void invalid(const char *name, struct hkv_desc d)
{
    int s = hkv_submit(&d);
    expect(s == HKV_STATUS_INVALID, name, s);
}

static void hostile(void)
{
    struct hkv_desc d;
    d = base_put(), d.key_addr = BEYOND_RAM;
    invalid("key_addr beyond RAM", d);
    d = base_put(), d.key_addr = 0xFFFFFFF0u, d.key_len = 32; /* wraps to 0x10 */
    invalid("key_addr + key_len wraps past 4 GiB", d);
    d = base_put(), d.val_addr = BEYOND_RAM;
    invalid("PUT val_addr beyond RAM", d);
    d = base_put(), d.val_addr = 0xFFFFFF00u, d.val_len = 0x200;
    invalid("PUT val_addr + val_len wraps past 4 GiB", d);
    d = base_get(), d.val_addr = BEYOND_RAM;
    invalid("GET into a buffer beyond RAM", d);
    d = base_get(), d.val_addr = 0xFFFFFFF8u;
    invalid("GET into a buffer wrapping past 4 GiB", d);
    d = base_put(), d.val_len = 4097;
    invalid("PUT val_len 4097", d);
    d = base_get(), d.val_len = 4097;
    invalid("GET capacity 4097", d);
    d = base_put(), d.key_len = 1025;
    invalid("key_len 1025", d);
    d = base_put(), d.key_len = 0xFFFFFFFFu;
    invalid("key_len 0xFFFFFFFF", d);
    d = base_put(), d.op = 99;
    invalid("unknown op 99", d);
    d = base_put(), d.op = 0;
    invalid("op 0", d);
    d = base_put(), d.flags = 1;
    invalid("non-zero flags", d);
    d = base_put(), d.flags = 0x80000000u;
    invalid("high flag bit", d);
    d = base_put(), d.aux_addr = (uint32_t)(uintptr_t)key;
    invalid("non-zero aux_addr on PUT", d);
    d = base_put(), d.aux_len = 4;
    invalid("non-zero aux_len on PUT", d);

    d = base_scan(), d.aux_addr = BEYOND_RAM;
    invalid("SCAN end key beyond RAM", d);
    d = base_scan(), d.aux_addr = 0xFFFFFFF0u;
    invalid("SCAN end key wrapping past 4 GiB", d);
    d = base_scan(), d.aux_addr = (uint32_t)(uintptr_t)longend, d.aux_len = 1025;
    invalid("SCAN end key of 1025 bytes", d);
    d = base_scan(), d.flags = 0;
    invalid("SCAN aux without HKV_SCAN_F_END", d);
    d = base_scan(), d.flags |= 4;
    invalid("SCAN unknown flag", d);
    d = base_scan(), d.val_addr = BEYOND_RAM;
    invalid("SCAN batch buffer beyond RAM", d);
    d = base_scan(), d.val_addr = 0xFFFFF000u;
    invalid("SCAN batch buffer wrapping past 4 GiB", d);
    d = base_scan(), d.val_addr = 0x9F000u;
    invalid("SCAN batch buffer crossing the VGA hole", d);
    d = base_scan(), d.val_len = HKV_SCAN_MIN_BATCH - 1;
    invalid("SCAN batch capacity below the minimum", d);
    d = base_scan(), d.val_len = HKV_SCAN_MAX_BATCH + 1;
    invalid("SCAN batch capacity above the maximum", d);
}

/* A valid raw SCAN: the victim key and nothing past the batch's own bytes is written. */
static void raw_scan(void)
{
    memset(scanbuf, 0xAA, sizeof scanbuf);
    struct hkv_desc d = base_scan();
    int s = hkv_submit(&d);
    uint32_t len = ((volatile struct hkv_desc *)&d)->result_len;
    const uint8_t *b = (const uint8_t *)scanbuf;
    uint32_t want = HKV_SCAN_BATCH_SIZE + HKV_SCAN_ENTRY_SIZE + ((sizeof key - 1 + 4 + 3) & ~3u);
    expect(s == HKV_STATUS_OK && len == want && scanbuf[0] == 1 && scanbuf[1] == 0, "raw SCAN of the victim key", s);
    int untouched = 1;
    for (uint32_t i = len; i < sizeof scanbuf; i++)
        untouched &= b[i] == 0xAA;
    expect(untouched, "raw SCAN writes nothing past its batch", s);
}

/* GET straight over the descriptor itself: the host may refuse or comply, but must complete. */
static void overlap(void)
{
    struct hkv_desc d = base_get();
    d.val_addr = (uint32_t)(uintptr_t)&d;
    d.val_len = sizeof d;
    int s = hkv_submit(&d);
    expect(s >= HKV_STATUS_OK && s <= HKV_STATUS_UNAVAILABLE, "GET over its own descriptor completes", s);
}

/* The seed API with wild pointers: the driver cannot tell, the host must, and answer -1. */
static void wild_pointers(void)
{
    int r = put(key, (void *)(uintptr_t)BEYOND_RAM, 16);
    expect(r == -1, "put with a value pointer beyond RAM returns -1", r);
    size_t len = 16;
    r = get(key, (void *)(uintptr_t)BEYOND_RAM, &len);
    expect(r == -1, "get into a buffer beyond RAM returns -1", r);
    len = 64;
    r = get(key, (void *)(uintptr_t)(0x09FFF0u), &len); /* runs into the VGA hole */
    expect(r == -1, "get into a buffer crossing the VGA hole returns -1", r);
}

int main(void)
{
    /* The victim key must not change through any rejected request. */
    int r = put(key, "good", 4);
    expect(r == 0, "put the victim key", r);
    hostile();
    raw_scan();
    wild_pointers();
    size_t len = sizeof buf;
    r = get(key, buf, &len);
    expect(r == 0 && len == 4 && memcmp(buf, "good", 4) == 0, "victim key unchanged", r);
    overlap();

    /* The device still works after all that. */
    r = put(key, "after", 5);
    expect(r == 0, "put after hostile descriptors", r);
    len = sizeof buf;
    r = get(key, buf, &len);
    expect(r == 0 && len == 5 && memcmp(buf, "after", 5) == 0, "get after hostile descriptors", r);
    r = put(key, NULL, 0);
    expect(r == 0, "delete after hostile descriptors", r);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
