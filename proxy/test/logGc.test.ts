/**
 * Range scans and garbage collection of the log engine, against the embedded S3 endpoint over
 * HTTP. Scans are checked against a model after random puts, overwrites and deletes; garbage
 * collection against a model after a workload that overwrites half its keys repeatedly, also
 * when a run stops after each of its steps (what a crash there leaves) and the prefix is
 * reopened from S3 alone.
 */
import { describe, expect, test } from '@jest/globals';
import { MemoryEngine } from '../src/engine/memoryEngine.js';
import type { GcStep } from '../src/log/gc.js';
import type { LogEngine } from '../src/log/logEngine.js';
import { uniquePrefix } from './support/env.js';
import { useLogHarness } from './support/logHarness.js';
import { b, engineScan, expectModel, modelScan, randomLoad, storedBytes, type Model } from './support/logModel.js';

const { newStore, open, abandon } = useLogHarness('hermitkv-gc');

describe('range scan', () => {
  test('matches a model after random puts, overwrites and deletes, across reopen, with early stop', async () => {
    const prefix = uniquePrefix('scan-model');
    const model: Model = new Map();
    const ever = new Set<string>();
    let engine = await open(prefix, { segmentCapBytes: 8 * 1024, checkpointEvery: 5 });
    await randomLoad(engine, model, ever, 600, 1);
    const ranges: Array<[string, string | undefined]> = [['', undefined], ['k', 'k1'], ['k050', 'k200'], ['k\xff', undefined], ['k100', 'k100'], ['z', undefined], ['k2', 'k\xff5']];
    for (const [s, e] of ranges) {
      expect(await engineScan(engine, s, e)).toEqual(modelScan(model, s, e));
      expect(await engineScan(engine, s, e, Infinity, 3)).toEqual(modelScan(model, s, e));
      expect(await engineScan(engine, s, e, 5, 2)).toEqual(modelScan(model, s, e, 5));
    }
    // Reopened: the values now come from S3 (cold cache), coalesced into few ranged GETs.
    await engine.close();
    engine = await open(prefix, { cacheBytes: 0 });
    await randomLoad(engine, model, ever, 150, 2);
    const gets = engine.stats()['log.rangedGets']!;
    const all = await engineScan(engine, '', undefined);
    expect(all).toEqual(modelScan(model, '', undefined));
    const scanGets = engine.stats()['log.rangedGets']! - gets;
    expect(scanGets).toBeLessThan(all.length / 2);
    for (const [s, e] of ranges) expect(await engineScan(engine, s, e, Infinity, 7)).toEqual(modelScan(model, s, e));
  });

  test('the memory engine scans the same way', async () => {
    const engine = new MemoryEngine();
    const model: Model = new Map();
    for (const k of ['b', 'a', '\xff', 'ab', '', 'a\x00']) {
      await engine.put(b(k), b(`v${k}`));
      model.set(k, b(`v${k}`));
    }
    await engine.delete(b('ab'));
    model.delete('ab');
    expect(await engineScan(engine, '', undefined)).toEqual(modelScan(model, '', undefined));
    expect(await engineScan(engine, 'a', 'b')).toEqual(modelScan(model, 'a', 'b'));
    expect(await engineScan(engine, '', undefined, 2)).toEqual(modelScan(model, '', undefined, 2));
  });
});

/** Live bytes: the PUT records the index points at. */
function liveBytes(engine: LogEngine): number {
  const index = (engine as unknown as { index: { segmentUse(): ReadonlyMap<number, { liveBytes: number }> } }).index;
  let live = 0;
  for (const u of index.segmentUse().values()) live += u.liveBytes;
  return live;
}

const KEYS = 400;
const VALUE = 400;

/** Loads KEYS keys, then overwrites the first half `rounds` times and deletes a few. */
async function overwriteHalf(engine: LogEngine, model: Model, ever: Set<string>, rounds: number, tag: string): Promise<void> {
  const write = async (k: string, v: Buffer): Promise<void> => {
    model.set(k, v);
    ever.add(k);
    await engine.put(b(k), v);
  };
  const keys = Array.from({ length: KEYS }, (_, i) => `key${String(i).padStart(6, '0')}`);
  if (tag === 'load') await Promise.all(keys.map((k, i) => write(k, Buffer.alloc(VALUE, i))));
  for (let r = 0; r < rounds; r++) {
    // Every other key: each segment of the load keeps about half its records live, so garbage
    // collection has live records to copy (overwriting one contiguous half would free whole
    // segments and test no copying).
    const half = keys.filter((_, i) => i % 2 === 0);
    await Promise.all(half.map((k, i) => write(k, Buffer.alloc(VALUE, r * 7 + i))));
  }
  // Deleted keys must stay deleted through garbage collection.
  for (let i = 0; i < KEYS; i += 97) {
    model.delete(keys[i]!);
    await engine.delete(b(keys[i]!));
  }
}

