/**
 * Garbage collection of log segments (docs/format.md, section 6).
 *
 * One run:
 *   1. LIST `log/`: every segment object and its size.
 *   2. Pick victims: durable segments whose live fraction (bytes of PUT records the index still
 *      points into, over the object's size) is below `threshold`, least live first; then more,
 *      least live first, while the stored bytes would stay above `maxSpaceAmp` x live bytes.
 *   3. For each victim: GET it (checked), and append a copy of every record the index still
 *      points at through the ordinary write path, as a new record with a new sequence number
 *      (so recovery needs nothing new: "newest wins" holds because a key with a write pending
 *      is skipped, and any later write gets a higher number). A tombstone is not copied: it is
 *      dropped from the index (see format.md for why that never brings a key back).
 *   4. Write a checkpoint of the index now (it no longer points into the victims), read it back
 *      and check it, then delete every older checkpoint.
 *   5. Delete every listed segment numbered at most that checkpoint's segment that neither the
 *      index nor the checkpoint points into (the victims, segments that died on their own, and
 *      abandoned segments of failed flushes).
 * A crash between any two steps leaves a state recovery reads correctly: nothing is deleted
 * before a verified checkpoint that does not need it is the only base recovery can pick.
 */
import { performance } from 'node:perf_hooks';
import { parseNumberedName, RecordType, SEGMENT_DIR, segmentName } from './format.js';
import { keyString, type IndexEntry } from './keyIndex.js';
import { readChecked } from './objectReader.js';
import { checkpointAndReclaim, type ReclaimHost } from './reclaim.js';
import { decodeSegment } from './segmentReader.js';

/** What the collector needs from the engine. */
export interface GcHost extends ReclaimHost {
  /** The newest durable chain segment. */
  headNumber(): number;
  /**
   * Appends a copy of key's PUT record if the index still holds `expect` for it and no write
   * of key is pending; undefined when skipped. Resolves when the copy is durable and applied.
   */
  rewrite(key: string, keyBytes: Buffer, value: Buffer, expect: IndexEntry): Promise<void> | undefined;
  /** Forgets key's tombstone if the index still holds `expect` for it. */
  dropTombstone(key: string, expect: IndexEntry): boolean;
}

export interface GcOptions {
  /** Segments live below this fraction are rewritten; default 0.5. */
  threshold?: number;
  /** Rewrite more segments while stored bytes exceed this multiple of live bytes; default 1.15 (a checkpoint adds about 0.3 for small records, so the whole prefix stays under 1.5). */
  maxSpaceAmp?: number;
  /** At most this many live bytes are rewritten per run; default 64 MiB. */
  maxRewriteBytes?: number;
  /** Tests: called after each step; a throw stops the run there (as a crash would). */
  onStep?: (step: GcStep) => void | Promise<void>;
}

export type GcStep = 'listed' | 'rewritten' | 'checkpointed' | 'pruned' | 'deleted-one' | 'done';

export interface GcRunReport {
  segmentsListed: number;
  storedBefore: number;
  liveBefore: number;
  victims: number;
  recordsRewritten: number;
  bytesRewritten: number;
  /** Live records left in place because a write of their key was pending (or a copy failed). */
  recordsSkipped: number;
  tombstonesDropped: number;
  checkpoint: number;
  segmentsDeleted: number;
  bytesDeleted: number;
  ms: number;
}

export class GarbageCollector {
  readonly counts = { runs: 0, failures: 0, recordsRewritten: 0, bytesRewritten: 0, tombstonesDropped: 0, segmentsDeleted: 0, bytesDeleted: 0 };
  lastError: string | undefined;
  private readonly threshold: number;
  private readonly maxSpaceAmp: number;
  private readonly maxRewriteBytes: number;

  constructor(
    private readonly host: GcHost,
    private readonly options: GcOptions = {},
  ) {
    this.threshold = options.threshold ?? 0.5;
    this.maxSpaceAmp = options.maxSpaceAmp ?? 1.15;
    this.maxRewriteBytes = options.maxRewriteBytes ?? 64 * 1024 * 1024;
  }

