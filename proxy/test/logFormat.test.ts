/**
 * The log engine's object formats, without S3: writers and readers agree, every check fires on
 * damaged bytes, and the byte layout is the one docs/format.md gives.
 */
import { describe, expect, test } from '@jest/globals';
import { crc32 } from 'node:zlib';
import { decodeCheckpoint } from '../src/log/checkpointReader.js';
import { encodeCheckpoint } from '../src/log/checkpointWriter.js';
import { checkpointName, CorruptionError, parseNumberedName, RecordType, SEGMENT_HEADER_BYTES, segmentName } from '../src/log/format.js';
import type { IndexEntry } from '../src/log/keyIndex.js';
import { decodeMarker, encodeMarker } from '../src/log/marker.js';
import { decodeRecordExact, decodeSegment } from '../src/log/segmentReader.js';
import { encodeRecord, encodeSegment } from '../src/log/segmentWriter.js';
import { ValueCache } from '../src/log/valueCache.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function sampleSegment(): ReturnType<typeof encodeSegment> {
  return encodeSegment(7, { number: 5, headerCrc: 0xdeadbeef }, [
    encodeRecord(100, RecordType.Put, b('alpha'), b('one')),
    encodeRecord(101, RecordType.Delete, b('beta'), Buffer.alloc(0)),
    encodeRecord(102, RecordType.Put, Buffer.alloc(0), Buffer.alloc(0)),
  ]);
}

describe('names', () => {
  test('fixed width, so that byte order is numeric order', () => {
    expect(segmentName('kv/', 1)).toBe('kv/log/00000000000000000001');
    expect(checkpointName('', 12345)).toBe('ckpt/00000000000000012345');
    expect(segmentName('p/', 9) < segmentName('p/', 10)).toBe(true);
    expect(parseNumberedName('kv/', 'log/', 'kv/log/00000000000000000042')).toBe(42);
    expect(parseNumberedName('kv/', 'log/', 'kv/log/42')).toBeUndefined();
    expect(parseNumberedName('kv/', 'log/', 'kv/log/00000000000000000000')).toBeUndefined();
  });
});

describe('segments', () => {
  test('round trip, with the documented header layout', () => {
    const seg = sampleSegment();
    const body = seg.body;
    expect(body.subarray(0, 4).toString('latin1')).toBe('HKVL');
    expect(body.readUInt8(4)).toBe(1);
    expect(body.readBigUInt64LE(8)).toBe(7n);
    expect(body.readBigUInt64LE(16)).toBe(5n);
    expect(body.readUInt32LE(24)).toBe(0xdeadbeef);
    expect(body.readUInt32LE(28)).toBe(3);
    expect(body.readUInt32LE(32)).toBe(body.length - SEGMENT_HEADER_BYTES);
    expect(body.readUInt32LE(36)).toBe(crc32(body.subarray(44)));
    expect(body.readUInt32LE(40)).toBe(crc32(body.subarray(0, 40)));
    expect(seg.headerCrc).toBe(body.readUInt32LE(40));
    // First record: CRC, seq, type, key length, value length, key, value.
    const r = body.subarray(44, 44 + 21 + 5 + 3);
    expect(r.readUInt32LE(0)).toBe(crc32(r.subarray(4)));
    expect(r.readBigUInt64LE(4)).toBe(100n);
    expect(r.readUInt8(12)).toBe(1);
    expect(r.readUInt32LE(13)).toBe(5);
    expect(r.readUInt32LE(17)).toBe(3);
    expect(r.subarray(21).toString('latin1')).toBe('alphaone');

    const decoded = decodeSegment(body, 7);
    expect(decoded.header).toMatchObject({ number: 7, prevNumber: 5, prevHeaderCrc: 0xdeadbeef, recordCount: 3 });
    expect(decoded.records.map((x) => [x.seq, x.type, x.key.toString(), x.value.toString(), x.offset])).toEqual([
      [100, RecordType.Put, 'alpha', 'one', seg.offsets[0]],
      [101, RecordType.Delete, 'beta', '', seg.offsets[1]],
      [102, RecordType.Put, '', '', seg.offsets[2]],
    ]);
  });

  test('every flipped byte and every truncation is detected', () => {
    const body = sampleSegment().body;
    for (let i = 0; i < body.length; i++) {
      const bad = Buffer.from(body);
      bad[i]! ^= 0x40;
      expect(() => decodeSegment(bad, 7)).toThrow(CorruptionError);
    }
    for (let n = 0; n < body.length; n++) expect(() => decodeSegment(body.subarray(0, n), 7)).toThrow(CorruptionError);
    expect(() => decodeSegment(Buffer.concat([body, Buffer.alloc(1)]), 7)).toThrow(CorruptionError);
    expect(() => decodeSegment(body, 8)).toThrow(/header says it is segment 7/);
  });

  test('a ranged read of one record is checked against the index', () => {
    const seg = sampleSegment();
    const rec = seg.body.subarray(seg.offsets[0], seg.offsets[1]);
    expect(decodeRecordExact(rec, { seq: 100, key: b('alpha'), type: RecordType.Put }, 'r').value.toString()).toBe('one');
    expect(() => decodeRecordExact(rec, { seq: 99, key: b('alpha'), type: RecordType.Put }, 'r')).toThrow(/sequence/);
    expect(() => decodeRecordExact(rec, { seq: 100, key: b('alphb'), type: RecordType.Put }, 'r')).toThrow(/different key/);
    expect(() => decodeRecordExact(rec.subarray(0, rec.length - 1), { seq: 100, key: b('alpha'), type: RecordType.Put }, 'r')).toThrow(CorruptionError);
    const bad = Buffer.from(rec);
    bad[bad.length - 1]! ^= 1;
    expect(() => decodeRecordExact(bad, { seq: 100, key: b('alpha'), type: RecordType.Put }, 'r')).toThrow(/checksum/);
  });
});

