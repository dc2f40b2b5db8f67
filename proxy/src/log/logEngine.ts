/**
 * The log engine: S3 as a persistent log (docs/format.md has the objects it writes).
 *
 *   put/delete → encodeRecord → GroupCommit (one segment PUT in flight) → segment durable
 *              → index + cache updated → writers resolved → maybe a background checkpoint
 *   get        → index → value cache → ranged GET of the one record (checked) → cache
 *   open       → claimPrefix (engine marker) → recover (checkpoint + chain of segments)
 *
 * No dirty reads: the index only ever points at records of durable segments, and a writer is
 * resolved only after the index holds its record, so a get that starts after a put resolved
 * sees it (or something newer).
 *
 * A failed segment PUT fails exactly the writes in it; its number is never reused (the next
 * segment gets the next number and links to the newest durable segment, so recovery knows the
 * failed one is off the chain whether or not it landed).
 */
import { performance } from 'node:perf_hooks';
import type { Engine, ScanOptions, ScanVisitor } from '../engine/engine.js';
import type { ObjectStore } from '../s3/objectStore.js';
import { Checkpointer, type Snapshot } from './checkpointer.js';
import { CorruptionError, describeLocation, FORMAT_VERSION, locationName, RECORD_HEADER_BYTES, RecordType, segmentName } from './format.js';
import { Compactor, type CompactionOptions, type CompactionReport } from './compaction.js';
import { GarbageCollector, type GcOptions, type GcRunReport } from './gc.js';
import { GroupCommit } from './groupCommit.js';
import { KeyIndex, keyString, type IndexEntry } from './keyIndex.js';
import { LatencyWindow } from './latency.js';
import { Maintenance } from './maintenance.js';
import { claimEpoch, FencedError, isPreconditionFailed, newestEpoch, probeConditionalWrites, writeFence, type ConditionalWrites } from './fencing.js';
import { claimPrefix } from './marker.js';
import { readChecked, type ReadCounters } from './objectReader.js';
import { scanIndex } from './logScan.js';
import { recover, type RecoveredState, type RecoveryReport } from './recovery.js';
import { decodeRecordExact } from './segmentReader.js';
import { encodeRecord, encodeSegment, type EncodedSegment, type SegmentLink } from './segmentWriter.js';
import { ValueCache } from './valueCache.js';

export const LOG_ENGINE_NAME = 'log';

export interface LogEngineOptions {
  store: ObjectStore;
  /** Empty, or ends with `/`. */
  prefix: string;
  /** Bytes of values kept in memory (LRU); default 64 MiB. */
  cacheBytes?: number;
  /** A batch closes when the next record would take its records past this; default 4 MiB. */
  segmentCapBytes?: number;
  /** Write a checkpoint after this many segments since the last one; default 128. */
  checkpointEvery?: number;
  /** ... or after this many segment bytes; default 64 MiB. */
  checkpointBytes?: number;
  /** Write a checkpoint on close when segments are not covered by one; default true. */
  checkpointOnClose?: boolean;
  /** Extra reads of an object that fails its checks before it is declared damaged; default 3. */
  corruptRetries?: number;
  /** Parallel GETs during recovery; default 16. */
  recoveryConcurrency?: number;
  /** Garbage collection policy (gc.ts). */
  gc?: GcOptions;
  /** Start a background garbage collection run after this many segments; default 0: never. */
  gcEverySegments?: number;
  /** Compaction into sorted runs (compaction.ts). */
  compaction?: CompactionOptions;
  /**
   * Every this many segments, start a background compaction if level 0 (live bytes in segments)
   * holds at least `compactMinBytes` and `compactRatio` times level 1 (live bytes in runs);
   * default 0: never (only on compact()).
   */
  compactEverySegments?: number;
  /** Default 4 MiB. */
  compactMinBytes?: number;
  /** Default 0.1: level 1 is rewritten about once per tenth of its size written. */
  compactRatio?: number;
  /** Where a one-line notice goes (fenced by a newer writer); default stderr. */
  log?: (line: string) => void;
}