  async run(shouldStop: () => boolean = () => false): Promise<GcRunReport> {
    const started = performance.now();
    const { host } = this;
    const report: GcRunReport = {
      segmentsListed: 0,
      storedBefore: 0,
      liveBefore: 0,
      victims: 0,
      recordsRewritten: 0,
      bytesRewritten: 0,
      recordsSkipped: 0,
      tombstonesDropped: 0,
      checkpoint: 0,
      segmentsDeleted: 0,
      bytesDeleted: 0,
      ms: 0,
    };
    this.counts.runs++;

    // 1. What exists.
    const sizes = new Map<number, number>();
    for await (const obj of host.store.list(host.prefix + SEGMENT_DIR)) {
      const n = parseNumberedName(host.prefix, SEGMENT_DIR, obj.name);
      if (n !== undefined) sizes.set(n, obj.size);
    }
    report.segmentsListed = sizes.size;
    await this.step('listed');

    // 2. Victims.
    const head = host.headNumber();
    const use = host.index.segmentUse();
    let stored = 0;
    let live = 0;
    const candidates: Array<{ n: number; size: number; live: number }> = [];
    for (const [n, size] of sizes) {
      stored += size;
      const u = use.get(n);
      live += u?.liveBytes ?? 0;
      if (u !== undefined && n <= head && size > 0) candidates.push({ n, size, live: u.liveBytes });
      else if (n <= head) stored -= size; // dead already: goes without a rewrite
    }
    report.storedBefore = [...sizes.values()].reduce((a, b) => a + b, 0);
    report.liveBefore = live;
    candidates.sort((a, b) => a.live / a.size - b.live / b.size);
    const victims: number[] = [];
    let rewriteBytes = 0;
    for (const c of candidates) {
      const below = c.live / c.size < this.threshold;
      if (!below && stored <= this.maxSpaceAmp * live) break;
      if (rewriteBytes + c.live > this.maxRewriteBytes && victims.length > 0) break;
      victims.push(c.n);
      rewriteBytes += c.live;
      stored -= c.size - c.live;
    }
    report.victims = victims.length;

    // 3. Copy what is live out of the victims.
    for (const n of victims) {
      if (shouldStop()) break;
      const res = await readChecked(host.store, segmentName(host.prefix, n), (body) => decodeSegment(body, n), host.counters, host.corruptRetries);
      if (!res.ok) {
        this.lastError = `segment ${n} could not be read for garbage collection: ${res.reason}`;
        continue;
      }
      const copies: Array<Promise<void>> = [];
      for (const rec of res.value.records) {
        const key = keyString(rec.key);
        const e = host.index.get(key);
        if (e === undefined || e.segment !== n || e.seq !== rec.seq) continue;
        if (rec.type === RecordType.Delete) {
          if (host.dropTombstone(key, e)) report.tombstonesDropped++;
          continue;
        }
        const copy = host.rewrite(key, rec.key, rec.value, e);
        if (copy === undefined) {
          report.recordsSkipped++;
          continue;
        }
        copies.push(
          copy.then(
            () => {
              report.recordsRewritten++;
              report.bytesRewritten += rec.length;
            },
            () => {
              report.recordsSkipped++;
            },
          ),
        );
      }
      await Promise.all(copies);
    }
    await this.step('rewritten');
    if (shouldStop()) return this.finish(report, started);

    // 4-5. A verified checkpoint that no longer needs the victims, no older one, and the
    // segments nothing needs any more deleted (reclaim.ts).
    const reclaimed = await checkpointAndReclaim(host, sizes, new Map(), (s) => this.step(s), shouldStop);
    report.checkpoint = reclaimed.checkpoint;
    report.segmentsDeleted = reclaimed.objectsDeleted;
    report.bytesDeleted = reclaimed.bytesDeleted;
    await this.step('done');
    return this.finish(report, started);
  }

  /** Counters as `log.gc*` stats (runs, failures, records and bytes rewritten, deletions). */
  stats(): Record<string, number> {
    const c = this.counts;
    return {
      'log.gcRuns': c.runs,
      'log.gcFailures': c.failures,
      'log.gcRecordsRewritten': c.recordsRewritten,
      'log.gcBytesRewritten': c.bytesRewritten,
      'log.gcTombstonesDropped': c.tombstonesDropped,
      'log.gcSegmentsDeleted': c.segmentsDeleted,
      'log.gcBytesDeleted': c.bytesDeleted,
    };
  }

  private async step(step: GcStep): Promise<void> {
    await this.options.onStep?.(step);
  }

  private finish(report: GcRunReport, started: number): GcRunReport {
    report.ms = performance.now() - started;
    const c = this.counts;
    c.recordsRewritten += report.recordsRewritten;
    c.bytesRewritten += report.bytesRewritten;
    c.tombstonesDropped += report.tombstonesDropped;
    c.segmentsDeleted += report.segmentsDeleted;
    c.bytesDeleted += report.bytesDeleted;
    return report;
  }
}
