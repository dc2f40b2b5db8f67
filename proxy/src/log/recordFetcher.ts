/**
 * Reads the values of many index entries with few requests (range scans, gc.ts, compaction.ts):
 * the records of one segment or sorted run that lie close together are fetched with one ranged GET covering all of them,
 * and each record in it is checked on its own exactly as a single-record read is
 * (decodeRecordExact: intact, and of the sequence number, type and key the index expects).
 */
import type { ObjectStore } from '../s3/objectStore.js';
import { CorruptionError, describeLocation, locationName, RECORD_HEADER_BYTES, RecordType } from './format.js';
import type { IndexEntry } from './keyIndex.js';
import { readChecked, type ReadCounters } from './objectReader.js';
import { decodeRecordExact } from './segmentReader.js';

export interface FetchItem {
  key: Buffer;
  entry: IndexEntry;
}

export interface FetchOptions {
  store: ObjectStore;
  prefix: string;
  counters: ReadCounters;
  corruptRetries: number;
  /** Neighbouring records this many bytes apart or closer share a GET; default 16 KiB. */
  gapBytes?: number;
  /** A GET never spans more than this; default 1 MiB. */
  spanBytes?: number;
}

/** A value, or why it could not be read (the segment may have been collected meanwhile). */
export type Fetched = { ok: true; value: Buffer } | { ok: false; reason: string };

export interface FetchReport {
  gets: number;
}

/** Fetches the PUT records of items; results in item order. */
export async function fetchValues(items: readonly FetchItem[], options: FetchOptions, report: FetchReport): Promise<Fetched[]> {
  const out: Fetched[] = new Array(items.length);
  const gap = options.gapBytes ?? 16 * 1024;
  const span = options.spanBytes ?? 1024 * 1024;
  const order = items.map((_, i) => i).sort((a, b) => {
    const x = items[a]!.entry;
    const y = items[b]!.entry;
    return x.segment - y.segment || x.offset - y.offset;
  });
  const runs: number[][] = [];
  let run: number[] = [];
  let runStart = 0;
  let runEnd = 0;
  for (const i of order) {
    const e = items[i]!.entry;
    const end = e.offset + recordBytes(items[i]!);
    const prev = run.length === 0 ? undefined : items[run[0]!]!.entry;
    if (prev !== undefined && prev.segment === e.segment && e.offset - runEnd <= gap && end - runStart <= span) {
      run.push(i);
      runEnd = Math.max(runEnd, end);
      continue;
    }
    if (run.length > 0) runs.push(run);
    run = [i];
    runStart = e.offset;
    runEnd = end;
  }
  if (run.length > 0) runs.push(run);

  await Promise.all(
    runs.map(async (r) => {
      const first = items[r[0]!]!.entry;
      const start = first.offset;
      const end = Math.max(...r.map((i) => items[i]!.entry.offset + recordBytes(items[i]!)));
      report.gets++;
      const res = await readChecked(
        options.store,
        locationName(options.prefix, first.segment),
        (bytes) => {
          if (bytes.length !== end - start) throw new CorruptionError(`short read: ${bytes.length} of ${end - start} bytes`);
          return bytes;
        },
        options.counters,
        options.corruptRetries,
        { start, end: end - 1 },
      ).catch((err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message : String(err), torn: false }));
      for (const i of r) {
        if (!res.ok) {
          out[i] = { ok: false, reason: res.reason };
          continue;
        }
        const { key, entry } = items[i]!;
        const at = entry.offset - start;
        const what = `${describeLocation(entry.segment)} at offset ${entry.offset}`;
        try {
          const rec = decodeRecordExact(res.value.subarray(at, at + recordBytes(items[i]!)), { seq: entry.seq, key, type: RecordType.Put }, what);
          out[i] = { ok: true, value: rec.value };
        } catch (err) {
          out[i] = { ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
      }
    }),
  );
  return out;
}

function recordBytes(item: FetchItem): number {
  return RECORD_HEADER_BYTES + item.key.length + item.entry.valueLength;
}
