/**
 * The one narrow interface every storage engine implements. Engines see keys and values as
 * bytes and never see SDK or IPC types; the IPC server maps wire requests onto these calls.
 */
export interface Engine {
  /** Engine name as given to `--engine` (`object`, `log`, `memory`). */
  readonly name: string;
  /** Stores value under key. Resolves only when the write is durable. */
  put(key: Buffer, value: Buffer): Promise<void>;
  /** The newest value of key, or undefined when absent. */
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Removes key; removing an absent key succeeds. Resolves when durable. */
  delete(key: Buffer): Promise<void>;
  /** Counters for `--stats` (S3 requests by type, bytes, ...). */
  stats(): Record<string, number>;
  /** Finishes outstanding work and releases resources. */
  close(): Promise<void>;
}
