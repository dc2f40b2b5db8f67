/*
 * put() and get(), the seed's API (see <kv.h>), on top of the KV driver. Arguments are checked
 * here, before any hypercall, so an invalid call changes nothing; the host checks them again
 * because it cannot trust us. Key and value are handed to the host in place (zero copy).
 */
#include <stdint.h>
#include <string.h>
#include <kv.h>
#include <hermitkv/kvdev.h>
#include "uhyve.h"

/* Length of key, or -1 if key is NULL or longer than HKV_MAX_KEY_LEN. */
static int key_length(const char *key)
{
    if (key == 0)
        return -1;
    size_t n = strnlen(key, HKV_MAX_KEY_LEN + 1);
    return n > HKV_MAX_KEY_LEN ? -1 : (int)n;
}

static int request(uint32_t op, const char *key, int klen, void *val, uint32_t vlen,
                   uint32_t *result_len)
{
    struct hkv_desc d = {0};
    d.op = op;
    d.key_addr = gpa(key);
    d.key_len = (uint32_t)klen;
    d.val_addr = gpa(val);
    d.val_len = vlen;
    int status = hkv_submit(&d);
    *result_len = ((volatile struct hkv_desc *)&d)->result_len;
    return status;
}

int put(char *key, void *value, size_t value_len)
{
    int klen = key_length(key);
    if (klen < 0 || value_len > HKV_MAX_VALUE_LEN || (value == 0 && value_len != 0))
        return -1;
    uint32_t op = value_len == 0 ? HKV_OP_DELETE : HKV_OP_PUT;
    uint32_t unused;
    int status = request(op, key, klen, value_len ? value : 0, value_len, &unused);
    return status == HKV_STATUS_OK ? 0 : -1;
}

int get(char *key, void *value, size_t *value_len)
{
    int klen = key_length(key);
    if (klen < 0 || value_len == 0 || (value == 0 && *value_len != 0))
        return -1;
    /* No value is longer than the limit, so a bigger buffer is as good as a 4096-byte one. */
    uint32_t cap = *value_len > HKV_MAX_VALUE_LEN ? HKV_MAX_VALUE_LEN : *value_len;
    uint32_t len;
    int status = request(HKV_OP_GET, key, klen, value, cap, &len);
    switch (status) {
    case HKV_STATUS_OK:
        if (len > cap)
            return -1; /* a host that claims to have overrun our buffer */
        *value_len = len;
        return 0;
    case HKV_STATUS_NOT_FOUND:
        return -1;
    case HKV_STATUS_TOO_SMALL:
        *value_len = len;
        return -2;
    default:
        return -1;
    }
}
