/**
 * Parsing and validating a KV request descriptor that the guest placed in its memory. The guest
 * is untrusted: the descriptor is copied once, at submit, and every field is checked here
 * against guest RAM and the API limits before anything acts on it. Later guest writes to the
 * descriptor are never read again.
 */
import { ABI, type KvOp } from '../abi.js';
import type { GuestMemory } from '../machine/guestMemory.js';

export interface KvRequest {
  /** Guest-physical address of the descriptor (where the result fields are written). */
  descAddr: number;
  op: KvOp;
  tag: number;
  /** The guest thread that submitted it (informational, for traces). */
  thread: number;
  key: Buffer;
  /** PUT: the value bytes, copied at submit. Empty for GET and DELETE. */
  value: Buffer;
  /** GET: the guest buffer the value is written to; SCAN: the batch buffer. */
  bufAddr: number;
  bufCapacity: number;
  /** SCAN only: the end key (copied at submit; undefined: no upper bound) and the resume flag. */
  scan?: { end: Buffer | undefined; after: boolean };
}

export type ParseResult =
  /** The descriptor itself cannot be read: nothing can be written back, only counted. */
  | { kind: 'unreadable'; reason: string }
  /** Readable but breaks a rule: completes with HKV_STATUS_INVALID. */
  | { kind: 'invalid'; descAddr: number; tag: number; reason: string }
  | { kind: 'ok'; request: KvRequest };

const KNOWN_OPS: ReadonlySet<number> = new Set([ABI.HKV_OP_PUT, ABI.HKV_OP_GET, ABI.HKV_OP_DELETE, ABI.HKV_OP_SCAN]);
const SCAN_FLAGS = ABI.HKV_SCAN_F_END | ABI.HKV_SCAN_F_AFTER;

export function parseDescriptor(memory: GuestMemory, descAddr: number): ParseResult {
  if (descAddr % 4 !== 0) return { kind: 'unreadable', reason: `descriptor 0x${descAddr.toString(16)} is not 4-byte aligned` };
  if (!memory.contains(descAddr, ABI.HKV_DESC_SIZE)) {
    return { kind: 'unreadable', reason: `descriptor 0x${descAddr.toString(16)} is outside guest RAM` };
  }
  const d = memory.read(descAddr, ABI.HKV_DESC_SIZE, 'descriptor');
  const field = (off: number): number => d.readUInt32LE(off);
  const tag = field(ABI.HKV_DESC_OFF_TAG);
  const invalid = (reason: string): ParseResult => ({ kind: 'invalid', descAddr, tag, reason });

  const op = field(ABI.HKV_DESC_OFF_OP);
  if (!KNOWN_OPS.has(op)) return invalid(`unknown op ${op}`);
  const flags = field(ABI.HKV_DESC_OFF_FLAGS);
  const auxAddr = field(ABI.HKV_DESC_OFF_AUX_ADDR);
  const auxLen = field(ABI.HKV_DESC_OFF_AUX_LEN);
  const hasEnd = op === ABI.HKV_OP_SCAN && (flags & ABI.HKV_SCAN_F_END) !== 0;
  if (op !== ABI.HKV_OP_SCAN && flags !== 0) return invalid('flags are not zero');
  if (op === ABI.HKV_OP_SCAN && (flags & ~SCAN_FLAGS) !== 0) return invalid(`unknown scan flags 0x${flags.toString(16)}`);
  if (!hasEnd && (auxAddr !== 0 || auxLen !== 0)) return invalid('aux fields are not zero');

  const keyAddr = field(ABI.HKV_DESC_OFF_KEY_ADDR);
  const keyLen = field(ABI.HKV_DESC_OFF_KEY_LEN);
  if (keyLen > ABI.HKV_MAX_KEY_LEN) return invalid(`key of ${keyLen} bytes exceeds ${ABI.HKV_MAX_KEY_LEN}`);
  if (!memory.contains(keyAddr, keyLen)) return invalid(`key [0x${keyAddr.toString(16)}, +${keyLen}) is outside guest RAM`);

  const valAddr = field(ABI.HKV_DESC_OFF_VAL_ADDR);
  const valLen = field(ABI.HKV_DESC_OFF_VAL_LEN);
  if (op !== ABI.HKV_OP_SCAN && valLen > ABI.HKV_MAX_VALUE_LEN) return invalid(`value length ${valLen} exceeds ${ABI.HKV_MAX_VALUE_LEN}`);

  const key = memory.read(keyAddr, keyLen, 'key');
  const base = { descAddr, op: op as KvOp, tag, thread: field(ABI.HKV_DESC_OFF_THREAD), key, value: Buffer.alloc(0), bufAddr: 0, bufCapacity: 0 };
  switch (op) {
    case ABI.HKV_OP_PUT:
      // A put of zero bytes is the seed's delete (`put(key, NULL, 0)`), whatever val_addr holds.
      if (valLen === 0) return { kind: 'ok', request: { ...base, op: ABI.HKV_OP_DELETE } };
      if (!memory.contains(valAddr, valLen)) return invalid(`value [0x${valAddr.toString(16)}, +${valLen}) is outside guest RAM`);
      return { kind: 'ok', request: { ...base, value: memory.read(valAddr, valLen, 'value') } };
    case ABI.HKV_OP_GET:
      if (!memory.contains(valAddr, valLen)) return invalid(`buffer [0x${valAddr.toString(16)}, +${valLen}) is outside guest RAM`);
      if (valLen > 0 && overlaps(valAddr, valLen, descAddr, ABI.HKV_DESC_SIZE)) return invalid('buffer overlaps the descriptor');
      return { kind: 'ok', request: { ...base, bufAddr: valAddr, bufCapacity: valLen } };
    case ABI.HKV_OP_SCAN: {
      if (valLen < ABI.HKV_SCAN_MIN_BATCH || valLen > ABI.HKV_SCAN_MAX_BATCH) {
        return invalid(`scan batch capacity ${valLen} is outside ${ABI.HKV_SCAN_MIN_BATCH}..${ABI.HKV_SCAN_MAX_BATCH}`);
      }
      if (!memory.contains(valAddr, valLen)) return invalid(`scan batch buffer [0x${valAddr.toString(16)}, +${valLen}) is outside guest RAM`);
      if (overlaps(valAddr, valLen, descAddr, ABI.HKV_DESC_SIZE)) return invalid('scan batch buffer overlaps the descriptor');
      let end: Buffer | undefined;
      if (hasEnd) {
        if (auxLen > ABI.HKV_MAX_KEY_LEN) return invalid(`scan end key of ${auxLen} bytes exceeds ${ABI.HKV_MAX_KEY_LEN}`);
        if (!memory.contains(auxAddr, auxLen)) return invalid(`scan end key [0x${auxAddr.toString(16)}, +${auxLen}) is outside guest RAM`);
        end = memory.read(auxAddr, auxLen, 'scan end key');
      }
      const after = (flags & ABI.HKV_SCAN_F_AFTER) !== 0;
      return { kind: 'ok', request: { ...base, bufAddr: valAddr, bufCapacity: valLen, scan: { end, after } } };
    }
    default:
      if (valLen !== 0) return invalid('delete carries no value');
      return { kind: 'ok', request: base };
  }
}

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  return a < b + blen && b < a + alen;
}
