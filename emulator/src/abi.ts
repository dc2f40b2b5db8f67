/**
 * The hypercall ABI as the host sees it. The source of truth is guest-c/include/hermitkv/abi.h;
 * emulator/test/abi.test.ts parses that header and fails when a number here disagrees with it
 * (or when either side has a HKV_ constant the other lacks).
 */
export const ABI = {
  HKV_PORT_WRITE: 0x400,
  HKV_PORT_EXIT: 0x540,
  HKV_PORT_CMDSIZE: 0x740,
  HKV_PORT_CMDVAL: 0x780,
  HKV_PORT_KV_SUBMIT: 0x900,
  HKV_PORT_KV_COMPLETION: 0x904,
  HKV_KV_IRQ: 11,
  HKV_NO_COMPLETION: 0xffffffff,

  HKV_MAX_KEY_LEN: 1024,
  HKV_MAX_VALUE_LEN: 4096,
  HKV_MAX_CMDLINE: 4096,

  HKV_OP_PUT: 1,
  HKV_OP_GET: 2,
  HKV_OP_DELETE: 3,

  HKV_STATUS_OK: 0,
  HKV_STATUS_NOT_FOUND: 1,
  HKV_STATUS_TOO_SMALL: 2,
  HKV_STATUS_INVALID: 3,
  HKV_STATUS_IO_ERROR: 4,
  HKV_STATUS_UNAVAILABLE: 5,
  HKV_STATUS_BUSY: 6,
  HKV_STATUS_PENDING: 7,

  HKV_WRITE_SIZE: 12,
  HKV_WRITE_OFF_FD: 0,
  HKV_WRITE_OFF_BUF: 4,
  HKV_WRITE_OFF_LEN: 8,

  HKV_CMDSIZE_SIZE: 8,
  HKV_CMDSIZE_OFF_ARGC: 0,
  HKV_CMDSIZE_OFF_BYTES: 4,

  HKV_CMDVAL_SIZE: 8,
  HKV_CMDVAL_OFF_BUF: 0,
  HKV_CMDVAL_OFF_CAP: 4,

  HKV_DESC_SIZE: 48,
  HKV_DESC_OFF_OP: 0,
  HKV_DESC_OFF_TAG: 4,
  HKV_DESC_OFF_KEY_ADDR: 8,
  HKV_DESC_OFF_KEY_LEN: 12,
  HKV_DESC_OFF_VAL_ADDR: 16,
  HKV_DESC_OFF_VAL_LEN: 20,
  HKV_DESC_OFF_STATUS: 24,
  HKV_DESC_OFF_RESULT_LEN: 28,
  HKV_DESC_OFF_AUX_ADDR: 32,
  HKV_DESC_OFF_AUX_LEN: 36,
  HKV_DESC_OFF_FLAGS: 40,
  HKV_DESC_OFF_THREAD: 44,
} as const;

export type KvOp = typeof ABI.HKV_OP_PUT | typeof ABI.HKV_OP_GET | typeof ABI.HKV_OP_DELETE;

export const OP_NAMES: Readonly<Record<KvOp, string>> = {
  [ABI.HKV_OP_PUT]: 'put',
  [ABI.HKV_OP_GET]: 'get',
  [ABI.HKV_OP_DELETE]: 'delete',
};
