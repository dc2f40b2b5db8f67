/** Counters of the KV device, printed by `npm start -- --stats`. */
import { ABI, OP_NAMES, type KvOp } from '../abi.js';

export class KvStats {
  readonly requests: Record<string, number> = { put: 0, get: 0, delete: 0, scan: 0 };
  /** Entries of the scan batches written into the guest. */
  scanKeys = 0;
  readonly statuses: Record<string, number> = {};
  /** Descriptors refused by validation (unreadable or invalid) or by the proxy. */
  rejected = 0;
  /** Submits answered BUSY because the queue was full. */
  busy = 0;
  unavailable = 0;
  ioErrors = 0;
  maxInFlight = 0;
  bytesFromGuest = 0;
  bytesToGuest = 0;

  noteRequest(op: KvOp, keyLen: number, valueLen: number): void {
    this.requests[OP_NAMES[op]]!++;
    this.bytesFromGuest += keyLen + valueLen;
  }

  noteInFlight(n: number): void {
    if (n > this.maxInFlight) this.maxInFlight = n;
  }

  noteStatus(status: number): void {
    const name = statusName(status);
    this.statuses[name] = (this.statuses[name] ?? 0) + 1;
  }
}

const STATUS_NAMES = new Map<number, string>([
  [ABI.HKV_STATUS_OK, 'ok'],
  [ABI.HKV_STATUS_NOT_FOUND, 'not_found'],
  [ABI.HKV_STATUS_TOO_SMALL, 'too_small'],
  [ABI.HKV_STATUS_INVALID, 'invalid'],
  [ABI.HKV_STATUS_IO_ERROR, 'io_error'],
  [ABI.HKV_STATUS_UNAVAILABLE, 'unavailable'],
]);

export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `status${status}`;
}
