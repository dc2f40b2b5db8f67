/**
 * Builds sorted-run objects (docs/format.md, "Sorted runs"): records in strictly increasing key
 * order followed by a block index, so that a reader without the engine's index finds the records
 * of a key range with a ranged GET of the header, one of the block index, and one per block
 * range. The reader is runReader.ts; compaction.ts decides what goes into a run.
 */
import { crc32 } from 'node:zlib';
import { RUN_BLOCK_ENTRY_BYTES, RUN_HEADER_BYTES, RUN_MAGIC, writeU64 } from './format.js';

/** A block is cut once it holds at least this many bytes of records. */
export const RUN_BLOCK_BYTES = 64 * 1024;

const RUN_VERSION = 1;

export interface EncodedRun {
  body: Buffer;
  /** Byte offset of each record within body, in the order they were added. */
  offsets: number[];
}

export class RunBuilder {
  private readonly records: Buffer[] = [];
  private readonly keys: Buffer[] = [];
  private recordBytes = 0;

  /** Bytes of records added so far. */
  get bytes(): number {
    return this.recordBytes;
  }

  get count(): number {
    return this.records.length;
  }

  /** record: an encoded PUT record (segmentWriter.ts encodeRecord) of key; keys must increase. */
  add(key: Buffer, record: Buffer): void {
    const last = this.keys[this.keys.length - 1];
    if (last !== undefined && Buffer.compare(last, key) >= 0) throw new RangeError('sorted run keys must strictly increase');
    this.records.push(record);
    this.keys.push(key);
    this.recordBytes += record.length;
  }

  finish(number: number): EncodedRun {
    const offsets: number[] = [];
    const blocks: Array<{ offset: number; bytes: number; firstKey: Buffer }> = [];
    let at = RUN_HEADER_BYTES;
    for (let i = 0; i < this.records.length; i++) {
      const current = blocks[blocks.length - 1];
      if (current === undefined || current.bytes >= RUN_BLOCK_BYTES) blocks.push({ offset: at, bytes: 0, firstKey: this.keys[i]! });
      offsets.push(at);
      blocks[blocks.length - 1]!.bytes += this.records[i]!.length;
      at += this.records[i]!.length;
    }
    let indexBytes = 4; // the block index CRC at its end
    for (const b of blocks) indexBytes += RUN_BLOCK_ENTRY_BYTES + b.firstKey.length;
    if (at + indexBytes > 0xffffffff) throw new RangeError('sorted run larger than 4 GiB');

    const body = Buffer.allocUnsafe(at + indexBytes);
    RUN_MAGIC.copy(body, 0);
    body.writeUInt8(RUN_VERSION, 4);
    body.writeUInt8(0, 5);
    body.writeUInt16LE(0, 6);
    writeU64(body, 8, number);
    body.writeUInt32LE(this.records.length, 16);
    body.writeUInt32LE(this.recordBytes, 20);
    body.writeUInt32LE(blocks.length, 24);
    body.writeUInt32LE(indexBytes, 28);
    body.writeUInt32LE(crc32(body.subarray(0, 32)), 32);
    for (let i = 0; i < this.records.length; i++) this.records[i]!.copy(body, offsets[i]!);
    let p = at;
    for (const b of blocks) {
      body.writeUInt32LE(b.offset, p);
      body.writeUInt32LE(b.bytes, p + 4);
      body.writeUInt32LE(b.firstKey.length, p + 8);
      b.firstKey.copy(body, p + RUN_BLOCK_ENTRY_BYTES);
      p += RUN_BLOCK_ENTRY_BYTES + b.firstKey.length;
    }
    body.writeUInt32LE(crc32(body.subarray(at, p)), p);
    return { body, offsets };
  }
}
