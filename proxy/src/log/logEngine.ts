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
 * A failed segment PUT fails exactly the writes in it, and its number is tried again by the
 * next batch: if the failed PUT landed after all, its writes take effect first
 * (segmentPublisher.ts).
 */
import type { Engine, ScanOptions, ScanVisitor } from '../engine/engine.js';
import type { ObjectStore } from '../s3/objectStore.js';
import { Checkpointer, type Snapshot } from './checkpointer.js';
import { CorruptionError, describeLocation, FORMAT_VERSION, locationName, RECORD_HEADER_BYTES, RecordType } from './format.js';
import { Compactor, type CompactionOptions, type CompactionReport } from './compaction.js';
import { GarbageCollector, type GcOptions, type GcRunReport } from './gc.js';
import { GroupCommit } from './groupCommit.js';
import { KeyIndex, keyString, type IndexEntry } from './keyIndex.js';
import { Maintenance } from './maintenance.js';
import { claimEpoch, FencedError, probeConditionalWrites, writeFence } from './fencing.js';
import { claimPrefix } from './marker.js';
import { readChecked, type ReadCounters } from './objectReader.js';
import { scanIndex } from './logScan.js';
import { recover, type RecoveredState, type RecoveryReport } from './recovery.js';
import { decodeRecordExact } from './segmentReader.js';
import { SegmentPublisher, type DurableSegment, type WriterFence } from './segmentPublisher.js';
import { encodeRecord, type SegmentLink } from './segmentWriter.js';
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

export type { WriterFence } from './segmentPublisher.js';

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
  /** Batches to segment objects: the chain's head, failed PUTs, fencing. */
  private readonly segments: SegmentPublisher<Pending>;
  private readonly checkpointer: Checkpointer;
  private readonly recovery: RecoveryReport;
  private readonly reads: ReadCounters = { corruptRetries: 0 };
  private nextSeq: number;
  /** Highest sequence number in a durable segment. */
  private lastSeq: number;
  private closed = false;
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
    this.nextSeq = state.nextSeq;
    this.lastSeq = state.lastSeq;
    this.recovery = state.report;
    this.cache = new ValueCache(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.segments = new SegmentPublisher({
      store: this.store,
      prefix: this.prefix,
      writer,
      head: state.head,
      nextNumber: state.nextSegment,
      recordOf: (p) => p.record,
      log: this.log,
    });
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
        headNumber: () => this.segments.head.number,
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
        headNumber: () => this.segments.head.number,
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
    if (this.segments.fencedBy !== undefined) throw new FencedError(this.segments.fencedBy);
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
    if (this.segments.fencedBy !== undefined) return Promise.reject(new FencedError(this.segments.fencedBy));
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
      'log.flushFailures': this.segments.counts.flushFailures,
      'log.writesFailed': this.segments.counts.writesFailed,
      'log.recordsWritten': c.recordsWritten,
      'log.writesPerPutMean': c.segmentsWritten === 0 ? 0 : round(c.recordsWritten / c.segmentsWritten),
      'log.writesPerPutMax': c.maxRecordsPerSegment,
      'log.bytesWritten': c.bytesWritten,
      'log.queued': this.commit.queued,
      'log.gatherWaits': this.commit.gathers,
      'log.flushP50Ms': round(this.segments.latency.percentile(50)),
      'log.flushP99Ms': round(this.segments.latency.percentile(99)),
      'log.flushMaxMs': round(this.segments.latency.max),
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
      'log.fenced': this.segments.fencedBy === undefined ? 0 : 1,
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
    return this.segments.head;
  }

  private append(type: RecordType, key: Buffer, value: Buffer, k = keyString(key), copyOf?: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the log engine is closed'));
    if (this.segments.fencedBy !== undefined) return Promise.reject(new FencedError(this.segments.fencedBy));
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
  private flush(items: Pending[]): Promise<void> {
    return this.segments.publish(
      items.filter((p) => p.seal === undefined),
      (durable) => this.applySegment(durable),
    );
  }

  /** A durable segment: its records go into the index and cache. */
  private applySegment({ number, segment, batch }: DurableSegment<Pending>): void {
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
      meta: { covered: this.segments.head.number, coveredCrc: this.segments.head.headerCrc, lastSeq: this.lastSeq },
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
