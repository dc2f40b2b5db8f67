/**
 * The in-memory index: each key's newest durable record. Keys are held as latin1 strings (one
 * char per byte, 0..255), so a Map can hold them and JavaScript's default string order is
 * exactly unsigned byte order: sorting the keys for a checkpoint or a range scan is a plain
 * `sort()`.
 *
 * Entries are immutable and replaced on update, so a shallow copy of the map is a consistent
 * snapshot (the checkpoint writer relies on it).
 *
 * Two views are kept up to date beside the map:
 * - per segment, how many entries point into it and how many bytes of PUT records they hold
 *   (garbage collection picks and deletes segments by them, gc.ts);
 * - the keys in sorted order for range scans: an immutable sorted array, rebuilt lazily by
 *   merging in the keys added since (a scan holds on to the array it started with).
 */
import { RECORD_HEADER_BYTES, RecordType } from './format.js';

export interface IndexEntry {
  readonly type: RecordType;
  readonly seq: number;
  /**
   * Where the record is (format.ts locationName: segment N as N, sorted run N as -N) and its
   * offset in that object.
   */
  readonly segment: number;
  readonly offset: number;
  /** 0 for a delete. The record is RECORD_HEADER_BYTES + key length + valueLength bytes. */
  readonly valueLength: number;
}

/** What the index holds in one segment. */
export interface SegmentUse {
  /** Entries (PUT or DELETE) whose record is in the segment. */
  refs: number;
  /** Bytes of the PUT records among them (whole records: header, key, value). */
  liveBytes: number;
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
  private readonly use = new Map<number, SegmentUse>();
  private sorted: readonly string[] = [];
  /** Keys added since `sorted` was built (removed keys stay in `sorted` until a rebuild). */
  private added: string[] = [];
  private removedSinceSort = 0;

  get(key: string): IndexEntry | undefined {
    return this.entries.get(key);
  }

  /** Records entry for key unless the index already holds a newer record of it. */
  apply(key: string, entry: IndexEntry): boolean {
    const old = this.entries.get(key);
    if (old !== undefined && old.seq >= entry.seq) return false;
    if (old === undefined) this.added.push(key);
    else this.account(key, old, -1);
    this.entries.set(key, entry);
    this.account(key, entry, 1);
    return true;
  }

  /**
   * Points key at a copy of the same record elsewhere (compaction moved it into a sorted run), if
   * its entry is still `expect`: same sequence number, so apply() would refuse it.
   */
  relocate(key: string, expect: IndexEntry, moved: IndexEntry): boolean {
    if (this.entries.get(key) !== expect || moved.seq !== expect.seq) return false;
    this.account(key, expect, -1);
    this.entries.set(key, moved);
    this.account(key, moved, 1);
    return true;
  }

  /** Forgets key if its entry is still `expect` (garbage collection dropping a tombstone). */
  remove(key: string, expect: IndexEntry): boolean {
    if (this.entries.get(key) !== expect) return false;
    this.entries.delete(key);
    this.account(key, expect, -1);
    this.removedSinceSort++;
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

  /** What the index holds in each segment it points into (a live view: do not modify). */
  segmentUse(): ReadonlyMap<number, SegmentUse> {
    return this.use;
  }

  /**
   * Every key in unsigned byte order, possibly with keys removed since (callers look each key
   * up again). The array is never modified afterwards, so a scan may hold on to it.
   */
  sortedKeys(): readonly string[] {
    if (this.removedSinceSort > this.sorted.length / 2) {
      this.sorted = Array.from(this.entries.keys()).sort();
      this.added = [];
      this.removedSinceSort = 0;
    } else if (this.added.length > 0) {
      const fresh = this.added.sort().filter((k, i, a) => i === 0 || a[i - 1] !== k);
      this.sorted = mergeSorted(this.sorted, fresh);
      this.added = [];
    }
    return this.sorted;
  }

  private account(key: string, e: IndexEntry, sign: 1 | -1): void {
    let u = this.use.get(e.segment);
    if (u === undefined) {
      u = { refs: 0, liveBytes: 0 };
      this.use.set(e.segment, u);
    }
    u.refs += sign;
    if (e.type === RecordType.Put) u.liveBytes += sign * (RECORD_HEADER_BYTES + key.length + e.valueLength);
    if (u.refs === 0) this.use.delete(e.segment);
  }
}

/** Merges two sorted arrays; a key in both (removed, then added again) appears once. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) out[n++] = a[i++]!;
    else if (y < x) out[n++] = b[j++]!;
    else {
      out[n++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  out.length = n;
  return out;
}

/** The first position in sorted keys whose key is >= key. */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
