/**
 * The in-memory index: each key's newest durable record. Keys are held as latin1 strings (one
 * char per byte, 0..255), so a Map can hold them and JavaScript's default string order is
 * exactly unsigned byte order: sorting the keys for a checkpoint or a range scan is a plain
 * `sort()`.
 *
 * Entries are immutable and replaced on update, so a shallow copy of the map is a consistent
 * snapshot (the checkpoint writer relies on it).
 */
import type { RecordType } from './format.js';

export interface IndexEntry {
  readonly type: RecordType;
  readonly seq: number;
  /** The segment holding the record and the record's offset in it. */
  readonly segment: number;
  readonly offset: number;
  /** 0 for a delete. The record is RECORD_HEADER_BYTES + key length + valueLength bytes. */
  readonly valueLength: number;
}

export function keyString(key: Buffer): string {
  return key.toString('latin1');
}

export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Unsigned byte order of latin1 key strings (what Array.prototype.sort does by default). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class KeyIndex {
  private readonly entries = new Map<string, IndexEntry>();

  get(key: string): IndexEntry | undefined {
    return this.entries.get(key);
  }

  /** Records entry for key unless the index already holds a newer record of it. */
  apply(key: string, entry: IndexEntry): boolean {
    const old = this.entries.get(key);
    if (old !== undefined && old.seq >= entry.seq) return false;
    this.entries.set(key, entry);
    return true;
  }

  /** Number of keys with an entry (live values and tombstones). */
  get size(): number {
    return this.entries.size;
  }

  /** A consistent copy of every entry, in no particular order. */
  snapshot(): Array<[string, IndexEntry]> {
    return Array.from(this.entries);
  }
}
