/**
 * Group commit: at most one flush in flight; what arrives meanwhile waits and the next flush
 * carries all of it (up to a byte cap; the rest waits for the flush after). No timer: a flush
 * starts as soon as the previous one ends, or, when idle, on the next turn of the event loop
 * (setImmediate), so that requests read in the same I/O phase share a flush while a lone writer
 * still gets one flush per write.
 *
 * Each submitted item's promise settles with its batch: resolved once flush() resolved (the
 * batch, and every batch before it, is durable), rejected with flush()'s error otherwise. A
 * failed batch does not stop later ones.
 */
export interface Flush<T> {
  (batch: T[]): Promise<void>;
}

interface Waiting<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Waiting<T>[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly flush: Flush<T>,
    private readonly capBytes: number,
  ) {}

  submit(item: T, bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, bytes, resolve, reject });
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

  /** Resolves once everything submitted so far has been flushed (or has failed). */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.take();
      try {
        await this.flush(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** The oldest items up to the byte cap (always at least one). */
  private take(): Waiting<T>[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.bytes <= this.capBytes)) {
      bytes += this.queue[n]!.bytes;
      n++;
    }
    const batch = this.queue.splice(0, n);
    return batch;
  }
}
