/**
 * Decodes segments and single records (docs/format.md, "Segments"); the writer is
 * segmentWriter.ts. Every check the format allows is made, and a failed check throws a
 * CorruptionError naming what was wrong. Nothing is repaired or skipped here: deciding what a
 * damaged segment means is recovery's job (recovery.ts).
 */
import { crc32 } from 'node:zlib';
import {
  CorruptionError,
  FORMAT_VERSION,
  readU64,
  RECORD_HEADER_BYTES,
  RecordType,
  SEGMENT_FLAG_FENCE,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  TruncatedError,
} from './format.js';

export interface SegmentHeader {
  number: number;
  prevNumber: number;
  prevHeaderCrc: number;
  recordCount: number;
  recordsLength: number;
  headerCrc: number;
  /** A fence (format.ts SEGMENT_FLAG_FENCE): no records, no link. */
  fence: boolean;
}

export interface DecodedRecord {
  seq: number;
  type: RecordType;
  key: Buffer;
  /** Empty for a delete. A view into the segment's bytes. */
  value: Buffer;
  /** Offset of the record within the segment object. */
  offset: number;
  /** Length of the whole record (header, key, value). */
  length: number;
}

export interface DecodedSegment {
  header: SegmentHeader;
  records: DecodedRecord[];
}

/** Decodes a whole segment object; expectedNumber is the number in its name. */
export function decodeSegment(body: Buffer, expectedNumber: number): DecodedSegment {
  const header = decodeHeader(body, expectedNumber);
  const expected = SEGMENT_HEADER_BYTES + header.recordsLength;
  if (body.length < expected) throw new TruncatedError(`segment ${expectedNumber}: truncated: ${body.length} of ${expected} bytes`);
  if (body.length > expected) throw new CorruptionError(`segment ${expectedNumber}: ${body.length} bytes, header says ${expected}`);
  if (crc32(body.subarray(SEGMENT_HEADER_BYTES)) !== body.readUInt32LE(36)) {
    throw new CorruptionError(`segment ${expectedNumber}: records checksum mismatch`);
  }
  const records: DecodedRecord[] = [];
  let at = SEGMENT_HEADER_BYTES;
  let lastSeq = 0;
  while (at < body.length) {
    const rec = decodeRecord(body, at, `segment ${expectedNumber} at offset ${at}`);
    if (rec.seq <= lastSeq) throw new CorruptionError(`segment ${expectedNumber} at offset ${at}: sequence ${rec.seq} does not increase`);
    lastSeq = rec.seq;
    records.push(rec);
    at += rec.length;
  }
  if (records.length !== header.recordCount) {
    throw new CorruptionError(`segment ${expectedNumber}: ${records.length} records, header says ${header.recordCount}`);
  }
  return { header, records };
}

function decodeHeader(body: Buffer, expectedNumber: number): SegmentHeader {
  const what = `segment ${expectedNumber}`;
  if (body.length < SEGMENT_HEADER_BYTES) throw new TruncatedError(`${what}: truncated: ${body.length} bytes is shorter than the header`);
  if (!body.subarray(0, 4).equals(SEGMENT_MAGIC)) throw new CorruptionError(`${what}: bad magic`);
  const headerCrc = body.readUInt32LE(40);
  if (crc32(body.subarray(0, 40)) !== headerCrc) throw new CorruptionError(`${what}: header checksum mismatch`);
  const version = body.readUInt8(4);
  if (version !== FORMAT_VERSION) throw new CorruptionError(`${what}: format version ${version} is not ${FORMAT_VERSION}`);
  const flags = body.readUInt8(5);
  if ((flags !== 0 && flags !== SEGMENT_FLAG_FENCE) || body.readUInt16LE(6) !== 0) throw new CorruptionError(`${what}: unknown flags or reserved header bytes are not zero`);
  const fence = flags === SEGMENT_FLAG_FENCE;
  const number = readU64(body, 8, `${what}: segment number`);
  if (number !== expectedNumber) throw new CorruptionError(`${what}: header says it is segment ${number}`);
  const prevNumber = readU64(body, 16, `${what}: previous segment`);
  if (prevNumber >= number) throw new CorruptionError(`${what}: previous segment ${prevNumber} is not before it`);
  const prevHeaderCrc = body.readUInt32LE(24);
  if (prevNumber === 0 && prevHeaderCrc !== 0) throw new CorruptionError(`${what}: link CRC set without a previous segment`);
  const recordCount = body.readUInt32LE(28);
  if (fence && (prevNumber !== 0 || recordCount !== 0)) throw new CorruptionError(`${what}: a fence with a link or records`);
  return { number, prevNumber, prevHeaderCrc, recordCount, recordsLength: body.readUInt32LE(32), headerCrc, fence };
}

/** Decodes the record starting at offset within buf (which may hold more after it). */
export function decodeRecord(buf: Buffer, offset: number, what: string): DecodedRecord {
  if (buf.length - offset < RECORD_HEADER_BYTES) throw new CorruptionError(`${what}: record header truncated`);
  const keyLength = buf.readUInt32LE(offset + 13);
  const valueLength = buf.readUInt32LE(offset + 17);
  const length = RECORD_HEADER_BYTES + keyLength + valueLength;
  if (length > buf.length - offset) throw new CorruptionError(`${what}: record of ${length} bytes runs past the end`);
  const rec = buf.subarray(offset, offset + length);
  if (crc32(rec.subarray(4)) !== rec.readUInt32LE(0)) throw new CorruptionError(`${what}: record checksum mismatch`);
  const type = rec.readUInt8(12);
  if (type !== RecordType.Put && type !== RecordType.Delete) throw new CorruptionError(`${what}: unknown record type ${type}`);
  if (type === RecordType.Delete && valueLength !== 0) throw new CorruptionError(`${what}: delete record with a value`);
  const seq = readU64(rec, 4, `${what}: sequence`);
  if (seq === 0) throw new CorruptionError(`${what}: sequence number 0`);
  const key = rec.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + keyLength);
  const value = rec.subarray(RECORD_HEADER_BYTES + keyLength);
  return { seq, type, key, value, offset, length };
}

/**
 * Checks the bytes of a ranged GET of one record against what the index says it is: exactly one
 * record, intact, of the expected sequence number, type and key.
 */
export function decodeRecordExact(bytes: Buffer, expect: { seq: number; key: Buffer; type: RecordType }, what: string): DecodedRecord {
  const rec = decodeRecord(bytes, 0, what);
  if (rec.length !== bytes.length) throw new CorruptionError(`${what}: ${bytes.length} bytes read, record is ${rec.length}`);
  if (rec.seq !== expect.seq) throw new CorruptionError(`${what}: sequence ${rec.seq}, index says ${expect.seq}`);
  if (rec.type !== expect.type) throw new CorruptionError(`${what}: record type ${rec.type}, index says ${expect.type}`);
  if (!rec.key.equals(expect.key)) throw new CorruptionError(`${what}: holds a different key`);
  return rec;
}
