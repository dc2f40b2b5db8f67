/**
 * Compaction of the log into sorted runs (docs/compaction.md, section 4).
 *
 * Shape: two levels, as in a leveled LSM tree with one sorted level. Level 0 is the log itself
 * (segments, records in arrival order). Level 1 is a set of sorted-run objects `P run/<N>`
 * (runWriter.ts) whose live key ranges do not overlap. The index (keyIndex.ts) still points at
 * every key's newest record, wherever it is, so reads never merge levels: a compaction only moves
 * records, and a scan of a key range finds its values packed together in few run objects.
 *
 * One compaction:
 *   1. LIST `log/` and `run/`: what exists, and the next unused run number.
 *   2. Pick the level-1 runs to rewrite: those whose live key range holds a level-0 key (they
 *      must be merged with it to keep level 1 sorted and non-overlapping), those whose live
 *      fraction fell below `minLiveFraction` (garbage), and those smaller than `smallRunBytes`
 *      (so that small runs merge into larger ones).
 *   3. Merge, in key order, every live level-0 PUT (in a durable segment up to the head) with the
 *      live records of the picked runs into new runs of about `runBytes` each, cut also wherever
 *      a run that is not rewritten lies in between (level 1 stays non-overlapping). After each
 *      new run is durable, its keys are pointed at it — unless a newer write came meanwhile, which
 *      then simply wins (the record keeps its sequence number, so "newest wins" is unchanged).
 *      Level-0 tombstones are dropped from the index: no record older than them is ever read
 *      again (the same argument as garbage collection's, compaction.md section 2).
 *   4-5. reclaim.ts: a verified checkpoint, no older one, and every segment and run nothing
 *      points into any more deleted.
 *
 * Memory: one run being built (`runBytes`) plus one batch of values (`batchKeys`), and an array
 * of references to the keys being merged. Puts and gets go on meanwhile; the engine runs at
 * most one compaction or garbage collection at a time.
 */
import { performance } from 'node:perf_hooks';
import type { ObjectStore } from '../s3/objectStore.js';
import { CorruptionError, describeLocation, parseNumberedName, RecordType, RUN_DIR, runName, SEGMENT_DIR } from './format.js';
import { keyBytes, type IndexEntry } from './keyIndex.js';
import { checkpointAndReclaim, type ReclaimHost, type ReclaimStep } from './reclaim.js';
import { fetchValues } from './recordFetcher.js';
import { RunBuilder } from './runWriter.js';
import { encodeRecord } from './segmentWriter.js';
import type { ValueCache } from './valueCache.js';

export interface CompactionHost extends ReclaimHost {
  cache: ValueCache;
  /** The newest durable chain segment. */
  headNumber(): number;
}

export interface CompactionOptions {
  /** A new run is cut once it holds this many bytes of records; default 8 MiB. */
  runBytes?: number;
  /** Runs smaller than this are always rewritten (merged with their neighbours); default runBytes / 4. */
  smallRunBytes?: number;
  /** Runs whose live bytes fall below this fraction of their size are rewritten; default 0.5. */
  minLiveFraction?: number;
  /** Values fetched per batch while merging; default 8192. */
  batchKeys?: number;
  /** Tests: called after each step; a throw stops the run there (as a crash would). */
  onStep?: (step: CompactionStep) => void | Promise<void>;
}

export type CompactionStep = 'listed' | 'run-written' | 'merged' | ReclaimStep | 'done';

export interface CompactionReport {
  /** Live PUT records taken from level 0 (segments). */
  level0Records: number;
  /** Runs rewritten, and the live records taken from them. */
  runsRewritten: number;
  runRecords: number;
  runsWritten: number;
  bytesWritten: number;
  /** Records not moved because a newer write of their key came first. */
  recordsSkipped: number;
  tombstonesDropped: number;
  checkpoint: number;
  objectsDeleted: number;
  bytesDeleted: number;
  ms: number;
}

interface RunInfo {
  number: number;
  size: number;
  first: string | undefined;
  last: string | undefined;
}

interface Item {
  k: string;
  entry: IndexEntry;
}

export class Compactor {
  readonly counts = { runs: 0, failures: 0, runsWritten: 0, bytesWritten: 0, recordsMoved: 0, tombstonesDropped: 0, objectsDeleted: 0, bytesDeleted: 0 };
  lastError: string | undefined;
  private readonly runBytes: number;
  private readonly smallRunBytes: number;
  private readonly minLiveFraction: number;
  private readonly batchKeys: number;

