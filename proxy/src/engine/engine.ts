/** Called for each key of a scan, in order; returning false stops the scan. */
export type ScanVisitor = (key: Buffer, value: Buffer) => boolean | void | Promise<boolean | void>;

export interface ScanOptions {
  /** Keys read from the index (and values fetched) per batch; bounds the scan's memory. */
  batchKeys?: number;
}

/**
 * The one narrow interface every storage engine implements. Engines see keys and values as
 * bytes and never see SDK or IPC types; the IPC server maps wire requests onto these calls.
 */
export interface Engine {
  /** Engine name as given to `--engine` (`object`, `log`, `memory`). */
  readonly name: string;
  /**
   * True when the writes (put, delete) to one key take effect in the order they were called,
   * even while earlier ones are still in flight: a log appends them in call order. The IPC
   * server then starts a write as soon as it arrives instead of after the key's earlier writes
   * have finished. Absent or false (S3 objects, whose concurrent PUTs land in any order): the
   * writes of a key run one at a time.
   */
  readonly ordersWrites?: boolean;
  /** Stores value under key. Resolves only when the write is durable. */
  put(key: Buffer, value: Buffer): Promise<void>;
  /** The newest value of key, or undefined when absent. */
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Removes key; removing an absent key succeeds. Resolves when durable. */
  delete(key: Buffer): Promise<void>;
  /**
   * Visits every live key k with start <= k < end (end undefined: no upper bound) in ascending
   * unsigned byte order with its newest value, until visit returns false. Resolves with the
   * number of keys visited. Optional: engines without it do not support range scans.
   */
  scan?(start: Buffer, end: Buffer | undefined, visit: ScanVisitor, options?: ScanOptions): Promise<number>;
  /** Lines worth saying when the proxy starts (the protection against a second writer). */
  notices?(): string[];
  /** Counters for `--stats` (S3 requests by type, bytes, ...). */
  stats(): Record<string, number>;
  /** Finishes outstanding work and releases resources. */
  close(): Promise<void>;
}
