/**
 * Decodes a checkpoint (docs/format.md, "Checkpoints"); the writer is checkpointWriter.ts.
 * Every check the format allows is made; a failed one throws a CorruptionError.
 */
import { crc32 } from 'node:zlib';
import {
  CHECKPOINT_ENTRY_BYTES,
  CHECKPOINT_HEADER_BYTES,
  CHECKPOINT_IN_RUN,
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  CorruptionError,
  readU64,
  RecordType,
} from './format.js';
import type { CheckpointMeta } from './checkpointWriter.js';
import type { IndexEntry } from './keyIndex.js';

export interface DecodedCheckpoint {
  meta: CheckpointMeta;
  /** Sorted by key (latin1 strings), unique. */
  entries: Array<[string, IndexEntry]>;
}

export function decodeCheckpoint(body: Buffer, expectedNumber: number): DecodedCheckpoint {
  const what = `checkpoint ${expectedNumber}`;
  if (body.length < CHECKPOINT_HEADER_BYTES) throw new CorruptionError(`${what}: ${body.length} bytes is shorter than the header`);
  if (!body.subarray(0, 4).equals(CHECKPOINT_MAGIC)) throw new CorruptionError(`${what}: bad magic`);
  if (crc32(body.subarray(0, 40)) !== body.readUInt32LE(40)) throw new CorruptionError(`${what}: header checksum mismatch`);
  const version = body.readUInt8(4);
  // Version 1 is version 2 without entries in sorted runs.
  if (version !== 1 && version !== CHECKPOINT_VERSION) throw new CorruptionError(`${what}: format version ${version} is not 1 or ${CHECKPOINT_VERSION}`);
  if (body.readUInt8(5) !== 0 || body.readUInt16LE(6) !== 0) throw new CorruptionError(`${what}: reserved header bytes are not zero`);
  const covered = readU64(body, 8, `${what}: covered segment`);
  if (covered !== expectedNumber) throw new CorruptionError(`${what}: header says it covers segment ${covered}`);
  const coveredCrc = body.readUInt32LE(16);
  const lastSeq = readU64(body, 20, `${what}: last sequence`);
  const count = body.readUInt32LE(28);
  const length = body.readUInt32LE(32);
  if (CHECKPOINT_HEADER_BYTES + length !== body.length) {
    throw new CorruptionError(`${what}: ${body.length} bytes, header says ${CHECKPOINT_HEADER_BYTES + length} (truncated or overlong)`);
  }
  if (crc32(body.subarray(CHECKPOINT_HEADER_BYTES)) !== body.readUInt32LE(36)) throw new CorruptionError(`${what}: entries checksum mismatch`);

  const entries: Array<[string, IndexEntry]> = new Array(count);
  let at = CHECKPOINT_HEADER_BYTES;
  let prevKey: string | undefined;
  for (let i = 0; i < count; i++) {
    const where = `${what}, entry ${i}`;
    if (body.length - at < CHECKPOINT_ENTRY_BYTES) throw new CorruptionError(`${where}: truncated`);
    const keyLength = body.readUInt32LE(at);
    const typeByte = body.readUInt8(at + 4);
    const inRun = version >= 2 && (typeByte & CHECKPOINT_IN_RUN) !== 0;
    const type = inRun ? typeByte & ~CHECKPOINT_IN_RUN : typeByte;
    const seq = readU64(body, at + 5, `${where}: sequence`);
    const segment = readU64(body, at + 13, `${where}: segment`);
    const offset = body.readUInt32LE(at + 21);
    const valueLength = body.readUInt32LE(at + 25);
    const keyStart = at + CHECKPOINT_ENTRY_BYTES;
    if (keyLength > body.length - keyStart) throw new CorruptionError(`${where}: key runs past the end`);
    if (type !== RecordType.Put && type !== RecordType.Delete) throw new CorruptionError(`${where}: unknown record type ${type}`);
    if (type === RecordType.Delete && valueLength !== 0) throw new CorruptionError(`${where}: delete with a value length`);
    if (seq === 0 || seq > lastSeq) throw new CorruptionError(`${where}: sequence ${seq} outside 1..${lastSeq}`);
    if (inRun && (segment === 0 || type !== RecordType.Put)) throw new CorruptionError(`${where}: ${segment === 0 ? 'run 0' : 'a DELETE in a sorted run'}`);
    if (!inRun && (segment === 0 || segment > covered)) throw new CorruptionError(`${where}: segment ${segment} outside 1..${covered}`);
    const key = body.toString('latin1', keyStart, keyStart + keyLength);
    if (prevKey !== undefined && !(prevKey < key)) throw new CorruptionError(`${where}: keys are not in strictly increasing order`);
    prevKey = key;
    entries[i] = [key, { type, seq, segment: inRun ? -segment : segment, offset, valueLength }];
    at = keyStart + keyLength;
  }
  if (at !== body.length) throw new CorruptionError(`${what}: ${body.length - at} bytes after the last entry`);
  return { meta: { covered, coveredCrc, lastSeq }, entries };
}
