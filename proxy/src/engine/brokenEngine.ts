/**
 * A deliberately broken engine, for one purpose: to prove that the crash test's history checker
 * (emulator/src/check/) catches a store that is not linearizable. It is a memory engine that
 * acknowledges every 8th put or delete without applying it (a lost write) and answers every 4th
 * get with the value the key held before its latest write (a stale read).
 *
 * It is registered only when HERMITKV_TEST_BROKEN_ENGINE=1 is set in the proxy's environment
 * (registry.ts), so no user can pick it by accident.
 */
import type { Engine } from './engine.js';

export const BROKEN_ENGINE_ENV = 'HERMITKV_TEST_BROKEN_ENGINE';

export class BrokenEngine implements Engine {
  readonly name = 'broken';
  private readonly data = new Map<string, Buffer>();
  private readonly previous = new Map<string, Buffer | undefined>();
  private writes = 0;
  private gets = 0;
  private counts = { dropped_writes: 0, stale_reads: 0 };

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.write(key.toString('latin1'), Buffer.from(value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const k = key.toString('latin1');
    if (++this.gets % 4 === 0 && this.previous.has(k)) {
      this.counts.stale_reads++;
      return this.previous.get(k);
    }
    return this.data.get(k);
  }

  async delete(key: Buffer): Promise<void> {
    this.write(key.toString('latin1'), undefined);
  }

  private write(k: string, value: Buffer | undefined): void {
    if (++this.writes % 8 === 0) {
      this.counts.dropped_writes++;
      return;
    }
    this.previous.set(k, this.data.get(k));
    if (value === undefined) this.data.delete(k);
    else this.data.set(k, value);
  }

  stats(): Record<string, number> {
    return { ...this.counts, keys: this.data.size };
  }

  async close(): Promise<void> {
    this.data.clear();
  }
}
