/**
 * SCAN on the device channel: the parameters a SCAN request carries, and the batch its response
 * carries. The batch is byte for byte what the guest reads (guest-c/include/hermitkv/abi.h,
 * "Range scans"): the hypervisor checks it and copies it into the guest's batch buffer
 * unchanged, and emulator/test/abi.test.ts checks the constants here against the header.
 *
 * Request:  key = the start key; value = u32 capacity | u8 flags | u8 0 | u16 0 | end key
 *           flags: SCAN_F_END (1) the end key follows (without it: no upper bound, nothing
 *           follows); SCAN_F_AFTER (2) the start key itself is excluded (a resumed scan).
 * Response: status Ok, value = u32 count | u32 flags (SCAN_MORE 1) | count entries, each
 *           u32 keyLen | u32 valueLen | key | value | zero padding to a multiple of 4.
 *
 * A batch never exceeds the capacity the request names (the guest's buffer), holds at most
 * SCAN_BATCH_KEYS entries, and always holds at least one entry when the range has one left
 * (a minimal capacity fits the largest key and value), so a resumed scan always makes progress.
 */
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, ProtocolError } from './protocol.js';

export const SCAN_F_END = 1;
export const SCAN_F_AFTER = 2;
export const SCAN_MORE = 1;
export const SCAN_BATCH_HEADER = 8;
export const SCAN_ENTRY_HEADER = 8;
export const SCAN_MIN_BATCH = SCAN_BATCH_HEADER + SCAN_ENTRY_HEADER + MAX_KEY_BYTES + MAX_VALUE_BYTES;
export const SCAN_MAX_BATCH = 65536;
/**
 * Most entries in one batch, whatever the capacity: bounds the engine work behind one request
 * (for the object engine, one GET per key) and so the time other guest threads wait behind it.
 */
export const SCAN_BATCH_KEYS = 1000;

const PARAMS_HEADER = 8;

export interface ScanParams {
  /** Bytes the batch may take (the guest buffer's capacity). */
  capacity: number;
  /** Exclude the start key itself (resuming after the previous batch's last key). */
  after: boolean;
  /** Exclusive upper bound; undefined: none. */
  end: Buffer | undefined;
}

export interface ScanEntry {
  key: Buffer;
  value: Buffer;
}

export interface ScanBatch {
  entries: ScanEntry[];
  /** The batch stopped before the range ended: resume after its last key. */
  more: boolean;
}

export function encodeScanParams(params: ScanParams): Buffer {
  const end = params.end ?? Buffer.alloc(0);
  const out = Buffer.alloc(PARAMS_HEADER + end.length);
  out.writeUInt32LE(params.capacity >>> 0, 0);
  out.writeUInt8((params.end === undefined ? 0 : SCAN_F_END) | (params.after ? SCAN_F_AFTER : 0), 4);
  end.copy(out, PARAMS_HEADER);
  return out;
}

/** Decodes a SCAN request's value. Throws ProtocolError. */
export function decodeScanParams(value: Buffer): ScanParams {
  if (value.length < PARAMS_HEADER) throw new ProtocolError(`scan parameters of ${value.length} bytes are shorter than their header`);
  const capacity = value.readUInt32LE(0);
  const flags = value.readUInt8(4);
  if ((flags & ~(SCAN_F_END | SCAN_F_AFTER)) !== 0) throw new ProtocolError(`unknown scan flags 0x${flags.toString(16)}`);
  if (value.readUInt8(5) !== 0 || value.readUInt16LE(6) !== 0) throw new ProtocolError('reserved scan parameter bytes are not zero');
  if (capacity < SCAN_MIN_BATCH || capacity > SCAN_MAX_BATCH) {
    throw new ProtocolError(`scan batch capacity ${capacity} is outside ${SCAN_MIN_BATCH}..${SCAN_MAX_BATCH}`);
  }
  const endLen = value.length - PARAMS_HEADER;
  if ((flags & SCAN_F_END) === 0 && endLen !== 0) throw new ProtocolError('scan without an end key carries end key bytes');
  if (endLen > MAX_KEY_BYTES) throw new ProtocolError(`scan end key of ${endLen} bytes exceeds ${MAX_KEY_BYTES}`);
  const end = (flags & SCAN_F_END) === 0 ? undefined : Buffer.from(value.subarray(PARAMS_HEADER));
  return { capacity, after: (flags & SCAN_F_AFTER) !== 0, end };
}

