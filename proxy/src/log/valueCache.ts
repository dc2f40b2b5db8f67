/**
 * A bounded LRU cache of values, keyed by the key (latin1 string) and tagged with the sequence
 * number of the record the value came from: a lookup only hits when the tag matches the index's
 * newest record, so a stale value can never be served. A Map's insertion order is the LRU order.
 */
const ENTRY_OVERHEAD = 64;

interface Cached {
  seq: number;
  value: Buffer;
  cost: number;
}

export class ValueCache {
  private readonly map = new Map<string, Cached>();
  private bytes = 0;
  readonly counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(private readonly capacity: number) {}

  get(key: string, seq: number): Buffer | undefined {
    const c = this.map.get(key);
    if (c === undefined || c.seq !== seq) {
      this.counts.misses++;
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, c);
    this.counts.hits++;
    return c.value;
  }

  /** Like get, but neither counts nor refreshes the entry (range scans, which should not flush the cache). */
  peek(key: string, seq: number): Buffer | undefined {
    const c = this.map.get(key);
    return c !== undefined && c.seq === seq ? c.value : undefined;
  }

  /** The value cached for record `from` now belongs to record `to` (a garbage collection copy). */
  retag(key: string, from: number, to: number): void {
    const c = this.map.get(key);
    if (c !== undefined && c.seq === from) c.seq = to;
  }

  /** Caches value (which the cache now owns: callers never mutate it). */
  set(key: string, seq: number, value: Buffer): void {
    this.delete(key);
    const cost = value.length + key.length + ENTRY_OVERHEAD;
    if (cost > this.capacity) return;
    this.map.set(key, { seq, value, cost });
    this.bytes += cost;
    while (this.bytes > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
      this.counts.evictions++;
    }
  }

  delete(key: string): void {
    const c = this.map.get(key);
    if (c === undefined) return;
    this.map.delete(key);
    this.bytes -= c.cost;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.map.size;
  }
}
