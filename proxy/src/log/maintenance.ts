/**
 * When the log engine's background maintenance runs: garbage collection every `gcEvery`
 * segments, a compaction every `compactEvery` segments if level 0 (live bytes in segments) is
 * large next to level 1 (live bytes in sorted runs). At most one of them runs at a time, and
 * none starts once the engine is closing; a run that fails is counted by its owner and the next
 * one is tried on schedule.
 */
import type { Compactor, CompactionReport } from './compaction.js';
import type { GarbageCollector, GcRunReport } from './gc.js';
import type { KeyIndex } from './keyIndex.js';

export interface MaintenanceSchedule {
  /** Segments between garbage collection runs; 0: only when asked. */
  gcEvery: number;
  /** Segments between compaction checks; 0: only when asked. */
  compactEvery: number;
  /** Level 0 must hold at least this many live bytes for a compaction… */
  compactMinBytes: number;
  /** …and at least this share of level 1's. */
  compactRatio: number;
}

export class Maintenance {
  private segmentsSinceGc = 0;
  private segmentsSinceCompaction = 0;
  /** The garbage collection or compaction running. */
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly gc: GarbageCollector,
    private readonly compactor: Compactor,
    private readonly index: KeyIndex,
    private readonly closing: () => boolean,
    private readonly schedule: MaintenanceSchedule,
  ) {}

  /**
   * The segments the log held at startup that the recovered index no longer points into count
   * towards the first garbage collection: a proxy restarted more often than every gcEvery
   * segments would otherwise never collect, and every start LISTs (and recovery slows with) an
   * ever longer log.
   */
  countDeadAtStart(listed: readonly number[]): void {
    const use = this.index.segmentUse();
    this.segmentsSinceGc = listed.filter((n) => !use.has(n)).length;
  }

  /** After each durable segment: starts what is due, in the background. */
  noteSegment(): void {
    const idle = this.running === undefined && !this.closing();
    const { gcEvery, compactEvery } = this.schedule;
    if (compactEvery > 0 && ++this.segmentsSinceCompaction >= compactEvery && idle) {
      this.segmentsSinceCompaction = 0;
      if (this.compactionDue()) {
        void this.startCompaction().catch(() => undefined);
        return;
      }
    }
    if (gcEvery > 0 && ++this.segmentsSinceGc >= gcEvery && idle) void this.startGc().catch(() => undefined);
  }

  /** Runs one garbage collection now (waits for a background run first). */
  async collectGarbage(): Promise<GcRunReport> {
    await this.idle();
    return this.startGc();
  }

  /** Runs one compaction now (waits for a background run first). */
  async compact(): Promise<CompactionReport> {
    await this.idle();
    return this.startCompaction();
  }

  /** Resolves when nothing runs (a failed run included). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running.catch(() => undefined);
  }

  private startGc(): Promise<GcRunReport> {
    this.segmentsSinceGc = 0;
    return this.start(this.gc.run(this.closing), this.gc);
  }

  private startCompaction(): Promise<CompactionReport> {
    this.segmentsSinceCompaction = 0;
    return this.start(this.compactor.run(this.closing), this.compactor);
  }

  private start<T>(run: Promise<T>, owner: { counts: { failures: number }; lastError: string | undefined }): Promise<T> {
    this.running = run;
    void run
      .catch((err: unknown) => {
        owner.counts.failures++;
        owner.lastError = err instanceof Error ? err.message : String(err);
      })
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    return run;
  }

  /** Level 0 (live bytes in segments) large next to level 1 (live bytes in runs)? */
  private compactionDue(): boolean {
    let level0 = 0;
    let level1 = 0;
    for (const [location, use] of this.index.segmentUse()) {
      if (location < 0) level1 += use.liveBytes;
      else level0 += use.liveBytes;
    }
    return level0 >= this.schedule.compactMinBytes && level0 >= this.schedule.compactRatio * level1;
  }
}
