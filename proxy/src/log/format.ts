/**
 * Constants of the log engine's on-S3 format (docs/format.md is the specification; this file and
 * the writers/readers beside it must agree with it byte for byte).
 *
 * Objects under the engine's prefix P:
 *
 *   P ENGINE                      the engine marker (marker.ts)
 *   P log/<20 decimal digits>     one segment per group commit, named by its segment number
 *   P ckpt/<20 decimal digits>    an index checkpoint covering the chain up to that segment
 *   P run/<20 decimal digits>     a sorted run written by compaction (compaction.ts)
 *
 * The numbers are zero-padded to 20 digits (the width of 2^64-1), so S3's lexicographic listing
 * is numeric order. All integers are little-endian; every checksum is CRC-32 (ISO-HDLC, the one
 * zlib computes: node:zlib crc32, the same helper the object engine uses).
 */

export const FORMAT_VERSION = 1;
/**
 * Checkpoints are version 2 since sorted runs exist: an entry may point into a run (bit 7 of its
 * type byte). Version 1 checkpoints (no such entries) are still read.
 */
export const CHECKPOINT_VERSION = 2;
/** Bit 7 of a checkpoint entry's type byte: the record lives in sorted run N, not segment N. */
export const CHECKPOINT_IN_RUN = 0x80;

export const RUN_MAGIC = Buffer.from('HKVR', 'latin1');
export const RUN_HEADER_BYTES = 36;
/** Fixed part of one block index entry (the block's first key follows). */
export const RUN_BLOCK_ENTRY_BYTES = 12;

export const SEGMENT_MAGIC = Buffer.from('HKVL', 'latin1');
export const SEGMENT_HEADER_BYTES = 44;
/**
 * Segment header flag: a fence (fencing.ts), written by a new writer before it recovers. It holds
 * no records and no link: its predecessor on the chain is the highest intact segment below it.
 */
export const SEGMENT_FLAG_FENCE = 1;

export const CHECKPOINT_MAGIC = Buffer.from('HKVC', 'latin1');
export const CHECKPOINT_HEADER_BYTES = 44;
/** Fixed part of one checkpoint entry (the key follows). */
export const CHECKPOINT_ENTRY_BYTES = 29;

/** Fixed part of one record (key and value follow). */
export const RECORD_HEADER_BYTES = 21;

export enum RecordType {
  Put = 1,
  Delete = 2,
}

export const SEGMENT_DIR = 'log/';
export const CHECKPOINT_DIR = 'ckpt/';
export const RUN_DIR = 'run/';
const NUMBER_DIGITS = 20;

/** Segment and checkpoint numbers are JS-safe integers >= 1 (encoded as u64). */
export function segmentName(prefix: string, n: number): string {
  return `${prefix}${SEGMENT_DIR}${pad(n)}`;
}

export function checkpointName(prefix: string, n: number): string {
  return `${prefix}${CHECKPOINT_DIR}${pad(n)}`;
}

export function runName(prefix: string, n: number): string {
  return `${prefix}${RUN_DIR}${pad(n)}`;
}

/**
 * Where a record lives, as the index holds it: segment N is N >= 1, sorted run N is -N. One
 * number keeps index entries small and lets code that groups reads by object (recordFetcher.ts)
 * treat both kinds alike; the checkpoint spells it out (CHECKPOINT_IN_RUN).
 */
export function locationName(prefix: string, location: number): string {
  return location < 0 ? runName(prefix, -location) : segmentName(prefix, location);
}

export function describeLocation(location: number): string {
  return location < 0 ? `run ${-location}` : `segment ${location}`;
}

/**
 * The number in an object name under prefix+dir, or undefined when the name is not of that form
 * (a reader reports such names instead of guessing what they are).
 */
export function parseNumberedName(prefix: string, dir: string, name: string): number | undefined {
  const head = prefix + dir;
  if (!name.startsWith(head)) return undefined;
  const digits = name.slice(head.length);
  if (!/^[0-9]{20}$/.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

function pad(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`object number ${n} is out of range`);
  return String(n).padStart(NUMBER_DIGITS, '0');
}

/** A stored object failed a check; the message names the object and the check. */
export class CorruptionError extends Error {
  override name = 'CorruptionError';
}

/**
 * The object is a proper prefix of what its header announces (or shorter than a header): what a
 * write cut short by a crash leaves on an endpoint that writes objects in place (s3rver).
 */
export class TruncatedError extends CorruptionError {
  override name = 'TruncatedError';
}

const TWO_32 = 0x1_0000_0000;

/**
 * Reads a u64 that must fit a JS safe integer (all numbers here do). Two u32 halves: much
 * cheaper than BigInt for the hundreds of thousands of entries of a checkpoint.
 */
export function readU64(buf: Buffer, offset: number, what: string): number {
  const high = buf.readUInt32LE(offset + 4);
  if (high >= 0x20_0000) throw new CorruptionError(`${what} ${buf.readBigUInt64LE(offset)} is larger than 2^53-1`);
  return high * TWO_32 + buf.readUInt32LE(offset);
}

export function writeU64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a u64 this engine writes`);
  buf.writeUInt32LE(value % TWO_32, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_32), offset + 4);
}
