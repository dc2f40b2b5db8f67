/*
 * <hermitkv/kvdev.h>: the raw KV device, below the <kv.h> API. For tests and tools that build
 * descriptors themselves (including deliberately bad ones).
 *
 * hkv_submit submits d as it is, except for d->tag, which the driver owns (it names the request
 * slot), and d->status, which the host writes. It waits for the completion and returns the final
 * status (HKV_STATUS_*; never BUSY or PENDING: a BUSY submit is retried after the next interrupt).
 * d must stay valid until hkv_submit returns; the host may write result_len, status and, for GET,
 * val_len bytes at val_addr.
 */
#ifndef _HKV_KVDEV_H
#define _HKV_KVDEV_H

#include <hermitkv/abi.h>

int hkv_submit(struct hkv_desc *d);

#endif
