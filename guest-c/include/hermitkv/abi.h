/*
 * The hypercall ABI between the hermitkv guest and its hypervisor: the one source of truth.
 *
 * Every number and every struct offset here is mirrored by emulator/src/abi.ts, and the jest test
 * emulator/test/abi.test.ts parses this file and fails when the two disagree. The offsets are
 * also checked against the C structs below at compile time, so the header cannot drift from
 * itself either. Only `#define HKV_<NAME> <integer>` lines are read by that test.
 *
 * Convention (HermitCore's uhyve): the guest executes one 32-bit `outl(port, gpa)` where gpa is
 * the guest-physical address of the call's argument struct; the port names the call.
 */
#ifndef HERMITKV_ABI_H
#define HERMITKV_ABI_H

#include <stdint.h>

/* ---- Ports ------------------------------------------------------------------------------- */
#define HKV_PORT_WRITE 0x400        /* console write: struct hkv_write */
#define HKV_PORT_EXIT 0x540         /* exit: address of an int32 status */
#define HKV_PORT_CMDSIZE 0x740      /* argv sizes: struct hkv_cmdsize */
#define HKV_PORT_CMDVAL 0x780       /* argv bytes: struct hkv_cmdval */
#define HKV_PORT_KV_SUBMIT 0x900    /* outl: address of a struct hkv_desc */
#define HKV_PORT_KV_COMPLETION 0x904 /* inl: tag of the next finished request, or HKV_NO_COMPLETION */

/* The completion interrupt of the KV device (8259 line; free with v86's default devices). */
#define HKV_KV_IRQ 11
/* inl(HKV_PORT_KV_COMPLETION) when no completion is pending. */
#define HKV_NO_COMPLETION 0xFFFFFFFF

/* ---- API limits (the seed's contract) ------------------------------------------------------ */
#define HKV_MAX_KEY_LEN 1024
#define HKV_MAX_VALUE_LEN 4096
/* Most argv bytes (all strings with their NULs) the host passes to the guest. */
#define HKV_MAX_CMDLINE 4096

/* ---- KV operations ------------------------------------------------------------------------- */
#define HKV_OP_PUT 1    /* store value (val_addr, val_len) under key; val_len 0 deletes */
#define HKV_OP_GET 2    /* copy the value into (val_addr, capacity val_len) */
#define HKV_OP_DELETE 3 /* remove key (val_len must be 0); deleting an absent key succeeds */
#define HKV_OP_SCAN 4   /* one batch of a range scan into (val_addr, capacity val_len): below */

/*
 * ---- Range scans (HKV_OP_SCAN) ----------------------------------------------------------------
 * A scan is a loop of SCAN requests, each answered with one batch of the range's live keys in
 * ascending unsigned-byte order with their newest values. Descriptor fields:
 *   key_addr/key_len  the start key (inclusive; exclusive with HKV_SCAN_F_AFTER)
 *   aux_addr/aux_len  the end key (exclusive), only with HKV_SCAN_F_END; otherwise both 0 and
 *                     the range has no upper bound. 0..HKV_MAX_KEY_LEN bytes.
 *   val_addr/val_len  the batch buffer and its capacity, HKV_SCAN_MIN_BATCH..HKV_SCAN_MAX_BATCH
 *                     (room for the header and one entry of the largest key and value, so every
 *                     batch makes progress)
 *   flags             HKV_SCAN_F_* bits
 *   result_len        host-written: bytes of the batch, header included
 * The batch: a struct hkv_scan_batch, then `count` entries back to back, each a struct
 * hkv_scan_entry, key_len key bytes, value_len value bytes, then zero padding to a multiple of 4.
 * HKV_SCAN_MORE in the batch's flags: keys may follow the last entry; resume with that key as the
 * start and HKV_SCAN_F_AFTER. Without it the range is exhausted.
 */
#define HKV_SCAN_F_END 1      /* aux holds the end key */
#define HKV_SCAN_F_AFTER 2    /* the start key itself is excluded (resuming after it) */
#define HKV_SCAN_MORE 1       /* hkv_scan_batch.flags: the batch stopped before the range ended */
#define HKV_SCAN_MIN_BATCH 5136 /* header + entry header + HKV_MAX_KEY_LEN + HKV_MAX_VALUE_LEN */
#define HKV_SCAN_MAX_BATCH 65536

