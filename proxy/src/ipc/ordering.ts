/**
 * Concurrency control for the IPC server: requests run concurrently, except that requests for
 * the same key run one after another in arrival order (a put followed by a get of the same key
 * must see the put; writes to one key on an engine that orders them itself only start in
 * arrival order), and at most `max` engine operations run at once. A range operation (a scan
 * batch) first waits for every request on a key in its range that arrived before it.
 */

/**
 * One promise chain per key; a key's entry disappears when its chain runs dry.
 *
 * A task run with `run` is exclusive: it starts after everything queued before it on its key.
 * A task run with `runOrderedWrite` only waits for the exclusive tasks before it, not for earlier
 * ordered writes: for an engine that applies the writes of a key in the order it was called
 * (a log appends them in call order), a second put of a key can join the same group commit as
 * the first instead of waiting a whole flush for it. Ordered writes still start in arrival
 * order (they wait on the same promise, and its callbacks run in the order they were added),
 * and a later exclusive task (a get) waits for all of them.
 */
interface KeyChain {
  /** Settles when every task queued so far on the key has finished. */
  tail: Promise<void>;
  /** Settles when every exclusive task queued so far on the key has finished. */
  exclusive: Promise<void>;
}

export class KeyedSerializer {
  private readonly chains = new Map<string, KeyChain>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key);
    const result = previous === undefined ? task() : previous.tail.then(task);
    const done = settled(result);
    this.link(key, { tail: done, exclusive: done });
    return result;
  }

  runOrderedWrite<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key);
    const result = previous === undefined ? task() : previous.exclusive.then(task);
    const done = settled(result);
    if (previous === undefined) this.link(key, { tail: done, exclusive: Promise.resolve() });
    else this.link(key, { tail: Promise.all([previous.tail, done]).then(() => undefined), exclusive: previous.exclusive });
    return result;
  }

  private link(key: string, chain: KeyChain): void {
    this.chains.set(key, chain);
    void chain.tail.then(() => {
      if (this.chains.get(key) === chain) this.chains.delete(key);
    });
  }

  /**
   * Runs task once every request already queued or running on a key for which inRange is true
   * has finished (whatever its outcome). The task does not join any key's chain: requests that
   * arrive after it do not wait for it, and may or may not be seen by it.
   */
  async runAfter<T>(inRange: (key: string) => boolean, task: () => Promise<T>): Promise<T> {
    const earlier = [...this.chains].filter(([key]) => inRange(key)).map(([, chain]) => chain.tail);
    if (earlier.length > 0) await Promise.all(earlier);
    return task();
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.chains.size;
  }
}

/** The tail never rejects: one failed request must not fail the next one on the same key. */
function settled(result: Promise<unknown>): Promise<void> {
  return result.then(
    () => undefined,
    () => undefined,
  );
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
