/**
 * An in-memory Engine for IPC server tests whose timing the test controls: operations on a held
 * key wait until the test releases it, and every operation can take a random delay. It records
 * the order in which writes were applied, the order in which operations were called, and how
 * many operations ran at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine, ScanVisitor } from '../../src/engine/engine.js';

export class ScriptedEngine implements Engine {
  readonly name = 'scripted';
  readonly data = new Map<string, Buffer>();
  /** `key=value` for every applied put, in application order. */
  readonly applied: string[] = [];
  /** `put k=v`, `get k`, `delete k` for every call, in call order. */
  readonly calls: string[] = [];
  /**
   * Claim that writes to a key take effect in call order (Engine.ordersWrites). True only when
   * the test keeps it so: no random delay, and held writes are released together, in call order.
   */
  ordersWrites = false;
  maxConcurrent = 0;
  randomDelayMs = 0;
  private running = 0;
  private readonly holds = new Map<string, { promise: Promise<void>; release: () => void }>();

  hold(key: string): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(key, { promise, release });
  }

  release(key: string): void {
    this.holds.get(key)?.release();
    this.holds.delete(key);
  }

  private async step<T>(key: Buffer, op: () => T): Promise<T> {
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      const k = key.toString('latin1');
      if (k.startsWith('boom')) throw new Error(`engine failure for ${k}\nsecond line`);
      await this.holds.get(k)?.promise;
      if (this.randomDelayMs > 0) await sleep(Math.random() * this.randomDelayMs);
      return op();
    } finally {
      this.running--;
    }
  }

  put(key: Buffer, value: Buffer): Promise<void> {
    this.calls.push(`put ${key.toString('latin1')}=${value.toString('latin1')}`);
    return this.step(key, () => {
      this.data.set(key.toString('latin1'), Buffer.from(value));
      this.applied.push(`${key.toString('latin1')}=${value.toString('latin1')}`);
    });
  }

  get(key: Buffer): Promise<Buffer | undefined> {
    this.calls.push(`get ${key.toString('latin1')}`);
    return this.step(key, () => this.data.get(key.toString('latin1')));
  }

  delete(key: Buffer): Promise<void> {
    this.calls.push(`delete ${key.toString('latin1')}`);
    return this.step(key, () => {
      this.data.delete(key.toString('latin1'));
    });
  }

  /** Scans what has been applied so far (it does not wait for held keys). */
  async scan(start: Buffer, end: Buffer | undefined, visit: ScanVisitor): Promise<number> {
    const from = start.toString('latin1');
    const to = end?.toString('latin1');
    const keys = [...this.data.keys()].filter((k) => k >= from && (to === undefined || k < to)).sort();
    let visited = 0;
    for (const k of keys) {
      visited++;
      if ((await visit(Buffer.from(k, 'latin1'), this.data.get(k)!)) === false) break;
    }
    return visited;
  }

  stats(): Record<string, number> {
    return { 'engine.keys': this.data.size };
  }

  async close(): Promise<void> {}
}
