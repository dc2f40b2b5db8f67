/*
 * scan(), the range scan of <kv.h>, on top of the KV driver: a loop of HKV_OP_SCAN requests,
 * each filling one batch buffer (abi.h, "Range scans"). The first asks for [start, end); each
 * next one resumes after the last key the previous batch held (HKV_SCAN_F_AFTER), until a batch
 * comes back without HKV_SCAN_MORE or fn asks to stop. Guest memory is one malloc'd block
 * (batch buffer + a NUL-terminated copy of the current key) whatever the range's size.
 *
 * The batch is checked as it is walked, although the host already checked it: an entry that
 * would run past result_len, or a result_len past our buffer, ends the scan with -1 instead of
 * letting a faulty host make us read beyond the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <kv.h>
#include <hermitkv/kvdev.h>
#include "uhyve.h"

#define SCAN_BUF 16384
_Static_assert(SCAN_BUF >= HKV_SCAN_MIN_BATCH && SCAN_BUF <= HKV_SCAN_MAX_BATCH, "batch capacity in range");

struct scan_mem {
    uint32_t batch[SCAN_BUF / 4];     /* 4-byte aligned: the entry headers are */
    char key[HKV_MAX_KEY_LEN + 1];    /* the entry handed to fn, and the resume point */
};

static uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Length of key, or -1 if key is NULL or longer than HKV_MAX_KEY_LEN. */
static int key_length(const char *key)
{
    if (key == 0)
        return -1;
    size_t n = strnlen(key, HKV_MAX_KEY_LEN + 1);
    return n > HKV_MAX_KEY_LEN ? -1 : (int)n;
}

/* One batch request: [from(after)?, end). Returns the batch length, or -1. */
static int fetch_batch(struct scan_mem *m, const char *from, uint32_t from_len, int after,
                       const char *end, int end_len)
{
    struct hkv_desc d = {0};
    d.op = HKV_OP_SCAN;
    d.key_addr = gpa(from);
    d.key_len = from_len;
    d.val_addr = gpa(m->batch);
    d.val_len = SCAN_BUF;
    d.flags = after ? HKV_SCAN_F_AFTER : 0;
    if (end != 0) {
        d.flags |= HKV_SCAN_F_END;
        d.aux_addr = gpa(end);
        d.aux_len = (uint32_t)end_len;
    }
    if (hkv_submit(&d) != HKV_STATUS_OK)
        return -1;
    uint32_t len = ((volatile struct hkv_desc *)&d)->result_len;
    if (len < HKV_SCAN_BATCH_SIZE || len > SCAN_BUF)
        return -1;
    return (int)len;
}

int scan(const char *start, const char *end, kv_scan_fn fn, void *arg)
{
    int start_len = key_length(start);
    int end_len = end == 0 ? 0 : key_length(end);
    if (start_len < 0 || end_len < 0 || fn == 0)
        return -1;
    struct scan_mem *m = malloc(sizeof *m);
    if (m == 0)
        return -1;
    const char *from = start;
    uint32_t from_len = (uint32_t)start_len;
    int after = 0, visited = 0;
    for (;;) {
        int len = fetch_batch(m, from, from_len, after, end, end_len);
        if (len < 0)
            goto fail;
        const uint8_t *b = (const uint8_t *)m->batch;
        uint32_t count = load32(b + HKV_SCAN_BATCH_OFF_COUNT);
        uint32_t more = load32(b + HKV_SCAN_BATCH_OFF_FLAGS) & HKV_SCAN_MORE;
        uint32_t at = HKV_SCAN_BATCH_SIZE;
        for (uint32_t i = 0; i < count; i++) {
            if ((uint32_t)len - at < HKV_SCAN_ENTRY_SIZE)
                goto fail;
            uint32_t klen = load32(b + at + HKV_SCAN_ENTRY_OFF_KEY_LEN);
            uint32_t vlen = load32(b + at + HKV_SCAN_ENTRY_OFF_VALUE_LEN);
            if (klen > HKV_MAX_KEY_LEN || vlen > HKV_MAX_VALUE_LEN)
                goto fail;
            uint32_t size = HKV_SCAN_ENTRY_SIZE + ((klen + vlen + 3) & ~3u);
            if (size > (uint32_t)len - at)
                goto fail;
            const uint8_t *kp = b + at + HKV_SCAN_ENTRY_SIZE;
            memcpy(m->key, kp, klen);
            m->key[klen] = 0;
            visited++;
            if (fn(m->key, kp + klen, vlen, arg) != 0) {
                free(m);
                return visited;
            }
            from = m->key; /* fn may not keep key: m->key is ours until the next entry */
            from_len = klen;
            after = 1;
            at += size;
        }
        if (at != (uint32_t)len)
            goto fail;
        if (!more)
            break;
        if (count == 0)
            goto fail; /* MORE without entries cannot make progress: a faulty host */
    }
    free(m);
    return visited;
fail:
    free(m);
    return -1;
}
