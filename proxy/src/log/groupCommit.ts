/**
 * Group commit: at most one flush in flight; what arrives meanwhile waits and the next flush
 * carries all of it (up to a byte cap; the rest waits for the flush after). No timer: a flush
 * starts as soon as the previous one ends, or, when idle, on the next turn of the event loop
 * (setImmediate), so that requests read in the same I/O phase share a flush while a lone writer
 * still gets one flush per write.
 *
 * Gathering: a flush that finds fewer writes queued than the previous flush released waits a
 * little for the rest (until as many are queued, the byte cap is reached, or half the previous
 * flush's duration, at most GATHER_MAX_MS, has passed). Without it, N closed-loop writers split
 * into two cohorts that alternate between flushes — the first writer back starts a flush of one,
 * the others queue behind it — so each write waits for two flushes and a PUT carries N/2 writes.
 * A lone writer released alone finds itself queued and never waits.
 *
 * Some released writers cannot come back during the gather: a writer whose next request is a
 * get of a key with a write queued here waits (in the IPC server) for the very flush that is
 * gathering, and a guest thread may simply be busy elsewhere. Waiting for every one of them made
 * nearly every flush sit out its whole timeout (10 ms of a ~40 ms cycle, when the server still
 * held a key's writes back behind each other). So the gather also ends once most of the released
 * writers (GATHER_MOST) are queued and none arrived for GATHER_QUIET_MS: released writers come
 * back together (one IRQ wakes them, and the hypervisor relays what they submit in one write),
 * so a quiet millisecond after most of them means the rest are not on their way.
 *
 * Each submitted item's promise settles with its batch: resolved once flush() resolved (the
 * batch, and every batch before it, is durable), rejected with flush()'s error otherwise. A
 * failed batch does not stop later ones.
 */
export interface Flush<T> {
  (batch: T[]): Promise<void>;
}

/** The longest a flush waits for released writers to come back (see the header). */
export const GATHER_MAX_MS = 10;
/** A gather with this share of the released writers queued ends after a quiet GATHER_QUIET_MS. */
export const GATHER_MOST = 0.75;
export const GATHER_QUIET_MS = 1;

interface Waiting<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Waiting<T>[] = [];
  /** The bytes in queue, kept as it changes: gathering checks it on every submit. */
  private queuedBytes = 0;
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  /** Writes the last flush released, and how long it took: what gathering waits for, and how long. */
  private released = 0;
  private lastFlushMs = 0;
  /** Gathering waits begun, for statistics and tests. */
  private gatherWaits = 0;
  /** Items ever submitted: a gather sees whether any arrived since it last looked. */
  private arrivals = 0;
  /** Ends the current gathering wait early; undefined when not gathering. */
  private gathered: (() => void) | undefined;

  constructor(
    private readonly flush: Flush<T>,
    private readonly capBytes: number,
  ) {}

  submit(item: T, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, bytes, resolve, reject });
      this.queuedBytes += bytes;
      this.arrivals++;
      if (this.gathered !== undefined && this.enoughQueued()) this.gathered();
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  /** Items waiting for a flush (not counting the one in flight). */
  get queued(): number {
    return this.queue.length;
  }

  /** How many flushes waited to gather (see the header). */
  get gathers(): number {
    return this.gatherWaits;
  }

  /** Resolves once everything submitted so far has been flushed (or has failed). */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    while (this.queue.length > 0) {
      await this.gather();
      const batch = this.take();
      const started = performance.now();
      try {
        await this.flush(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      this.released = batch.length;
      this.lastFlushMs = performance.now() - started;
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Waits (briefly) for the writers the last flush released, unless they are queued already. */
  private gather(): Promise<void> {
    const ms = Math.min(GATHER_MAX_MS, this.lastFlushMs / 2);
    if (this.enoughQueued() || ms < 0.1) return Promise.resolve();
    this.gatherWaits++;
    const deadline = performance.now() + ms;
    const most = Math.ceil(this.released * GATHER_MOST);
    return new Promise<void>((resolve) => {
      let seen = this.arrivals;
      let timer: NodeJS.Timeout;
      const done = (): void => {
        clearTimeout(timer);
        this.gathered = undefined;
        resolve();
      };
      // Every GATHER_QUIET_MS: stop if nothing arrived since the last look and most are here.
      const look = (): void => {
        const quiet = this.arrivals === seen;
        seen = this.arrivals;
        const left = deadline - performance.now();
        // Timers run on a millisecond clock and may fire a little early: do not re-arm for a crumb.
        if ((quiet && this.queue.length >= most) || left < 0.5) done();
        else timer = setTimeout(look, Math.min(GATHER_QUIET_MS, left));
      };
      timer = setTimeout(look, Math.min(GATHER_QUIET_MS, ms));
      this.gathered = done;
    });
  }

  private enoughQueued(): boolean {
    return this.queue.length >= this.released || this.queuedBytes >= this.capBytes;
  }

  /** The oldest items up to the byte cap (always at least one). */
  private take(): Waiting<T>[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.bytes <= this.capBytes)) {
      bytes += this.queue[n]!.bytes;
      n++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, n);
  }
}
