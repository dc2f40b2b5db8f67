/*
 * <hermitkv/kvdev.h>: the raw KV device, below the <kv.h> API. For tests and tools that build
 * descriptors themselves (including deliberately bad ones).
 *
 * hkv_submit submits d as it is, except for d->tag, which the driver owns (it names the request
 * slot), d->thread, which it sets to the calling thread's id, and d->status, which the host
 * writes. The calling thread sleeps until the completion (other threads run; up to 128 requests
 * are in flight at once) and gets the final status (HKV_STATUS_*; never BUSY or PENDING: a BUSY
 * submit is retried after the next completion).
 * d must stay valid until hkv_submit returns; the host may write result_len, status and, for GET,
 * val_len bytes at val_addr.
 */
#ifndef _HKV_KVDEV_H
#define _HKV_KVDEV_H

#include <hermitkv/abi.h>

int hkv_submit(struct hkv_desc *d);

#endif