describe('garbage collection', () => {
  test('a writer restarted more often than every gcEvery segments still collects: the dead segments it starts with count', async () => {
    const prefix = uniquePrefix('gc-restarts');
    const model: Model = new Map();
    const ever = new Set<string>();
    const segments = async (): Promise<number> => {
      let n = 0;
      for await (const _ of newStore().list(`${prefix}log/`)) n++;
      return n;
    };
    let gcRuns = 0;
    // Four lifetimes of 15 one-write segments each on 3 hot keys, each shorter than gcEvery (20):
    // counting from zero at every start, no lifetime would ever reach a garbage collection.
    for (let life = 0; life < 4; life++) {
      const engine = await open(prefix, { gcEverySegments: 20, checkpointEvery: 4 });
      for (let i = 0; i < 15; i++) {
        const k = `hot${i % 3}`;
        const v = b(`v${life}-${i}`);
        model.set(k, v);
        ever.add(k);
        await engine.put(b(k), v);
      }
      if (life < 3) {
        gcRuns += engine.stats()['log.gcRuns']!;
        abandon(engine); // as a SIGKILL would: no closing checkpoint
        continue;
      }
      await engine.close(); // waits for a garbage collection in progress
      gcRuns += engine.stats()['log.gcRuns']!;
      await expectModel(engine, model, ever);
    }
    expect(gcRuns).toBeGreaterThan(0);
    // 60 write segments and 4 fences were written; what is left is the few segments written
    // after the last collection and those it could not yet delete.
    expect(await segments()).toBeLessThan(30);
  });

  test('overwriting half the keys: stored bytes within 1.5x of live after GC, nothing lost', async () => {
    const prefix = uniquePrefix('gc-half');
    const model: Model = new Map();
    const ever = new Set<string>();
    const engine = await open(prefix, { segmentCapBytes: 16 * 1024 });
    const store = newStore();
    await overwriteHalf(engine, model, ever, 6, 'load');
    const storedBefore = await storedBytes(store, prefix);
    const liveBefore = liveBytes(engine);
    const userBytes = engine.stats()['log.bytesWritten']!;
    const first = await engine.collectGarbage();
    const second = await engine.collectGarbage();
    const storedAfter = await storedBytes(store, prefix);
    const liveAfter = liveBytes(engine);
    const gcBytes = first.bytesRewritten + second.bytesRewritten;
    console.log(
      `gc: stored/live before ${storedBefore}/${liveBefore} = ${(storedBefore / liveBefore).toFixed(2)}x, ` +
        `after ${storedAfter}/${liveAfter} = ${(storedAfter / liveAfter).toFixed(2)}x; ` +
        `${first.victims + second.victims} victims, ${first.segmentsDeleted + second.segmentsDeleted} segments deleted, ` +
        `rewrote ${gcBytes} bytes for ${userBytes} bytes of user segments: write amplification ${((userBytes + gcBytes) / userBytes).toFixed(3)}`,
    );
    expect(liveAfter).toBe(liveBefore);
    expect(first.recordsRewritten).toBeGreaterThan(0);
    expect(storedBefore / liveBefore).toBeGreaterThan(3);
    expect(storedAfter / liveAfter).toBeLessThanOrEqual(1.5);
    await expectModel(engine, model, ever);
    // Reopened from S3 alone: the same data.
    await engine.close();
    const reopened = await open(prefix, { cacheBytes: 0 });
    await expectModel(reopened, model, ever);
  });

  test('background GC while writing and reading: nothing lost, nothing deleted comes back', async () => {
    const prefix = uniquePrefix('gc-bg');
    const model: Model = new Map();
    const ever = new Set<string>();
    const engine = await open(prefix, { segmentCapBytes: 8 * 1024, gcEverySegments: 10, checkpointEvery: 20 });
    await overwriteHalf(engine, model, ever, 0, 'load');
    let reading = true;
    const reader = (async () => {
      let n = 0;
      while (reading) {
        // Odd keys are never overwritten after the load: a get must always find them.
        const k = `key${String(2 * (n++ % (KEYS / 2)) + 1).padStart(6, '0')}`;
        const want = model.get(k);
        if (want !== undefined) expect((await engine.get(b(k)))?.equals(want)).toBe(true);
        else await new Promise((r) => setImmediate(r));
      }
    })();
    await overwriteHalf(engine, model, ever, 6, 'more');
    reading = false;
    await reader;
    await engine.collectGarbage();
    expect(engine.stats()['log.gcRuns']).toBeGreaterThan(1);
    expect(engine.stats()['log.gcFailures']).toBe(0);
    expect(engine.stats()['log.gcSegmentsDeleted']).toBeGreaterThan(0);
    await expectModel(engine, model, ever);
    abandon(engine);
    const reopened = await open(prefix, { cacheBytes: 0 });
    await expectModel(reopened, model, ever);
  });

  // The steps whose crash leaves the most to get wrong: copies written but nothing deleted; a
  // verified checkpoint without older ones; deletions half done.
  const steps: GcStep[] = ['rewritten', 'pruned', 'deleted-one'];
  test.each(steps)('a crash after step "%s" of a GC run recovers correctly', async (step) => {
    const prefix = uniquePrefix(`gc-crash-${step}`);
    const model: Model = new Map();
    const ever = new Set<string>();
    let seen = 0;
    const engine = await open(prefix, {
      segmentCapBytes: 16 * 1024,
      gc: {
        onStep: (s) => {
          // Stop at the step (at the third deletion for 'deleted-one'), as a SIGKILL there would.
          if (s === step && (s !== 'deleted-one' || ++seen === 3)) throw new Error(`crash after ${s}`);
        },
      },
    });
    await overwriteHalf(engine, model, ever, 3, 'load');
    await expect(engine.collectGarbage()).rejects.toThrow(`crash after ${step}`);
    abandon(engine);
    await new Promise((r) => setTimeout(r, 200));
    const reopened = await open(prefix, { cacheBytes: 0, segmentCapBytes: 16 * 1024 });
    await expectModel(reopened, model, ever);
    // The next run (after more writes) finishes the job.
    await overwriteHalf(reopened, model, ever, 1, 'more');
    await reopened.collectGarbage();
    await expectModel(reopened, model, ever);
    const store = newStore();
    expect((await storedBytes(store, prefix)) / liveBytes(reopened)).toBeLessThanOrEqual(1.5);
    abandon(reopened);
    const again = await open(prefix, { cacheBytes: 0 });
    await expectModel(again, model, ever);
  });
});
