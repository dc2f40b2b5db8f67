/**
 * Concurrency control for the IPC server: requests run concurrently, except that requests for
 * the same key run one after another in arrival order (a put followed by a get of the same key
 * must see the put), and at most `max` engine operations run at once. A range operation (a scan
 * batch) first waits for every request on a key in its range that arrived before it.
 */

/** One promise chain per key; a key's entry disappears when its chain runs dry. */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous === undefined ? task() : previous.then(task);
    // The tail never rejects: one failed request must not fail the next one on the same key.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /**
   * Runs task once every request already queued or running on a key for which inRange is true
   * has finished (whatever its outcome). The task does not join any key's chain: requests that
   * arrive after it do not wait for it, and may or may not be seen by it.
   */
  async runAfter<T>(inRange: (key: string) => boolean, task: () => Promise<T>): Promise<T> {
    const earlier = [...this.tails].filter(([key]) => inRange(key)).map(([, tail]) => tail);
    if (earlier.length > 0) await Promise.all(earlier);
    return task();
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

/** A FIFO counting semaphore. */
export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`limit must be a positive integer, got ${max}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }
}
