/**
 * The log engine's range scan. Keys come from the index's sorted view (keyIndex.ts) in batches
 * of `batchKeys`; the values of a batch that are not cached are read with ranged GETs, records
 * of one segment lying close together sharing one GET (recordFetcher.ts). Memory is bounded by
 * one batch of values plus the sorted key array the index keeps anyway.
 */
import type { ScanOptions, ScanVisitor } from '../engine/engine.js';
import { CorruptionError, describeLocation, RecordType } from './format.js';
import { keyBytes, keyString, lowerBound, type IndexEntry, type KeyIndex } from './keyIndex.js';
import { fetchValues, type FetchOptions } from './recordFetcher.js';
import type { ValueCache } from './valueCache.js';

export interface ScanContext {
  index: KeyIndex;
  cache: ValueCache;
  fetch: FetchOptions;
  counts: { rangedGets: number; corruptionDetected: number; scanKeys: number };
  /** A single-key read that follows a record moved by garbage collection. */
  get(key: Buffer): Promise<Buffer | undefined>;
}

interface BatchItem {
  k: string;
  key: Buffer;
  entry: IndexEntry;
  value: Buffer | undefined;
}

/**
 * Visits every live key k with start <= k < end (no end: no upper bound) in unsigned byte
 * order with its newest value, until visit returns false; resolves with the number of keys
 * visited. A key written or deleted during the scan is seen with the value it had when its
 * batch was read; a key created during the scan is visited if it sorts after the batch being read
 * when it is created.
 */
export async function scanIndex(ctx: ScanContext, start: Buffer, end: Buffer | undefined, visit: ScanVisitor, options: ScanOptions = {}): Promise<number> {
  const batchKeys = Math.max(1, options.batchKeys ?? 256);
  const from = keyString(start);
  const to = end === undefined ? undefined : keyString(end);
  let keys = ctx.index.sortedKeys();
  let i = lowerBound(keys, from);
  let visited = 0;
  let reachedEnd = false;
  for (let first = true; !reachedEnd; first = false) {
    if (!first && i > 0) {
      // Keys created since the last batch and not yet passed are visited too: take the sorted
      // view again (the same array when nothing was added) and go on after the last key read.
      const fresh = ctx.index.sortedKeys();
      if (fresh !== keys) {
        const last = keys[i - 1]!;
        keys = fresh;
        i = lowerBound(keys, last);
        if (keys[i] === last) i++;
      }
    }
    if (i >= keys.length) break;
    const batch: BatchItem[] = [];
    while (i < keys.length && batch.length < batchKeys) {
      const k = keys[i]!;
      // latin1 strings compare code unit by code unit: unsigned byte order.
      if (to !== undefined && k >= to) {
        reachedEnd = true;
        break;
      }
      i++;
      const entry = ctx.index.get(k);
      if (entry === undefined || entry.type === RecordType.Delete) continue;
      batch.push({ k, key: keyBytes(k), entry, value: ctx.cache.peek(k, entry.seq) });
    }
    await fillMissing(ctx, batch);
    for (const b of batch) {
      if (b.value === undefined) continue; // deleted since the batch was read
      visited++;
      ctx.counts.scanKeys++;
      if ((await visit(b.key, Buffer.from(b.value))) === false) return visited;
    }
  }
  return visited;
}

async function fillMissing(ctx: ScanContext, batch: BatchItem[]): Promise<void> {
  const missing = batch.filter((b) => b.value === undefined);
  if (missing.length === 0) return;
  const report = { gets: 0 };
  const fetched = await fetchValues(missing, ctx.fetch, report);
  ctx.counts.rangedGets += report.gets;
  for (let j = 0; j < missing.length; j++) {
    const f = fetched[j]!;
    const b = missing[j]!;
    if (f.ok) b.value = f.value;
    else if (ctx.index.get(b.k) === b.entry) {
      ctx.counts.corruptionDetected++;
      throw new CorruptionError(`the record of a key in ${describeLocation(b.entry.segment)} at offset ${b.entry.offset} is unreadable: ${f.reason}`);
    } else b.value = await ctx.get(b.key); // moved by garbage collection (or overwritten) meanwhile
  }
}