/** Bytes one entry takes in a batch. */
export function scanEntryBytes(keyLen: number, valueLen: number): number {
  return SCAN_ENTRY_HEADER + ((keyLen + valueLen + 3) & ~3);
}

/** Packs entries into one batch of at most `capacity` bytes (the only buffer a scan request holds). */
export class ScanBatchWriter {
  private readonly buf: Buffer;
  private used = SCAN_BATCH_HEADER;
  private entries = 0;

  constructor(capacity: number) {
    this.buf = Buffer.alloc(capacity);
  }

  get count(): number {
    return this.entries;
  }

  /** Appends the entry when it fits (in bytes and in SCAN_BATCH_KEYS); false when it does not. */
  add(key: Buffer, value: Buffer): boolean {
    const need = scanEntryBytes(key.length, value.length);
    if (this.entries >= SCAN_BATCH_KEYS || this.used + need > this.buf.length) return false;
    this.buf.writeUInt32LE(key.length, this.used);
    this.buf.writeUInt32LE(value.length, this.used + 4);
    key.copy(this.buf, this.used + SCAN_ENTRY_HEADER);
    value.copy(this.buf, this.used + SCAN_ENTRY_HEADER + key.length);
    this.used += need; // the padding is already zero (Buffer.alloc)
    this.entries++;
    return true;
  }

  finish(more: boolean): Buffer {
    this.buf.writeUInt32LE(this.entries, 0);
    this.buf.writeUInt32LE(more ? SCAN_MORE : 0, 4);
    return this.buf.subarray(0, this.used);
  }
}

/**
 * Decodes and checks a batch: the hypervisor does this before copying one into the guest, so
 * that a faulty proxy cannot make the guest misread its buffer. Throws ProtocolError.
 */
export function decodeScanBatch(batch: Buffer): ScanBatch {
  if (batch.length < SCAN_BATCH_HEADER) throw new ProtocolError(`scan batch of ${batch.length} bytes is shorter than its header`);
  const count = batch.readUInt32LE(0);
  const flags = batch.readUInt32LE(4);
  if ((flags & ~SCAN_MORE) !== 0) throw new ProtocolError(`unknown scan batch flags 0x${flags.toString(16)}`);
  if (count > SCAN_BATCH_KEYS) throw new ProtocolError(`scan batch of ${count} entries exceeds ${SCAN_BATCH_KEYS}`);
  const entries: ScanEntry[] = [];
  let at = SCAN_BATCH_HEADER;
  let previous: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    if (at + SCAN_ENTRY_HEADER > batch.length) throw new ProtocolError(`scan batch entry ${i} runs past the batch`);
    const keyLen = batch.readUInt32LE(at);
    const valueLen = batch.readUInt32LE(at + 4);
    if (keyLen > MAX_KEY_BYTES || valueLen < 1 || valueLen > MAX_VALUE_BYTES) throw new ProtocolError(`scan batch entry ${i} has bad lengths`);
    const next = at + scanEntryBytes(keyLen, valueLen);
    if (next > batch.length) throw new ProtocolError(`scan batch entry ${i} runs past the batch`);
    const key = batch.subarray(at + SCAN_ENTRY_HEADER, at + SCAN_ENTRY_HEADER + keyLen);
    if (previous !== undefined && Buffer.compare(previous, key) >= 0) throw new ProtocolError(`scan batch entry ${i} is not in ascending key order`);
    entries.push({ key, value: batch.subarray(at + SCAN_ENTRY_HEADER + keyLen, at + SCAN_ENTRY_HEADER + keyLen + valueLen) });
    previous = key;
    at = next;
  }
  if (at !== batch.length) throw new ProtocolError('scan batch has bytes after its last entry');
  return { entries, more: (flags & SCAN_MORE) !== 0 };
}
