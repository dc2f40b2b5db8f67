/**
 * The `memory` engine: a Map in the proxy's heap. It is NOT persistent (everything is gone when
 * the proxy stops) and exists to measure the device channel alone — guest, hypervisor and IPC —
 * without S3 in the path.
 */
import type { Engine, ScanVisitor } from './engine.js';

export class MemoryEngine implements Engine {
  readonly name = 'memory';
  // latin1 maps every byte to one UTF-16 unit: a lossless, cheap Map key for arbitrary bytes.
  private readonly data = new Map<string, Buffer>();
  private counts = { puts: 0, gets: 0, deletes: 0 };

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.counts.puts++;
    this.data.set(key.toString('latin1'), Buffer.from(value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.counts.gets++;
    return this.data.get(key.toString('latin1'));
  }

  async delete(key: Buffer): Promise<void> {
    this.counts.deletes++;
    this.data.delete(key.toString('latin1'));
  }

  /** Collects and sorts the keys in range (latin1 string order is unsigned byte order). */
  async scan(start: Buffer, end: Buffer | undefined, visit: ScanVisitor): Promise<number> {
    const from = start.toString('latin1');
    const to = end?.toString('latin1');
    const keys = [...this.data.keys()].filter((k) => k >= from && (to === undefined || k < to)).sort();
    let visited = 0;
    for (const k of keys) {
      const value = this.data.get(k);
      if (value === undefined) continue;
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
