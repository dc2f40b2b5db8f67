/**
 * Decodes sorted-run objects (docs/format.md, "Sorted runs"); the writer is runWriter.ts.
 *
 * The engine itself reads single records of a run through its index (a ranged GET per record or
 * per neighbouring records, recordFetcher.ts). This reader is for everything else: checking a
 * whole run, and reading a key range of a run with no index at all, as the format promises —
 * the header, the block index, then only the blocks that can hold the range.
 */
import { crc32 } from 'node:zlib';
import type { ObjectStore } from '../s3/objectStore.js';
import { CorruptionError, readU64, RecordType, RUN_BLOCK_ENTRY_BYTES, RUN_HEADER_BYTES, RUN_MAGIC, runName, TruncatedError } from './format.js';
import { decodeRecord, type DecodedRecord } from './segmentReader.js';

export interface RunHeader {
  number: number;
  recordCount: number;
  recordsLength: number;
  blockCount: number;
  /** Bytes of the block index (with its CRC), which ends the object. */
  indexLength: number;
}

export interface RunBlock {
  offset: number;
  bytes: number;
  firstKey: Buffer;
}

export function decodeRunHeader(body: Buffer, expectedNumber: number): RunHeader {
  const what = `run ${expectedNumber}`;
  if (body.length < RUN_HEADER_BYTES) throw new TruncatedError(`${what}: truncated: ${body.length} bytes is shorter than the header`);
  if (!body.subarray(0, 4).equals(RUN_MAGIC)) throw new CorruptionError(`${what}: bad magic`);
  if (crc32(body.subarray(0, 32)) !== body.readUInt32LE(32)) throw new CorruptionError(`${what}: header checksum mismatch`);
  if (body.readUInt8(4) !== 1) throw new CorruptionError(`${what}: format version ${body.readUInt8(4)} is not 1`);
  if (body.readUInt8(5) !== 0 || body.readUInt16LE(6) !== 0) throw new CorruptionError(`${what}: reserved header bytes are not zero`);
  const number = readU64(body, 8, `${what}: run number`);
  if (number !== expectedNumber) throw new CorruptionError(`${what}: header says it is run ${number}`);
  return { number, recordCount: body.readUInt32LE(16), recordsLength: body.readUInt32LE(20), blockCount: body.readUInt32LE(24), indexLength: body.readUInt32LE(28) };
}

/** index: the bytes after the records, to the end of the object. */
export function decodeBlockIndex(index: Buffer, header: RunHeader): RunBlock[] {
  const what = `run ${header.number}, block index`;
  const blocks: RunBlock[] = [];
  let at = 0;
  let expectOffset = RUN_HEADER_BYTES;
  for (let i = 0; i < header.blockCount; i++) {
    if (index.length - at < RUN_BLOCK_ENTRY_BYTES) throw new TruncatedError(`${what}: entry ${i} truncated`);
    const offset = index.readUInt32LE(at);
    const bytes = index.readUInt32LE(at + 4);
    const keyLength = index.readUInt32LE(at + 8);
    if (keyLength > index.length - at - RUN_BLOCK_ENTRY_BYTES) throw new TruncatedError(`${what}: entry ${i}'s key runs past the end`);
    if (offset !== expectOffset || bytes === 0) throw new CorruptionError(`${what}: entry ${i} does not continue the blocks before it`);
    const firstKey = index.subarray(at + RUN_BLOCK_ENTRY_BYTES, at + RUN_BLOCK_ENTRY_BYTES + keyLength);
    const prev = blocks[blocks.length - 1];
    if (prev !== undefined && Buffer.compare(prev.firstKey, firstKey) >= 0) throw new CorruptionError(`${what}: first keys do not increase`);
    blocks.push({ offset, bytes, firstKey });
    expectOffset = offset + bytes;
    at += RUN_BLOCK_ENTRY_BYTES + keyLength;
  }
  if (expectOffset !== RUN_HEADER_BYTES + header.recordsLength) throw new CorruptionError(`${what}: blocks do not cover the records`);
  if (index.length - at !== 4) throw new (index.length - at < 4 ? TruncatedError : CorruptionError)(`${what}: ${index.length - at} bytes after the entries, not the 4-byte CRC`);
  if (crc32(index.subarray(0, at)) !== index.readUInt32LE(at)) throw new CorruptionError(`${what}: checksum mismatch`);
  return blocks;
}