/* ---- Status codes the host writes into hkv_desc.status ------------------------------------- */
#define HKV_STATUS_OK 0
#define HKV_STATUS_NOT_FOUND 1  /* get: no such key */
#define HKV_STATUS_TOO_SMALL 2  /* get: buffer too small; result_len holds the size needed */
#define HKV_STATUS_INVALID 3    /* the descriptor broke a rule (address, length, op): nothing done */
#define HKV_STATUS_IO_ERROR 4   /* the backend (proxy or S3) failed: the outcome is unknown */
#define HKV_STATUS_UNAVAILABLE 5 /* the proxy cannot be reached: nothing done */
#define HKV_STATUS_BUSY 6       /* written synchronously by submit: queue full, resubmit later */
#define HKV_STATUS_PENDING 7    /* written synchronously by submit: accepted, completion follows */

/* ---- Structs (all fields little-endian, 4-byte aligned, guest-physical addresses) ---------- */

/* HKV_PORT_WRITE. The host writes the number of bytes written back into len. */
struct hkv_write {
    int32_t fd;
    uint32_t buf;
    uint32_t len;
};
#define HKV_WRITE_SIZE 12
#define HKV_WRITE_OFF_FD 0
#define HKV_WRITE_OFF_BUF 4
#define HKV_WRITE_OFF_LEN 8

/* HKV_PORT_CMDSIZE: the host fills in argc and the bytes of all argv strings with their NULs. */
struct hkv_cmdsize {
    uint32_t argc;
    uint32_t bytes;
};
#define HKV_CMDSIZE_SIZE 8
#define HKV_CMDSIZE_OFF_ARGC 0
#define HKV_CMDSIZE_OFF_BYTES 4

/* HKV_PORT_CMDVAL: the host copies the argv strings, each NUL-terminated, back to back into buf. */
struct hkv_cmdval {
    uint32_t buf;
    uint32_t cap;
};
#define HKV_CMDVAL_SIZE 8
#define HKV_CMDVAL_OFF_BUF 0
#define HKV_CMDVAL_OFF_CAP 4

/*
 * HKV_PORT_KV_SUBMIT. The guest fills in op..val_len; the host copies the descriptor at submit
 * (later guest writes to it are ignored), writes status (PENDING or BUSY) before the outl
 * returns, and on completion writes result_len, then status, then posts tag on the completion
 * port and pulses HKV_KV_IRQ. For GET the value bytes, for SCAN the batch, go to val_addr before
 * status is written.
 * The host never writes anywhere else. A descriptor that is not 4-byte aligned or not wholly in
 * guest RAM cannot be answered at all: the host ignores it and counts it as rejected.
 */
struct hkv_desc {
    uint32_t op;         /* HKV_OP_* */
    uint32_t tag;        /* guest's request id, returned by the completion port */
    uint32_t key_addr;   /* key bytes (no NUL needed) */
    uint32_t key_len;    /* 0..HKV_MAX_KEY_LEN */
    uint32_t val_addr;   /* PUT: value bytes; GET, SCAN: buffer */
    uint32_t val_len;    /* PUT: value length; GET: buffer capacity, 0..HKV_MAX_VALUE_LEN;
                            SCAN: batch capacity, HKV_SCAN_MIN_BATCH..HKV_SCAN_MAX_BATCH */
    int32_t status;      /* host-written: HKV_STATUS_* */
    uint32_t result_len; /* host-written: GET value length (or length needed); SCAN batch bytes */
    uint32_t aux_addr;   /* SCAN with HKV_SCAN_F_END: end key; otherwise must be 0 */
    uint32_t aux_len;
    uint32_t flags;      /* SCAN: HKV_SCAN_F_*; must be 0 for the other ops */
    uint32_t thread;     /* submitting guest thread's id: informational, for host traces */
};
#define HKV_DESC_SIZE 48
#define HKV_DESC_OFF_OP 0
#define HKV_DESC_OFF_TAG 4
#define HKV_DESC_OFF_KEY_ADDR 8
#define HKV_DESC_OFF_KEY_LEN 12
#define HKV_DESC_OFF_VAL_ADDR 16
#define HKV_DESC_OFF_VAL_LEN 20
#define HKV_DESC_OFF_STATUS 24
#define HKV_DESC_OFF_RESULT_LEN 28
#define HKV_DESC_OFF_AUX_ADDR 32
#define HKV_DESC_OFF_AUX_LEN 36
#define HKV_DESC_OFF_FLAGS 40
#define HKV_DESC_OFF_THREAD 44

/* The head of a SCAN batch (at val_addr). */
struct hkv_scan_batch {
    uint32_t count; /* entries that follow */
    uint32_t flags; /* HKV_SCAN_MORE */
};
#define HKV_SCAN_BATCH_SIZE 8
#define HKV_SCAN_BATCH_OFF_COUNT 0
#define HKV_SCAN_BATCH_OFF_FLAGS 4

