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
 *
 * scan (range scans, issue 5): calls fn(key, value, value_len, arg) for every live key k with
 *   start <= k < end, in ascending unsigned-byte order (strcmp order, bytes 0x80..0xff after
 *   0x01..0x7f), with its newest value; end == NULL means no upper bound, and deleted keys are
 *   not visited. key is NUL-terminated; value (1..4096 bytes, not NUL-terminated, no particular
 *   alignment) and key are valid only during the call. fn returning non-zero stops the scan.
 *   Returns the number of keys visited (fn calls, the stopping one included), or -1 on an
 *   invalid argument (NULL start or fn, start or end longer than 1024 bytes) without contacting
 *   the host, or -1 when the store fails (out of memory, an I/O error; fn may have been called
 *   for a prefix of the range by then).
 *   Memory is bounded whatever the range: the range streams through one guest buffer (16 KiB,
 *   from malloc) a batch at a time, each batch a request to the host that resumes after the
 *   previous batch's last key. fn may call put/get/scan itself (a put or delete of a key not
 *   yet visited is seen, or not, depending on whether its batch was already read).
 *   Guarantee: every put/delete that returned before scan was called is reflected; writes
 *   concurrent with the scan (other threads) are seen or not, each key on its own: a scan is not
 *   a snapshot. Keys stored through the raw device (<hermitkv/kvdev.h>) that contain NUL bytes
 *   are visited with key cut at the first NUL.
 */
#ifndef _HKV_KV_H
#define _HKV_KV_H

#include <stddef.h>

int put(char *key, void *value, size_t value_len);
int get(char *key, void *value, size_t *value_len);

typedef int (*kv_scan_fn)(const char *key, const void *value, size_t value_len, void *arg);
int scan(const char *start, const char *end, kv_scan_fn fn, void *arg);

#endif