describe('checkpoints', () => {
  const entries: Array<[string, IndexEntry]> = [
    ['', { type: RecordType.Put, seq: 3, segment: 1, offset: 44, valueLength: 0 }],
    ['a', { type: RecordType.Delete, seq: 9, segment: 2, offset: 44, valueLength: 0 }],
    ['\u00ff\u0000', { type: RecordType.Put, seq: 12, segment: 4, offset: 90, valueLength: 4096 }],
  ];

  test('round trip, header layout', () => {
    const body = encodeCheckpoint({ covered: 4, coveredCrc: 0x01020304, lastSeq: 12 }, entries);
    expect(body.subarray(0, 4).toString('latin1')).toBe('HKVC');
    expect(body.readBigUInt64LE(8)).toBe(4n);
    expect(body.readUInt32LE(16)).toBe(0x01020304);
    expect(body.readBigUInt64LE(20)).toBe(12n);
    expect(body.readUInt32LE(28)).toBe(3);
    expect(body.length).toBe(44 + 3 * 29 + 0 + 1 + 2);
    const decoded = decodeCheckpoint(body, 4);
    expect(decoded.meta).toEqual({ covered: 4, coveredCrc: 0x01020304, lastSeq: 12 });
    expect(decoded.entries).toEqual(entries);
  });

  test('damage and unsorted keys are detected', () => {
    const body = encodeCheckpoint({ covered: 4, coveredCrc: 1, lastSeq: 12 }, entries);
    for (let i = 0; i < body.length; i++) {
      const bad = Buffer.from(body);
      bad[i]! ^= 0x08;
      expect(() => decodeCheckpoint(bad, 4)).toThrow(CorruptionError);
    }
    expect(() => decodeCheckpoint(body.subarray(0, body.length - 1), 4)).toThrow(CorruptionError);
    const unsorted = encodeCheckpoint({ covered: 4, coveredCrc: 1, lastSeq: 12 }, [entries[1]!, entries[0]!]);
    expect(() => decodeCheckpoint(unsorted, 4)).toThrow(/increasing order/);
    const tooNew = encodeCheckpoint({ covered: 4, coveredCrc: 1, lastSeq: 11 }, entries);
    expect(() => decodeCheckpoint(tooNew, 4)).toThrow(/sequence 12/);
  });
});

describe('engine marker', () => {
  test('round trip and damage', () => {
    const body = encodeMarker({ engine: 'log', formatVersion: 1 });
    expect(body.length).toBe(15);
    expect(decodeMarker(body)).toEqual({ engine: 'log', formatVersion: 1 });
    for (let i = 0; i < body.length; i++) {
      const bad = Buffer.from(body);
      bad[i]! ^= 0x10;
      expect(() => decodeMarker(bad)).toThrow(CorruptionError);
    }
  });
});

describe('value cache', () => {
  test('LRU within its byte budget, and only the tagged version hits', () => {
    const cache = new ValueCache(3 * (100 + 1 + 64));
    for (const k of ['a', 'b', 'c']) cache.set(k, 1, Buffer.alloc(100));
    expect(cache.get('a', 1)).toBeDefined(); // a is now the most recent
    cache.set('d', 1, Buffer.alloc(100)); // evicts b
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBeDefined();
    expect(cache.get('a', 2)).toBeUndefined(); // a newer record of a exists: stale
    expect(cache.usedBytes).toBeLessThanOrEqual(3 * 165);
    cache.set('huge', 1, Buffer.alloc(10000)); // larger than the cache: not kept
    expect(cache.get('huge', 1)).toBeUndefined();
  });
});