  constructor(
    private readonly host: CompactionHost,
    private readonly options: CompactionOptions = {},
  ) {
    this.runBytes = Math.max(1, options.runBytes ?? 8 * 1024 * 1024);
    this.smallRunBytes = options.smallRunBytes ?? this.runBytes / 4;
    this.minLiveFraction = options.minLiveFraction ?? 0.5;
    this.batchKeys = Math.max(1, options.batchKeys ?? 8192);
  }

  async run(shouldStop: () => boolean = () => false): Promise<CompactionReport> {
    const started = performance.now();
    const { host } = this;
    const report: CompactionReport = {
      level0Records: 0,
      runsRewritten: 0,
      runRecords: 0,
      runsWritten: 0,
      bytesWritten: 0,
      recordsSkipped: 0,
      tombstonesDropped: 0,
      checkpoint: 0,
      objectsDeleted: 0,
      bytesDeleted: 0,
      ms: 0,
    };
    this.counts.runs++;

    // 1. What exists.
    const segments = await this.listSizes(host.store, SEGMENT_DIR);
    const runs = await this.listSizes(host.store, RUN_DIR);
    let nextRun = Math.max(0, ...runs.keys()) + 1;
    await this.step('listed');

    // 2. Level 1 as the index sees it, and which runs to rewrite.
    const head = host.headNumber();
    const keys = host.index.sortedKeys();
    const info = new Map<number, RunInfo>();
    for (const [n, size] of runs) info.set(n, { number: n, size, first: undefined, last: undefined });
    const level0: string[] = [];
    for (const k of keys) {
      const e = host.index.get(k);
      if (e === undefined) continue;
      if (e.segment < 0) {
        const r = info.get(-e.segment);
        if (r === undefined) continue; // not listed: cannot happen, compactions do not overlap
        r.first ??= k;
        r.last = k;
      } else if (e.segment <= head) level0.push(k);
    }
    const byFirst = [...info.values()].filter((r) => r.first !== undefined).sort((a, b) => (a.first! < b.first! ? -1 : 1));
    const rewrite = new Set<number>();
    for (const r of info.values()) {
      const liveBytes = host.index.segmentUse().get(-r.number)?.liveBytes ?? 0;
      if (r.first !== undefined && (liveBytes < this.minLiveFraction * r.size || r.size < this.smallRunBytes)) rewrite.add(r.number);
    }
    // Live ranges overlap only after a crash in the middle of a compaction (a checkpoint taken
    // meanwhile points into old and new runs): merge such runs again.
    let widest: RunInfo | undefined; // the run reaching furthest so far
    for (const r of byFirst) {
      if (widest !== undefined && r.first! <= widest.last!) {
        rewrite.add(r.number);
        rewrite.add(widest.number);
      }
      if (widest === undefined || r.last! > widest.last!) widest = r;
    }
    let j = 0;
    for (const k of level0) {
      while (j < byFirst.length && byFirst[j]!.last! < k) j++;
      const r = byFirst[j];
      if (r !== undefined && r.first! <= k) rewrite.add(r.number);
    }
    report.runsRewritten = rewrite.size;
    /** First keys of the runs that stay, in order: a new run never spans one of them. */
    const stays = byFirst.filter((r) => !rewrite.has(r.number)).map((r) => r.first!);

    // 3. Merge into new runs.
    const items: Item[] = [];
    const tombstones: Item[] = [];
    for (const k of keys) {
      const e = host.index.get(k);
      if (e === undefined) continue;
      if (e.segment > 0 && e.segment <= head) {
        if (e.type === RecordType.Put) {
          items.push({ k, entry: e });
          report.level0Records++;
        } else tombstones.push({ k, entry: e });
      } else if (e.segment < 0 && rewrite.has(-e.segment)) {
        items.push({ k, entry: e });
        report.runRecords++;
      }
    }

    let builder = new RunBuilder();
    let members: Item[] = [];
    let stay = 0;
    let lastKey: string | undefined;
    const finishRun = async (): Promise<void> => {
      if (builder.count === 0) return;
      const n = nextRun++;
      const { body, offsets } = builder.finish(n);
      await host.store.put(runName(host.prefix, n), body, { ifNoneMatch: true });
      runs.set(n, body.length); // a candidate for deletion if every key in it moved on meanwhile
      report.runsWritten++;
      report.bytesWritten += body.length;
      members.forEach((m, i) => {
        const moved: IndexEntry = { type: RecordType.Put, seq: m.entry.seq, segment: -n, offset: offsets[i]!, valueLength: m.entry.valueLength };
        if (!host.index.relocate(m.k, m.entry, moved)) report.recordsSkipped++;
      });
      builder = new RunBuilder();
      members = [];
      await this.step('run-written');
    };

    for (let at = 0; at < items.length && !shouldStop(); at += this.batchKeys) {
      const batch = items.slice(at, at + this.batchKeys).filter((it) => host.index.get(it.k) === it.entry);
      report.recordsSkipped += Math.min(this.batchKeys, items.length - at) - batch.length;
      const values = await this.values(batch);
      for (let i = 0; i < batch.length; i++) {
        const it = batch[i]!;
        const value = values[i];
        if (value === undefined) {
          report.recordsSkipped++;
          continue;
        }
        // Keep level 1 non-overlapping: cut before crossing the first key of a run that stays.
        while (stay < stays.length && lastKey !== undefined && stays[stay]! <= lastKey) stay++;
        if (builder.count > 0 && stay < stays.length && stays[stay]! < it.k) await finishRun();
        const key = keyBytes(it.k);
        builder.add(key, encodeRecord(it.entry.seq, RecordType.Put, key, value));
        members.push(it);
        lastKey = it.k;
        if (builder.bytes >= this.runBytes) await finishRun();
      }
    }
    if (shouldStop()) return this.finish(report, started);
    await finishRun();
    for (const t of tombstones) if (host.index.remove(t.k, t.entry)) report.tombstonesDropped++;
    await this.step('merged');

    // 4-5. Checkpoint, prune, delete (reclaim.ts).
    const reclaimed = await checkpointAndReclaim(host, segments, runs, (s) => this.step(s), shouldStop);
    report.checkpoint = reclaimed.checkpoint;
    report.objectsDeleted = reclaimed.objectsDeleted;
    report.bytesDeleted = reclaimed.bytesDeleted;
    await this.step('done');
    return this.finish(report, started);
  }

