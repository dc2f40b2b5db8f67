/*
 * <kv.h>: the hermitkv key-value API (the seed's contract).
 *
 * key: NUL-terminated, 0..1024 bytes (the empty key is a key), any bytes but NUL.
 * value_len: 0..4096 bytes; values are binary (may contain zero bytes).
 *
 * put: stores value_len bytes of value under key and returns 0; value_len == 0 deletes the key
 *   (value may then be NULL) and deleting an absent key also returns 0. Returns -1 on an invalid
 *   argument (NULL key, key longer than 1024 bytes, value_len > 4096, NULL value with a non-zero
 *   value_len) without contacting the host, and -1 when the store fails (the outcome is then
 *   unknown: the put may or may not have happened).
 *
 * get: on entry *value_len is the size of the buffer value (sizes above 4096 are treated as 4096).
 *   Returns 0 with the value copied and *value_len set to its length; -1 when the key is absent;
 *   -2 when the buffer is too small, with *value_len set to the length needed (nothing useful is
 *   in the buffer). get(key, NULL, &len) with len == 0 is a size query: -2 and the length, or -1.
 *   Returns -1 on an invalid argument (NULL key, key longer than 1024 bytes, NULL value_len, NULL
 *   value with *value_len != 0) without contacting the host and without touching *value_len, and
 *   -1 when the store fails.
 *
 * A stored value is never empty (length 0 means delete), so 0 from get always means >= 1 byte.
 * Both calls block the calling thread until the host completes the request; other threads (and
 * interrupts) run meanwhile.
 */
#ifndef _HKV_KV_H
#define _HKV_KV_H

#include <stddef.h>

int put(char *key, void *value, size_t value_len);
int get(char *key, void *value, size_t *value_len);

#endif