/** How openLogEngine fenced older writers (fencing.ts). */
export interface WriterFence {
  epoch: number;
  conditionalWrites: ConditionalWrites;
}

export const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SEGMENT_CAP_BYTES = 4 * 1024 * 1024;

/**
 * Claims the prefix and a writer epoch, fences any older writer (fencing.ts), recovers, and
 * resolves with an engine ready for requests.
 */
export async function openLogEngine(options: LogEngineOptions): Promise<LogEngine> {
  await claimPrefix(options.store, options.prefix, LOG_ENGINE_NAME, FORMAT_VERSION);
  const conditionalWrites = await probeConditionalWrites(options.store, options.prefix);
  const epoch = await claimEpoch(options.store, options.prefix);
  // Without conditional creates a fence could overwrite an older writer's segment: none then.
  const fence = conditionalWrites === 'honoured' ? await writeFence(options.store, options.prefix) : undefined;
  const state = await recover({
    store: options.store,
    prefix: options.prefix,
    corruptRetries: options.corruptRetries ?? 3,
    concurrency: options.recoveryConcurrency ?? 16,
  });
  return new LogEngine(options, state, { epoch, conditionalWrites }, fence?.listed);
}

/** A segment whose PUT failed: it may have landed, so its number is tried again, never skipped. */
interface FailedSegment {
  number: number;
  segment: EncodedSegment;
  batch: Pending[];
}

interface Pending {
  key: string;
  seq: number;
  type: RecordType;
  record: Buffer;
  /** A garbage collection copy: the sequence number of the record it copies. */
  copyOf?: number;
  /** No record: asks for a segment, empty if nothing else comes, to move the head on (seal()). */
  seal?: true;
}

export class LogEngine implements Engine {
  readonly name = LOG_ENGINE_NAME;
  /** put and delete take their sequence number and group-commit place when called (append). */
  readonly ordersWrites = true;
  private readonly store: ObjectStore;
  private readonly prefix: string;
  private readonly corruptRetries: number;
  private readonly checkpointOnClose: boolean;
  private readonly index: KeyIndex;
  private readonly cache: ValueCache;
  private readonly commit: GroupCommit<Pending>;
  private readonly checkpointer: Checkpointer;
  private readonly recovery: RecoveryReport;
  private readonly flushLatency = new LatencyWindow(4096);
  private readonly reads: ReadCounters = { corruptRetries: 0 };
  private head: SegmentLink;
  private nextSegment: number;
  private nextSeq: number;
  /** Highest sequence number in a durable segment. */
  private lastSeq: number;
  private closed = false;
  /** Why this writer stopped: a newer writer fenced it. */
  private fencedBy: string | undefined;
  /**
   * The failed PUTs of the next segment number, oldest first (fencing.ts: numbers are never
   * skipped). All of them, not only the last: a PUT that timed out may still land later (an
   * endpoint that stalled, then resumed), and any one of them may be the object found there.
   */
  private failed: FailedSegment[] = [];
  private readonly log: (line: string) => void;
  /** Writes accepted but not yet settled, per key (garbage collection must not copy over them). */
  private readonly pending = new Map<string, number>();
  private readonly gc: GarbageCollector;
  private readonly compactor: Compactor;
  /** Background garbage collection and compaction, at most one at a time. */
  private readonly maintenance: Maintenance;
  private readonly counts = {
    puts: 0,
    gets: 0,
    deletes: 0,
    segmentsWritten: 0,
    flushFailures: 0,
    writesFailed: 0,
    recordsWritten: 0,
    maxRecordsPerSegment: 0,
    bytesWritten: 0,
    rangedGets: 0,
    corruptionDetected: 0,
    scans: 0,
    scanKeys: 0,
    readRetries: 0,
  };

