/**
 * Publishing the log: each group-commit batch becomes the next segment object, linked to the
 * newest durable segment (the chain recovery follows) and created with a conditional PUT
 * (If-None-Match), so that no two writers of a prefix ever both own a number (fencing.ts).
 *
 * Numbers are never skipped. A PUT that failed may still land later (an endpoint that stalled,
 * then resumed), so the failed batch is kept and the next batch tries the same number: if the
 * conditional create finds the failed PUT's bytes there, those writes took effect after all
 * ("may or may not have been stored" allows it), they are applied first and the new batch goes
 * to the next number. Several PUTs of one number may fail in a row, and any one of them may be
 * the object found: all are kept, oldest first, until the number is settled.
 *
 * An object at the number that is none of ours is another writer's: this writer stops
 * (fencedBy), and so does every later call.
 */
import { performance } from 'node:perf_hooks';
import type { ObjectStore } from '../s3/objectStore.js';
import { segmentName } from './format.js';
import { FencedError, isPreconditionFailed, newestEpoch, type ConditionalWrites } from './fencing.js';
import { LatencyWindow } from './latency.js';
import { encodeSegment, type EncodedSegment, type SegmentLink } from './segmentWriter.js';

/** How openLogEngine fenced older writers (fencing.ts). */
export interface WriterFence {
  epoch: number;
  conditionalWrites: ConditionalWrites;
}

/** A segment in S3 with the batch it holds (B: the engine's record bookkeeping). */
export interface DurableSegment<B> {
  number: number;
  segment: EncodedSegment;
  batch: B[];
}

export interface SegmentPublisherOptions<B> {
  store: ObjectStore;
  prefix: string;
  writer: WriterFence;
  /** The newest durable segment and the number after it, as recovery found them. */
  head: SegmentLink;
  nextNumber: number;
  /** The encoded record of one batch item. */
  recordOf: (item: B) => Buffer;
  log: (line: string) => void;
}

export class SegmentPublisher<B> {
  private headLink: SegmentLink;
  private nextNumber: number;
  /** The failed PUTs of nextNumber, oldest first (see the header). */
  private failed: DurableSegment<B>[] = [];
  /** Why this writer stopped: a newer writer fenced it. */
  private stoppedBy: string | undefined;
  /** Durations of successful segment PUTs. */
  readonly latency = new LatencyWindow(4096);
  readonly counts = { flushFailures: 0, writesFailed: 0 };

  constructor(private readonly o: SegmentPublisherOptions<B>) {
    this.headLink = o.head;
    this.nextNumber = o.nextNumber;
  }

  /** The newest durable segment. */
  get head(): SegmentLink {
    return this.headLink;
  }

  get fencedBy(): string | undefined {
    return this.stoppedBy;
  }

  /**
   * Writes batch as the next segment. Calls apply for every segment that became durable, in
   * chain order: an earlier failed PUT of the number found landed, then this batch's. Rejects
   * when this batch may or may not have been stored, or with a FencedError.
   */
  async publish(batch: B[], apply: (durable: DurableSegment<B>) => void): Promise<void> {
    if (this.stoppedBy !== undefined) throw new FencedError(this.stoppedBy);
    const records = batch.map(this.o.recordOf);
    for (;;) {
      const number = this.nextNumber;
      const segment = encodeSegment(number, this.headLink, records);
      const started = performance.now();
      let outcome: 'stored' | DurableSegment<B>;
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
      this.latency.add(performance.now() - started);
      this.failed = [];
      // An earlier PUT of this number landed after all: it takes the number, this batch the next.
      const durable = outcome === 'stored' ? { number, segment, batch } : outcome;
      this.nextNumber = durable.number + 1;
      this.headLink = { number: durable.number, headerCrc: durable.segment.headerCrc };
      apply(durable);
      if (outcome === 'stored') return;
    }
  }

  /**
   * PUTs segment `number` as a conditional create. Resolves 'stored', or the earlier failed PUT
   * of this number when that is the object there. Rejects with the S3 failure, or with a
   * FencedError when another writer holds the number (a newer writer's fence).
   */
  private async putSegment(number: number, body: Buffer): Promise<'stored' | DurableSegment<B>> {
    const name = segmentName(this.o.prefix, number);
    try {
      await this.o.store.put(name, body, { ifNoneMatch: true });
      return 'stored';
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const stored = await this.o.store.get(name);
      if (stored?.equals(body)) return 'stored'; // our own PUT, retried after its response was lost
      const earlier = this.failed.find((f) => f.number === number && stored?.equals(f.segment.body));
      if (earlier !== undefined) return earlier;
      await this.checkFenced();
      this.stop(`stopped: segment ${number} was written by another writer of this prefix (epoch ${this.o.writer.epoch} is still the newest)`);
      throw new FencedError(this.stoppedBy!);
    }
  }

  /** Stops this writer if a newer epoch exists. */
  private async checkFenced(): Promise<void> {
    const { epoch } = this.o.writer;
    if (epoch === 0) return;
    const newest = await newestEpoch(this.o.store, this.o.prefix).catch(() => epoch);
    if (newest > epoch) this.stop(`fenced: a newer writer (epoch ${newest}) opened this prefix; this one (epoch ${epoch}) has stopped`);
  }

  /** The first reason wins; it is said once. */
  private stop(why: string): void {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = why;
    this.o.log(`hermitkv-proxy: ${why}`);
  }
}
