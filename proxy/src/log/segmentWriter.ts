/**
 * Encodes records and segments (docs/format.md, "Segments"). The reader is segmentReader.ts.
 *
 * A record is encoded when it is appended (so its bytes are fixed before it joins a batch); a
 * segment is the header followed by the records of one group commit, in append order.
 */
import { crc32 } from 'node:zlib';
import { FORMAT_VERSION, RECORD_HEADER_BYTES, RecordType, SEGMENT_FLAG_FENCE, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, writeU64 } from './format.js';

/** One record: CRC, sequence number, type, key length, value length, key, value. */
export function encodeRecord(seq: number, type: RecordType, key: Buffer, value: Buffer): Buffer {
  if (type === RecordType.Delete && value.length !== 0) throw new RangeError('a delete record has no value');
  const rec = Buffer.allocUnsafe(RECORD_HEADER_BYTES + key.length + value.length);
  writeU64(rec, 4, seq);
  rec.writeUInt8(type, 12);
  rec.writeUInt32LE(key.length, 13);
  rec.writeUInt32LE(value.length, 17);
  key.copy(rec, RECORD_HEADER_BYTES);
  value.copy(rec, RECORD_HEADER_BYTES + key.length);
  rec.writeUInt32LE(crc32(rec.subarray(4)), 0);
  return rec;
}

export interface SegmentLink {
  /** Number of the segment this one follows on the chain; 0 when it is the first. */
  number: number;
  /** That segment's header CRC; 0 when number is 0. */
  headerCrc: number;
}

export interface EncodedSegment {
  body: Buffer;
  /** The header CRC: the next segment's link to this one. */
  headerCrc: number;
  /** Byte offset of each record within body. */
  offsets: number[];
}

/** prev: the chain head this segment follows, or 'fence' for a fence (no records, no link). */
export function encodeSegment(number: number, prev: SegmentLink | 'fence', records: readonly Buffer[]): EncodedSegment {
  if (prev === 'fence' && records.length > 0) throw new RangeError('a fence segment holds no records');
  const link = prev === 'fence' ? { number: 0, headerCrc: 0 } : prev;
  let recordsLength = 0;
  for (const r of records) recordsLength += r.length;
  if (SEGMENT_HEADER_BYTES + recordsLength > 0xffffffff) throw new RangeError('segment larger than 4 GiB');
  const body = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES + recordsLength);
  const offsets: number[] = [];
  let at = SEGMENT_HEADER_BYTES;
  for (const r of records) {
    offsets.push(at);
    r.copy(body, at);
    at += r.length;
  }
  SEGMENT_MAGIC.copy(body, 0);
  body.writeUInt8(FORMAT_VERSION, 4);
  body.writeUInt8(prev === 'fence' ? SEGMENT_FLAG_FENCE : 0, 5);
  body.writeUInt16LE(0, 6);
  writeU64(body, 8, number);
  writeU64(body, 16, link.number);
  body.writeUInt32LE(link.headerCrc, 24);
  body.writeUInt32LE(records.length, 28);
  body.writeUInt32LE(recordsLength, 32);
  body.writeUInt32LE(crc32(body.subarray(SEGMENT_HEADER_BYTES)), 36);
  const headerCrc = crc32(body.subarray(0, 40));
  body.writeUInt32LE(headerCrc, 40);
  return { body, headerCrc, offsets };
}