/** Decodes a whole run with every check: header, block index, each record, key order. */
export function decodeRun(body: Buffer, expectedNumber: number): { header: RunHeader; blocks: RunBlock[]; records: DecodedRecord[] } {
  const header = decodeRunHeader(body, expectedNumber);
  const recordsEnd = RUN_HEADER_BYTES + header.recordsLength;
  if (body.length < recordsEnd) throw new TruncatedError(`run ${expectedNumber}: truncated: ${body.length} bytes, records end at ${recordsEnd}`);
  if (body.length !== recordsEnd + header.indexLength) {
    throw new (body.length < recordsEnd + header.indexLength ? TruncatedError : CorruptionError)(`run ${expectedNumber}: ${body.length} bytes, header says ${recordsEnd + header.indexLength}`);
  }
  const blocks = decodeBlockIndex(body.subarray(recordsEnd), header);
  const records = decodeRecords(body.subarray(0, recordsEnd), RUN_HEADER_BYTES, expectedNumber);
  if (records.length !== header.recordCount) throw new CorruptionError(`run ${expectedNumber}: ${records.length} records, header says ${header.recordCount}`);
  for (const b of blocks) {
    if (!records.some((r) => r.offset === b.offset && r.key.equals(b.firstKey))) throw new CorruptionError(`run ${expectedNumber}: a block does not start at a record with its first key`);
  }
  return { header, blocks, records };
}

/**
 * Reads the records of keys start <= k < end (end undefined: no bound) from run n with no index
 * but the run's own: three ranged GETs (header, block index, the blocks that can hold the range).
 */
export async function readRunRange(store: ObjectStore, prefix: string, n: number, start: Buffer, end: Buffer | undefined): Promise<DecodedRecord[]> {
  const name = runName(prefix, n);
  const head = await store.get(name, { start: 0, end: RUN_HEADER_BYTES - 1 });
  if (head === undefined) throw new CorruptionError(`run ${n} is missing`);
  const header = decodeRunHeader(head, n);
  const recordsEnd = RUN_HEADER_BYTES + header.recordsLength;
  const index = await store.get(name, { start: recordsEnd, end: recordsEnd + header.indexLength - 1 });
  if (index === undefined) throw new CorruptionError(`run ${n} is missing`);
  if (index.length !== header.indexLength) throw new TruncatedError(`run ${n}: block index of ${index.length} bytes, header says ${header.indexLength}`);
  const blocks = decodeBlockIndex(index, header);
  // The last block whose first key is <= start, through the last block whose first key is < end.
  let first = 0;
  while (first + 1 < blocks.length && Buffer.compare(blocks[first + 1]!.firstKey, start) <= 0) first++;
  let last = first;
  while (last + 1 < blocks.length && (end === undefined || Buffer.compare(blocks[last + 1]!.firstKey, end) < 0)) last++;
  if (blocks.length === 0) return [];
  const from = blocks[first]!.offset;
  const to = blocks[last]!.offset + blocks[last]!.bytes;
  const span = await store.get(name, { start: from, end: to - 1 });
  if (span === undefined || span.length !== to - from) throw new CorruptionError(`run ${n}: short read of its blocks`);
  return decodeRecords(span, 0, n).filter((r) => Buffer.compare(r.key, start) >= 0 && (end === undefined || Buffer.compare(r.key, end) < 0));
}

function decodeRecords(buf: Buffer, from: number, n: number): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  let at = from;
  while (at < buf.length) {
    const rec = decodeRecord(buf, at, `run ${n} at offset ${at}`);
    if (rec.type !== RecordType.Put) throw new CorruptionError(`run ${n} at offset ${at}: a sorted run holds only PUT records`);
    const prev = records[records.length - 1];
    if (prev !== undefined && Buffer.compare(prev.key, rec.key) >= 0) throw new CorruptionError(`run ${n} at offset ${at}: keys do not increase`);
    records.push(rec);
    at += rec.length;
  }
  return records;
}