/* One entry of a SCAN batch; key and value bytes follow, then padding to a multiple of 4. */
struct hkv_scan_entry {
    uint32_t key_len;
    uint32_t value_len;
};
#define HKV_SCAN_ENTRY_SIZE 8
#define HKV_SCAN_ENTRY_OFF_KEY_LEN 0
#define HKV_SCAN_ENTRY_OFF_VALUE_LEN 4

#define HKV_ABI_CHECK_(type, field, off) \
    _Static_assert(__builtin_offsetof(struct type, field) == (off), #type "." #field)
HKV_ABI_CHECK_(hkv_write, fd, HKV_WRITE_OFF_FD);
HKV_ABI_CHECK_(hkv_write, buf, HKV_WRITE_OFF_BUF);
HKV_ABI_CHECK_(hkv_write, len, HKV_WRITE_OFF_LEN);
_Static_assert(sizeof(struct hkv_write) == HKV_WRITE_SIZE, "hkv_write size");
HKV_ABI_CHECK_(hkv_cmdsize, argc, HKV_CMDSIZE_OFF_ARGC);
HKV_ABI_CHECK_(hkv_cmdsize, bytes, HKV_CMDSIZE_OFF_BYTES);
_Static_assert(sizeof(struct hkv_cmdsize) == HKV_CMDSIZE_SIZE, "hkv_cmdsize size");
HKV_ABI_CHECK_(hkv_cmdval, buf, HKV_CMDVAL_OFF_BUF);
HKV_ABI_CHECK_(hkv_cmdval, cap, HKV_CMDVAL_OFF_CAP);
_Static_assert(sizeof(struct hkv_cmdval) == HKV_CMDVAL_SIZE, "hkv_cmdval size");
HKV_ABI_CHECK_(hkv_desc, op, HKV_DESC_OFF_OP);
HKV_ABI_CHECK_(hkv_desc, tag, HKV_DESC_OFF_TAG);
HKV_ABI_CHECK_(hkv_desc, key_addr, HKV_DESC_OFF_KEY_ADDR);
HKV_ABI_CHECK_(hkv_desc, key_len, HKV_DESC_OFF_KEY_LEN);
HKV_ABI_CHECK_(hkv_desc, val_addr, HKV_DESC_OFF_VAL_ADDR);
HKV_ABI_CHECK_(hkv_desc, val_len, HKV_DESC_OFF_VAL_LEN);
HKV_ABI_CHECK_(hkv_desc, status, HKV_DESC_OFF_STATUS);
HKV_ABI_CHECK_(hkv_desc, result_len, HKV_DESC_OFF_RESULT_LEN);
HKV_ABI_CHECK_(hkv_desc, aux_addr, HKV_DESC_OFF_AUX_ADDR);
HKV_ABI_CHECK_(hkv_desc, aux_len, HKV_DESC_OFF_AUX_LEN);
HKV_ABI_CHECK_(hkv_desc, flags, HKV_DESC_OFF_FLAGS);
HKV_ABI_CHECK_(hkv_desc, thread, HKV_DESC_OFF_THREAD);
_Static_assert(sizeof(struct hkv_desc) == HKV_DESC_SIZE, "hkv_desc size");
HKV_ABI_CHECK_(hkv_scan_batch, count, HKV_SCAN_BATCH_OFF_COUNT);
HKV_ABI_CHECK_(hkv_scan_batch, flags, HKV_SCAN_BATCH_OFF_FLAGS);
_Static_assert(sizeof(struct hkv_scan_batch) == HKV_SCAN_BATCH_SIZE, "hkv_scan_batch size");
HKV_ABI_CHECK_(hkv_scan_entry, key_len, HKV_SCAN_ENTRY_OFF_KEY_LEN);
HKV_ABI_CHECK_(hkv_scan_entry, value_len, HKV_SCAN_ENTRY_OFF_VALUE_LEN);
_Static_assert(sizeof(struct hkv_scan_entry) == HKV_SCAN_ENTRY_SIZE, "hkv_scan_entry size");
_Static_assert(HKV_SCAN_MIN_BATCH == HKV_SCAN_BATCH_SIZE + HKV_SCAN_ENTRY_SIZE + HKV_MAX_KEY_LEN + HKV_MAX_VALUE_LEN,
               "a minimal batch holds the largest entry");
#undef HKV_ABI_CHECK_

#endif
