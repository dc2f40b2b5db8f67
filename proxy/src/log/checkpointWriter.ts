/**
 * Encodes a checkpoint (docs/format.md, "Checkpoints"): a snapshot of the index as it stood
 * after segment `covered` was applied. The reader is checkpointReader.ts.
 */
import { crc32 } from 'node:zlib';
import { CHECKPOINT_ENTRY_BYTES, CHECKPOINT_HEADER_BYTES, CHECKPOINT_IN_RUN, CHECKPOINT_MAGIC, CHECKPOINT_VERSION, writeU64 } from './format.js';
import type { IndexEntry } from './keyIndex.js';

export interface CheckpointMeta {
  /** The newest segment on the chain that the snapshot includes (also the object's number). */
  covered: number;
  /** That segment's header CRC: the segment after it links to it. */
  coveredCrc: number;
  /** The highest sequence number of any record in the chain up to `covered` (0 if none). */
  lastSeq: number;
}

/** entries must be sorted by key in unsigned byte order with no duplicates. */
export function encodeCheckpoint(meta: CheckpointMeta, entries: ReadonlyArray<readonly [string, IndexEntry]>): Buffer {
  let length = 0;
  for (const [key] of entries) length += CHECKPOINT_ENTRY_BYTES + key.length;
  if (length > 0xffffffff) throw new RangeError('checkpoint larger than 4 GiB');
  const body = Buffer.allocUnsafe(CHECKPOINT_HEADER_BYTES + length);
  let at = CHECKPOINT_HEADER_BYTES;
  for (const [key, e] of entries) {
    body.writeUInt32LE(key.length, at);
    // A record in sorted run N is held as location -N (format.ts locationName).
    body.writeUInt8(e.segment < 0 ? e.type | CHECKPOINT_IN_RUN : e.type, at + 4);
    writeU64(body, at + 5, e.seq);
    writeU64(body, at + 13, Math.abs(e.segment));
    body.writeUInt32LE(e.offset, at + 21);
    body.writeUInt32LE(e.valueLength, at + 25);
    writeLatin1(body, at + CHECKPOINT_ENTRY_BYTES, key);
    at += CHECKPOINT_ENTRY_BYTES + key.length;
  }
  CHECKPOINT_MAGIC.copy(body, 0);
  body.writeUInt8(CHECKPOINT_VERSION, 4);
  body.writeUInt8(0, 5);
  body.writeUInt16LE(0, 6);
  writeU64(body, 8, meta.covered);
  body.writeUInt32LE(meta.coveredCrc, 16);
  writeU64(body, 20, meta.lastSeq);
  body.writeUInt32LE(entries.length, 28);
  body.writeUInt32LE(length, 32);
  body.writeUInt32LE(crc32(body.subarray(CHECKPOINT_HEADER_BYTES)), 36);
  body.writeUInt32LE(crc32(body.subarray(0, 40)), 40);
  return body;
}

/** body.write(key, at, 'latin1'), without a native call per short key (4x faster here). */
function writeLatin1(body: Buffer, at: number, key: string): void {
  if (key.length > 64) {
    body.write(key, at, 'latin1');
    return;
  }
  for (let i = 0; i < key.length; i++) body[at + i] = key.charCodeAt(i);
}