  /** Counters as `log.compaction*` stats. */
  stats(): Record<string, number> {
    const c = this.counts;
    return {
      'log.compactions': c.runs,
      'log.compactionFailures': c.failures,
      'log.compactionRunsWritten': c.runsWritten,
      'log.compactionBytesWritten': c.bytesWritten,
      'log.compactionRecordsMoved': c.recordsMoved,
      'log.compactionTombstonesDropped': c.tombstonesDropped,
      'log.compactionObjectsDeleted': c.objectsDeleted,
      'log.compactionBytesDeleted': c.bytesDeleted,
    };
  }

  /**
   * The values of a batch, in order: from the cache or with few ranged GETs. Undefined for a key
   * whose entry changed while its record was read (a newer write wins anyway); a record that is
   * unreadable although the index still points at it is corruption and stops the compaction
   * before anything is deleted.
   */
  private async values(batch: readonly Item[]): Promise<Array<Buffer | undefined>> {
    const { host } = this;
    const out: Array<Buffer | undefined> = batch.map((it) => host.cache.peek(it.k, it.entry.seq));
    const missing = batch.map((it, i) => ({ it, i })).filter(({ i }) => out[i] === undefined);
    if (missing.length === 0) return out;
    const fetched = await fetchValues(
      missing.map(({ it }) => ({ key: keyBytes(it.k), entry: it.entry })),
      // Level-0 records of neighbouring keys lie anywhere in their segments: read big spans
      // (records up to 256 KiB apart share a GET of up to 8 MiB) rather than one GET per record.
      { store: host.store, prefix: host.prefix, counters: host.counters, corruptRetries: host.corruptRetries, gapBytes: 256 * 1024, spanBytes: 8 * 1024 * 1024 },
      { gets: 0 },
    );
    missing.forEach(({ it, i }, m) => {
      const f = fetched[m]!;
      if (f.ok) out[i] = f.value;
      else if (host.index.get(it.k) === it.entry) {
        throw new CorruptionError(`compaction: the record of a key in ${describeLocation(it.entry.segment)} at offset ${it.entry.offset} is unreadable: ${f.reason}`);
      }
    });
    return out;
  }

  private async listSizes(store: ObjectStore, dir: string): Promise<Map<number, number>> {
    const sizes = new Map<number, number>();
    for await (const obj of store.list(this.host.prefix + dir)) {
      const n = parseNumberedName(this.host.prefix, dir, obj.name);
      if (n !== undefined) sizes.set(n, obj.size);
    }
    return sizes;
  }

  private async step(step: CompactionStep): Promise<void> {
    await this.options.onStep?.(step);
  }

  private finish(report: CompactionReport, started: number): CompactionReport {
    report.ms = performance.now() - started;
    const c = this.counts;
    c.runsWritten += report.runsWritten;
    c.bytesWritten += report.bytesWritten;
    c.recordsMoved += report.level0Records + report.runRecords - report.recordsSkipped;
    c.tombstonesDropped += report.tombstonesDropped;
    c.objectsDeleted += report.objectsDeleted;
    c.bytesDeleted += report.bytesDeleted;
    return report;
  }
}
