/**
 * The `memory` engine: a Map in the proxy's heap. It is NOT persistent (everything is gone when
 * the proxy stops) and exists to measure the device channel alone — guest, hypervisor and IPC —
 * without S3 in the path.
 */
import { lowerBound } from '../log/keyIndex.js';
import type { Engine, ScanVisitor } from './engine.js';

export class MemoryEngine implements Engine {
  readonly name = 'memory';
  /** put and delete apply before their first await: in call order. */
  readonly ordersWrites = true;
  // latin1 maps every byte to one UTF-16 unit: a lossless, cheap Map key for arbitrary bytes.
  private readonly data = new Map<string, Buffer>();
  private counts = { puts: 0, gets: 0, deletes: 0 };
  // The keys in order, built by the first scan after the key set changed: a scan streams in
  // batches, each a new call, and re-sorting every key per batch made a full scan quadratic.
  private sortedKeys: string[] | undefined;

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.counts.puts++;
    const k = key.toString('latin1');
    if (!this.data.has(k)) this.sortedKeys = undefined;
    this.data.set(k, Buffer.from(value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.counts.gets++;
    return this.data.get(key.toString('latin1'));
  }

  async delete(key: Buffer): Promise<void> {
    this.counts.deletes++;
    if (this.data.delete(key.toString('latin1'))) this.sortedKeys = undefined;
  }

  /** Visits the keys in range in order (latin1 string order is unsigned byte order). */
  async scan(start: Buffer, end: Buffer | undefined, visit: ScanVisitor): Promise<number> {
    const from = start.toString('latin1');
    const to = end?.toString('latin1');
    this.sortedKeys ??= [...this.data.keys()].sort();
    // Keep this scan's own view: a write during an await below may drop the shared one.
    const keys = this.sortedKeys;
    let visited = 0;
    for (let i = lowerBound(keys, from); i < keys.length; i++) {
      const k = keys[i]!;
      if (to !== undefined && k >= to) break;
      const value = this.data.get(k);
      if (value === undefined) continue; // deleted after the view was taken
      visited++;
      if ((await visit(Buffer.from(k, 'latin1'), Buffer.from(value))) === false) break;
    }
    return visited;
  }

  stats(): Record<string, number> {
    return { ...this.counts, keys: this.data.size };
  }

  async close(): Promise<void> {
    this.data.clear();
  }
}