  constructor(
    options: LogEngineOptions,
    state: RecoveredState,
    readonly writer: WriterFence = { epoch: 0, conditionalWrites: 'ignored' },
    segmentsAtStart?: readonly number[],
  ) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.store = options.store;
    this.prefix = options.prefix;
    this.corruptRetries = options.corruptRetries ?? 3;
    this.checkpointOnClose = options.checkpointOnClose ?? true;
    this.index = state.index;
    this.head = state.head;
    this.nextSegment = state.nextSegment;
    this.nextSeq = state.nextSeq;
    this.lastSeq = state.lastSeq;
    this.recovery = state.report;
    this.cache = new ValueCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.commit = new GroupCommit((batch) => this.flush(batch), options.segmentCapBytes ?? DEFAULT_SEGMENT_CAP_BYTES);
    this.checkpointer = new Checkpointer({
      store: this.store,
      prefix: this.prefix,
      everySegments: options.checkpointEvery ?? 128,
      everyBytes: options.checkpointBytes ?? 64 * 1024 * 1024,
      keep: 2,
      existing: state.checkpoints,
      covered: state.report.checkpoint,
      segmentsSince: state.segmentsSinceCheckpoint,
      bytesSince: state.bytesSinceCheckpoint,
    });
    this.gc = new GarbageCollector(
      {
        store: this.store,
        prefix: this.prefix,
        corruptRetries: this.corruptRetries,
        counters: this.reads,
        index: this.index,
        headNumber: () => this.head.number,
        rewrite: (key, bytes, value, expect) => this.rewrite(key, bytes, value, expect),
        dropTombstone: (key, expect) => this.index.remove(key, expect),
        checkpointNow: () => this.checkpointAfterMaintenance(),
        pruneCheckpointsBefore: (n) => this.checkpointer.pruneBefore(n),
      },
      options.gc,
    );
    this.compactor = new Compactor(
      {
        store: this.store,
        prefix: this.prefix,
        corruptRetries: this.corruptRetries,
        counters: this.reads,
        index: this.index,
        cache: this.cache,
        headNumber: () => this.head.number,
        checkpointNow: () => this.checkpointAfterMaintenance(),
        pruneCheckpointsBefore: (n) => this.checkpointer.pruneBefore(n),
      },
      options.compaction,
    );
    this.maintenance = new Maintenance(this.gc, this.compactor, this.index, () => this.closed, {
      gcEvery: options.gcEverySegments ?? 0,
      compactEvery: options.compactEverySegments ?? 0,
      compactMinBytes: options.compactMinBytes ?? 4 * 1024 * 1024,
      compactRatio: options.compactRatio ?? 0.1,
    });
    if (segmentsAtStart !== undefined) this.maintenance.countDeadAtStart(segmentsAtStart);
  }

  put(key: Buffer, value: Buffer): Promise<void> {
    this.counts.puts++;
    return this.append(RecordType.Put, key, value);
  }

  delete(key: Buffer): Promise<void> {
    this.counts.deletes++;
    return this.append(RecordType.Delete, key, Buffer.alloc(0));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.counts.gets++;
    if (this.fencedBy !== undefined) throw new FencedError(this.fencedBy);
    const k = keyString(key);
    for (;;) {
      const entry = this.index.get(k);
      if (entry === undefined || entry.type === RecordType.Delete) return undefined;
      const cached = this.cache.get(k, entry.seq);
      if (cached !== undefined) return Buffer.from(cached);
      let value: Buffer;
      try {
        value = await this.readValue(key, entry);
      } catch (err) {
        // Garbage collection may have moved the record and deleted its segment meanwhile.
        if (this.index.get(k) === entry) throw err;
        this.counts.readRetries++;
        continue;
      }
      if (this.index.get(k) === entry) this.cache.set(k, entry.seq, value);
      return Buffer.from(value);
    }
  }

  /** Range scan over the index (logScan.ts): unsigned byte order, newest values, in batches. */
  scan(start: Buffer, end: Buffer | undefined, visit: ScanVisitor, options: ScanOptions = {}): Promise<number> {
    this.counts.scans++;
    if (this.fencedBy !== undefined) return Promise.reject(new FencedError(this.fencedBy));
    return scanIndex(
      {
        index: this.index,
        cache: this.cache,
        fetch: { store: this.store, prefix: this.prefix, counters: this.reads, corruptRetries: this.corruptRetries },
        counts: this.counts,
        get: (key) => this.get(key),
      },
      start,
      end,
      visit,
      options,
    );
  }

  /** Runs one garbage collection now (waits for a background run first). */
  collectGarbage(): Promise<GcRunReport> {
    return this.maintenance.collectGarbage();
  }

  /** Runs one compaction now (waits for a background garbage collection or compaction first). */
  compact(): Promise<CompactionReport> {
    return this.maintenance.compact();
  }

  stats(): Record<string, number> {
    const c = this.counts;
    const cp = this.checkpointer.counts;
    const r = this.recovery;
    return {
      'engine.puts': c.puts,
      'engine.gets': c.gets,
      'engine.deletes': c.deletes,
      'log.indexEntries': this.index.size,
      'log.segmentsWritten': c.segmentsWritten,
      'log.flushFailures': c.flushFailures,
      'log.writesFailed': c.writesFailed,
      'log.recordsWritten': c.recordsWritten,
      'log.writesPerPutMean': c.segmentsWritten === 0 ? 0 : round(c.recordsWritten / c.segmentsWritten),
      'log.writesPerPutMax': c.maxRecordsPerSegment,
      'log.bytesWritten': c.bytesWritten,
      'log.queued': this.commit.queued,
      'log.gatherWaits': this.commit.gathers,
      'log.flushP50Ms': round(this.flushLatency.percentile(50)),
      'log.flushP99Ms': round(this.flushLatency.percentile(99)),
      'log.flushMaxMs': round(this.flushLatency.max),
      'log.cacheHits': this.cache.counts.hits,
      'log.cacheMisses': this.cache.counts.misses,
      'log.cacheEvictions': this.cache.counts.evictions,
      'log.cacheBytes': this.cache.usedBytes,
      'log.cacheEntries': this.cache.size,
      'log.rangedGets': c.rangedGets,
      'log.checkpointsWritten': cp.written,
      'log.checkpointFailures': cp.failed,
      'log.checkpointBytes': cp.bytes,
      'log.checkpointLastMs': round(cp.lastMs),
      'log.checkpointsDeleted': cp.deleted,
      'log.corruptionDetected': c.corruptionDetected,
      'log.epoch': this.writer.epoch,
      'log.conditionalWrites': this.writer.conditionalWrites === 'honoured' ? 1 : 0,
      'log.fenced': this.fencedBy === undefined ? 0 : 1,
      'log.scans': c.scans,
      'log.scanKeys': c.scanKeys,
      'log.readRetries': c.readRetries,
      ...this.gc.stats(),
      ...this.compactor.stats(),
      'log.corruptRetries': this.reads.corruptRetries + r.corruptRetries,
      'log.recoveryMs': round(r.ms),
      'log.recoveryCheckpoint': r.checkpoint,
      'log.recoveryCheckpointEntries': r.checkpointEntries,
      'log.recoveryCheckpointsDiscarded': r.checkpointsDiscarded,
      'log.recoverySegmentsReplayed': r.segmentsReplayed,
      'log.recoveryRecordsReplayed': r.recordsReplayed,
      'log.recoverySegmentsAbandoned': r.segmentsAbandoned,
      'log.recoveryBytesRead': r.bytesRead,
      ...this.store.stats(),
    };
  }

  /** Flushes what is pending, finishes (and, if configured, writes) a checkpoint. */
  async close(): Promise<void> {
    this.closed = true;
    await this.maintenance.idle();
    await this.commit.drain();
    await this.checkpointer.finish(this.checkpointOnClose, () => this.snapshot());
  }

  /** The newest durable segment (for tests and tools). */
  get chainHead(): SegmentLink {
    return this.head;
  }

  private append(type: RecordType, key: Buffer, value: Buffer, k = keyString(key), copyOf?: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the log engine is closed'));
    if (this.fencedBy !== undefined) return Promise.reject(new FencedError(this.fencedBy));
    const seq = this.nextSeq++;
    const record = encodeRecord(seq, type, key, value);
    this.pending.set(k, (this.pending.get(k) ?? 0) + 1);
    const settled = (): void => {
      const n = this.pending.get(k)! - 1;
      if (n === 0) this.pending.delete(k);
      else this.pending.set(k, n);
    };
    const done = this.commit.submit({ key: k, seq, type, record, ...(copyOf === undefined ? {} : { copyOf }) }, record.length);
    done.then(settled, settled);
    return done;
  }

  /**
   * Garbage collection's copy of a live PUT record: appended like a put, with a new sequence
   * number, unless the key changed or has a write pending (which will be newer than the copy
   * would be only if it is accepted first: so such keys are left alone).
   */
  private rewrite(k: string, key: Buffer, value: Buffer, expect: IndexEntry): Promise<void> | undefined {
    if (this.closed || this.index.get(k) !== expect || this.pending.has(k)) return undefined;
    return this.append(RecordType.Put, key, value, k, expect.seq);
  }

  /** One line each on the protection against a second writer in force. */
  notices(): string[] {
    const { epoch, conditionalWrites } = this.writer;
    return conditionalWrites === 'honoured'
      ? [`writer fencing: on (epoch ${epoch}; the endpoint honours conditional writes: an older writer of this prefix is fenced and stops)`]
      : [`writer fencing: OFF (the endpoint ignores If-None-Match): a second proxy on this bucket and prefix is not stopped; run one per prefix`];
  }

  /** Stops this writer if a newer epoch exists. */
  private async checkFenced(): Promise<void> {
    if (this.writer.epoch === 0) return;
    const newest = await newestEpoch(this.store, this.prefix).catch(() => this.writer.epoch);
    if (newest > this.writer.epoch && this.fencedBy === undefined) {
      this.fencedBy = `fenced: a newer writer (epoch ${newest}) opened this prefix; this one (epoch ${this.writer.epoch}) has stopped`;
      this.log(`hermitkv-proxy: ${this.fencedBy}`);
    }
  }

  /**
   * Garbage collection and compaction change where the index points without writing to the
   * chain, so the newest checkpoint may already cover the head and yet point into what they want
   * to delete. A segment (empty unless writes come along) moves the head on first, so the
   * checkpoint written next has a new number and is a snapshot taken after their changes.
   */
  private async checkpointAfterMaintenance(): Promise<number> {
    if (this.closed) throw new Error('the log engine is closed');
    await this.commit.submit({ key: '', seq: 0, type: RecordType.Put, record: Buffer.alloc(0), seal: true }, 0);
    return this.checkpointer.checkpointNow(() => this.snapshot());
  }

  /** Writes one batch as the next segment; on success applies it to the index and cache. */
  private async flush(items: Pending[]): Promise<void> {
    const batch = items.filter((p) => p.seal === undefined);
    if (this.fencedBy !== undefined) throw new FencedError(this.fencedBy);
    for (;;) {
      const number = this.nextSegment;
      const segment = encodeSegment(
        number,
        this.head,
        batch.map((p) => p.record),
      );
      const started = performance.now();
      let outcome: 'stored' | FailedSegment;
      try {
        outcome = await this.putSegment(number, segment.body);
      } catch (err) {
        this.counts.flushFailures++;
        this.counts.writesFailed += batch.length;
        if (!(err instanceof FencedError)) {
          if (this.failed[0]?.number !== number) this.failed = [];
          this.failed.push({ number, segment, batch });
        }
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`segment ${number} with ${batch.length} writes may or may not have been stored: ${why}`, { cause: err });
      }
      this.flushLatency.add(performance.now() - started);
      if (outcome !== 'stored') {
        // An earlier PUT of this number, reported failed, landed after all: its writes took
        // effect (which "failed" allows); the other failed ones never will. This batch goes to
        // the next number.
        const earlier = outcome;
        this.failed = [];
        this.applySegment(earlier.number, earlier.segment, earlier.batch);
        continue;
      }
      this.failed = [];
      this.applySegment(number, segment, batch);
      return;
    }
  }

  /**
   * PUTs segment `number` as a conditional create. Resolves 'stored', or 'earlier' when the object
   * there is the earlier failed PUT of this number. Rejects with the S3 failure, or with a
   * FencedError when another writer holds the number (a newer writer's fence).
   */
  private async putSegment(number: number, body: Buffer): Promise<'stored' | FailedSegment> {
    const name = segmentName(this.prefix, number);
    try {
      await this.store.put(name, body, { ifNoneMatch: true });
      return 'stored';
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const stored = await this.store.get(name);
      if (stored?.equals(body)) return 'stored'; // our own PUT, retried after its response was lost
      const earlier = this.failed.find((f) => f.number === number && stored?.equals(f.segment.body));
      if (earlier !== undefined) return earlier;
      await this.checkFenced();
      if (this.fencedBy === undefined) {
        this.fencedBy = `stopped: segment ${number} was written by another writer of this prefix (epoch ${this.writer.epoch} is still the newest)`;
        this.log(`hermitkv-proxy: ${this.fencedBy}`);
      }
      throw new FencedError(this.fencedBy);
    }
  }

  /** A durable segment: the new head; its records go into the index and cache. */
  private applySegment(number: number, segment: EncodedSegment, batch: Pending[]): void {
    this.nextSegment = number + 1;
    this.head = { number, headerCrc: segment.headerCrc };
    batch.forEach((p, i) => {
      const keyLength = Buffer.byteLength(p.key, 'latin1');
      const valueLength = p.record.length - RECORD_HEADER_BYTES - keyLength;
      const entry: IndexEntry = { type: p.type, seq: p.seq, segment: number, offset: segment.offsets[i]!, valueLength };
      this.index.apply(p.key, entry);
      if (p.copyOf !== undefined) this.cache.retag(p.key, p.copyOf, p.seq);
      else if (p.type === RecordType.Put) this.cache.set(p.key, p.seq, ownCopy(p.record.subarray(RECORD_HEADER_BYTES + keyLength)));
      else this.cache.delete(p.key);
    });
    if (batch.length > 0) this.lastSeq = Math.max(this.lastSeq, batch[batch.length - 1]!.seq);
    this.counts.segmentsWritten++;
    this.counts.recordsWritten += batch.length;
    this.counts.maxRecordsPerSegment = Math.max(this.counts.maxRecordsPerSegment, batch.length);
    this.counts.bytesWritten += segment.body.length;
    this.checkpointer.noteSegment(segment.body.length, () => this.snapshot());
    this.maintenance.noteSegment();
  }

  private snapshot(): Snapshot {
    return {
      meta: { covered: this.head.number, coveredCrc: this.head.headerCrc, lastSeq: this.lastSeq },
      entries: this.index.snapshot(),
    };
  }

  /** One ranged GET of the record entry points at, checked against the index. */
  private async readValue(key: Buffer, entry: IndexEntry): Promise<Buffer> {
    this.counts.rangedGets++;
    const start = entry.offset;
    const end = start + RECORD_HEADER_BYTES + key.length + entry.valueLength - 1;
    const what = `${describeLocation(entry.segment)} at offset ${start}`;
    const res = await readChecked(
      this.store,
      locationName(this.prefix, entry.segment),
      (bytes) => decodeRecordExact(bytes, { seq: entry.seq, key, type: RecordType.Put }, what).value,
      this.reads,
      this.corruptRetries,
      { start, end },
    );
    if (!res.ok) {
      this.counts.corruptionDetected++;
      throw new CorruptionError(`the record of a key in ${what} is unreadable: ${res.reason}`);
    }
    return ownCopy(res.value);
  }
}

/** A copy in its own allocation, so the cache's byte count is what it really holds. */
function ownCopy(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
