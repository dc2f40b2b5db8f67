/**
 * A model of what a log engine must hold, and the checks and workloads that compare an engine
 * with it (garbage collection, compaction and scan tests).
 */
import { expect } from '@jest/globals';
import type { LogEngine } from '../../src/log/logEngine.js';
import { seededRandom } from '../../src/s3/latencyModel.js';
import type { ObjectStore } from '../../src/s3/objectStore.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A deterministic pseudo-random generator (mulberry32). */
export const rng = seededRandom;

export type Model = Map<string, Buffer>;

/** What a scan of the model returns. */
export function modelScan(model: Model, start: string, end: string | undefined, limit = Infinity): Array<[string, Buffer]> {
  return [...model.entries()]
    .filter(([k]) => k >= start && (end === undefined || k < end))
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, limit);
}

export async function engineScan(engine: { scan?: LogEngine['scan'] }, start: string, end: string | undefined, limit = Infinity, batchKeys?: number): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  const visited = await engine.scan!(b(start), end === undefined ? undefined : b(end), (k, v) => {
    out.push([k.toString('latin1'), v]);
    return out.length < limit;
  }, batchKeys === undefined ? {} : { batchKeys });
  expect(visited).toBe(out.length);
  return out;
}

/**
 * The engine holds exactly the model: a full scan equals it, every key ever written but not in
 * the model (deleted) reads as absent, and a sample of live keys reads back by get.
 */
export async function expectModel(engine: LogEngine, model: Model, everKeys: Iterable<string>): Promise<void> {
  let i = 0;
  for (const k of everKeys) {
    if (model.has(k) && i++ % 20 !== 0) continue;
    const got = await engine.get(b(k));
    const want = model.get(k);
    if (want === undefined) expect([k, got]).toEqual([k, undefined]);
    else expect([k, got?.equals(want)]).toEqual([k, true]);
  }
  expect(await engineScan(engine, '', undefined)).toEqual(modelScan(model, '', undefined));
}

/** Random puts (new keys and overwrites, binary bytes included) and deletes, in concurrent bursts. */
export async function randomLoad(engine: LogEngine, model: Model, ever: Set<string>, ops: number, seed: number): Promise<void> {
  const r = rng(seed);
  const keyOf = (): string => {
    const n = Math.floor(r() * 300);
    // Some keys share prefixes, some hold bytes >= 0x80 (unsigned order must put them last).
    return n % 7 === 0 ? `k\xff${n}` : n % 5 === 0 ? `k${n}\x00x` : `k${String(n).padStart(3, '0')}`;
  };
  for (let done = 0; done < ops; ) {
    const burst: Array<Promise<void>> = [];
    const touched = new Set<string>();
    for (let i = 0; i < 32 && done < ops; i++, done++) {
      const k = keyOf();
      if (touched.has(k)) continue; // one op per key per burst keeps the model exact
      touched.add(k);
      ever.add(k);
      if (r() < 0.25) {
        model.delete(k);
        burst.push(engine.delete(b(k)));
      } else {
        const v = Buffer.alloc(1 + Math.floor(r() * 300), Math.floor(r() * 256));
        model.set(k, v);
        burst.push(engine.put(b(k), v));
      }
    }
    await Promise.all(burst);
  }
}

/** Bytes of every object under prefix. */
export async function storedBytes(store: ObjectStore, prefix: string): Promise<number> {
  let total = 0;
  for await (const o of store.list(prefix)) total += o.size;
  return total;
}

