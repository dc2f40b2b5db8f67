/**
 * Writes checkpoints in the background so that recovery reads one checkpoint plus a bounded
 * number of segments. A checkpoint is due after `everySegments` chain segments or `everyBytes`
 * segment bytes since the last one; at most one is written at a time and none ever delays a
 * flush: the snapshot is a shallow copy of the index taken synchronously right after a segment
 * was applied (entries are immutable), and sorting, encoding and the PUT happen afterwards.
 *
 * After checkpoint K is written, checkpoints older than the newest `keep` are deleted (the
 * previous one stays as a fallback in case the newest is found damaged). Segments are never
 * deleted here: that is garbage collection's job.
 */
import { performance } from 'node:perf_hooks';
import type { ObjectStore } from '../s3/objectStore.js';
import { encodeCheckpoint, type CheckpointMeta } from './checkpointWriter.js';
import { checkpointName } from './format.js';
import type { IndexEntry } from './keyIndex.js';

export interface Snapshot {
  meta: CheckpointMeta;
  entries: Array<[string, IndexEntry]>;
}

export interface CheckpointerOptions {
  store: ObjectStore;
  prefix: string;
  everySegments: number;
  everyBytes: number;
  keep: number;
  /** Checkpoint objects that exist now, oldest first. */
  existing: number[];
  /** The newest valid checkpoint's segment (0: none). */
  covered: number;
  segmentsSince: number;
  bytesSince: number;
}

export class Checkpointer {
  readonly counts = { written: 0, failed: 0, bytes: 0, entries: 0, lastMs: 0, deleted: 0 };
  private readonly known: number[];
  private covered: number;
  private segmentsSince: number;
  private bytesSince: number;
  private running: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(private readonly options: CheckpointerOptions) {
    this.known = [...options.existing];
    this.covered = options.covered;
    this.segmentsSince = options.segmentsSince;
    this.bytesSince = options.bytesSince;
  }

  /** Called after each durable chain segment; takeSnapshot runs synchronously if one is due. */
  noteSegment(bytes: number, takeSnapshot: () => Snapshot): void {
    this.segmentsSince++;
    this.bytesSince += bytes;
    const due = this.segmentsSince >= this.options.everySegments || this.bytesSince >= this.options.everyBytes;
    if (due && this.running === undefined) this.start(takeSnapshot());
  }

  /** Waits for a running checkpoint; then, if final and any segment is not covered, writes one. */
  async finish(final: boolean, takeSnapshot: () => Snapshot): Promise<void> {
    await this.running;
    if (final && this.segmentsSince > 0) {
      this.start(takeSnapshot());
      await this.running;
    }
  }

  /**
   * Garbage collection: waits for a running checkpoint, then writes one of the index as it is
   * now unless the newest durable one already covers the head. Resolves with the newest durable
   * checkpoint's segment (0: none); rejects when the checkpoint could not be written.
   */
  async checkpointNow(takeSnapshot: () => Snapshot): Promise<number> {
    while (this.running !== undefined) await this.running;
    const snapshot = takeSnapshot();
    if (snapshot.meta.covered > this.covered) {
      this.start(snapshot);
      await this.running;
      if (this.covered < snapshot.meta.covered) throw new Error(`checkpoint ${snapshot.meta.covered} failed: ${this.lastError ?? 'unknown'}`);
    }
    return this.covered;
  }

  /**
   * Garbage collection: deletes every checkpoint older than n (n must be durable and verified),
   * so that n is the only base recovery can pick. Runs exclusively of checkpoint writes (which
   * delete old checkpoints too). Resolves true when no older checkpoint is left.
   */
  async pruneBefore(n: number): Promise<boolean> {
    while (this.running !== undefined) await this.running;
    let ok = true;
    this.running = (async () => {
      for (const old of this.known.filter((c) => c < n)) {
        try {
          await this.options.store.delete(checkpointName(this.options.prefix, old));
          this.known.splice(this.known.indexOf(old), 1);
          this.counts.deleted++;
        } catch (err) {
          ok = false;
          this.lastError = err instanceof Error ? err.message : String(err);
        }
      }
    })().finally(() => {
      this.running = undefined;
    });
    await this.running;
    return ok;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  private start(snapshot: Snapshot): void {
    if (snapshot.meta.covered <= this.covered) return;
    const segments = this.segmentsSince;
    const bytes = this.bytesSince;
    this.running = this.write(snapshot).then(
      () => {
        this.segmentsSince -= segments;
        this.bytesSince -= bytes;
      },
      (err: unknown) => {
        // The segments stay the source of truth; the next segment tries again.
        this.counts.failed++;
        this.lastError = err instanceof Error ? err.message : String(err);
      },
    ).finally(() => {
      this.running = undefined;
    });
  }

  private async write(snapshot: Snapshot): Promise<void> {
    // Let the flush that triggered this settle its writers first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const started = performance.now();
    const entries = snapshot.entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const body = encodeCheckpoint(snapshot.meta, entries);
    const n = snapshot.meta.covered;
    await this.options.store.put(checkpointName(this.options.prefix, n), body, { ifNoneMatch: true });
    this.covered = n;
    if (!this.known.includes(n)) this.known.push(n);
    this.counts.written++;
    this.counts.bytes += body.length;
    this.counts.entries = entries.length;
    this.counts.lastMs = performance.now() - started;
    // Only now can older checkpoints go: the new one is durable. A failed delete leaves an extra
    // object that the next checkpoint deletes; it never makes this checkpoint fail.
    try {
      while (this.known.length > this.options.keep) {
        await this.options.store.delete(checkpointName(this.options.prefix, this.known[0]!));
        this.known.shift();
        this.counts.deleted++;
      }
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
    }
  }
}
