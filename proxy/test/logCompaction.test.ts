/**
 * Compaction of the log engine into sorted runs, against the embedded S3 endpoint over HTTP:
 * gets and scans checked against a model after compaction, while a compaction runs (writes,
 * overwrites, deletes and scans between its steps), after a crash at each of its steps, and
 * after reopening from S3 alone; the runs themselves decoded and checked (sorted, non-
 * overlapping, readable by key range through their own block index).
 */
import { describe, expect, test } from '@jest/globals';
import type { CompactionStep } from '../src/log/compaction.js';
import { parseNumberedName, RUN_DIR, runName, SEGMENT_HEADER_BYTES } from '../src/log/format.js';
import type { LogEngine } from '../src/log/logEngine.js';
import { decodeRun, readRunRange } from '../src/log/runReader.js';
import { uniquePrefix } from './support/env.js';
import { useLogHarness } from './support/logHarness.js';
import { b, engineScan, expectModel, modelScan, randomLoad, type Model } from './support/logModel.js';

const { newStore, open, abandon } = useLogHarness('hermitkv-compaction', { segmentCapBytes: 8 * 1024 });

/** Where the index points: how many keys live in segments and in runs. */
function locations(engine: LogEngine): { inSegments: number; inRuns: number } {
  const index = (engine as unknown as { index: { segmentUse(): ReadonlyMap<number, { refs: number }> } }).index;
  let inSegments = 0;
  let inRuns = 0;
  for (const [location, use] of index.segmentUse()) {
    if (location < 0) inRuns += use.refs;
    else inSegments += use.refs;
  }
  return { inSegments, inRuns };
}

/**
 * Every run under prefix decodes with all its checks, and the live keys of different runs (the
 * keys the model holds, in their newest version) form non-overlapping ranges.
 */
async function expectSortedRuns(prefix: string, model: Model): Promise<number> {
  const store = newStore();
  const ranges: Array<[string, string]> = [];
  for await (const o of store.list(prefix + RUN_DIR)) {
    const n = parseNumberedName(prefix, RUN_DIR, o.name)!;
    const body = await store.get(runName(prefix, n));
    const run = decodeRun(body!, n);
    const live = run.records.map((r) => r.key.toString('latin1')).filter((k, i) => model.get(k)?.equals(run.records[i]!.value));
    if (live.length > 0) ranges.push([live[0]!, live[live.length - 1]!]);
  }
  ranges.sort((x, y) => (x[0] < y[0] ? -1 : 1));
  for (let i = 1; i < ranges.length; i++) expect(ranges[i - 1]![1] < ranges[i]![0]).toBe(true);
  return ranges.length;
}

describe('compaction into sorted runs', () => {
  test('moves every live record into sorted runs; gets and scans match the model, also reopened', async () => {
    const prefix = uniquePrefix('compact-model');
    const model: Model = new Map();
    const ever = new Set<string>();
    let engine = await open(prefix, { compaction: { runBytes: 16 * 1024 } });
    await randomLoad(engine, model, ever, 1500, 11);
    const report = await engine.compact();
    expect(report.level0Records).toBe(model.size);
    expect(report.runsWritten).toBeGreaterThan(1);
    expect(report.tombstonesDropped).toBeGreaterThan(0);
    expect(locations(engine)).toEqual({ inSegments: 0, inRuns: model.size });
    await expectModel(engine, model, ever);
    expect(await expectSortedRuns(prefix, model)).toBe(report.runsWritten);
    // Every segment the runs replaced is gone: what is left holds no records (the segment that
    // moved the head on for the checkpoint).
    let segments = 0;
    for await (const o of newStore().list(`${prefix}log/`)) segments += o.size > SEGMENT_HEADER_BYTES ? 1 : 0;
    expect(segments).toBe(0);

    // More writes, then a second compaction merges them in; deleted keys stay deleted.
    await randomLoad(engine, model, ever, 800, 12);
    const second = await engine.compact();
    expect(second.runRecords).toBeGreaterThan(0);
    expect(locations(engine).inSegments).toBe(0);
    await expectModel(engine, model, ever);
    await expectSortedRuns(prefix, model);

    // From S3 alone, with a cold cache: values come out of the runs, a whole scan in few GETs.
    await engine.close();
    engine = await open(prefix, { cacheBytes: 0 });
    const gets = engine.stats()['log.rangedGets']!;
    expect(await engineScan(engine, '', undefined)).toEqual(modelScan(model, '', undefined));
    expect(engine.stats()['log.rangedGets']! - gets).toBeLessThanOrEqual(second.runsWritten + 1);
    await expectModel(engine, model, ever);
  });

  test('a run is readable by key range through its own block index (three ranged GETs)', async () => {
    const prefix = uniquePrefix('compact-blocks');
    const engine = await open(prefix, { segmentCapBytes: 64 * 1024, compaction: { runBytes: 4 * 1024 * 1024 } });
    const model: Model = new Map();
    const keys = Array.from({ length: 3000 }, (_, i) => `row${String(i).padStart(5, '0')}`);
    await Promise.all(keys.map((k, i) => {
      model.set(k, Buffer.alloc(100, i));
      return engine.put(b(k), model.get(k)!);
    }));
    expect((await engine.compact()).runsWritten).toBe(1);
    const store = newStore();
    let n = 0;
    for await (const o of store.list(prefix + RUN_DIR)) n = parseNumberedName(prefix, RUN_DIR, o.name)!;
    const run = decodeRun((await store.get(runName(prefix, n)))!, n);
    expect(run.blocks.length).toBeGreaterThan(3); // 3000 records of 129 bytes, 64 KiB blocks
    const before = store.stats()['s3.get']!;
    const got = await readRunRange(store, prefix, n, b('row01000'), b('row01010'));
    expect(store.stats()['s3.get']! - before).toBe(3);
    expect(got.map((r) => [r.key.toString('latin1'), r.value])).toEqual(modelScan(model, 'row01000', 'row01010'));
    expect((await readRunRange(store, prefix, n, b('row02990'), undefined)).length).toBe(10);
    expect((await readRunRange(store, prefix, n, b('a'), b('b'))).length).toBe(0);
  });

  test('gets, scans, writes and deletes between the steps of a running compaction', async () => {
    const prefix = uniquePrefix('compact-live');
    const model: Model = new Map();
    const ever = new Set<string>();
    let seed = 100;
    let checks = 0;
    let engine: LogEngine | undefined;
    engine = await open(prefix, {
      compaction: {
        runBytes: 8 * 1024,
        batchKeys: 50,
        onStep: async (step) => {
          if (step !== 'run-written' && step !== 'merged' && step !== 'pruned') return;
          // The compaction waits here: writes overwrite and delete keys it is moving.
          await randomLoad(engine!, model, ever, 60, seed++);
          expect(await engineScan(engine!, '', undefined, Infinity, 17)).toEqual(modelScan(model, '', undefined));
          checks++;
        },
      },
    });
    await randomLoad(engine, model, ever, 1200, 13);
    const report = await engine.compact();
    expect(checks).toBeGreaterThan(3);
    expect(report.recordsSkipped).toBeGreaterThan(0); // some keys moved on while being compacted
    await expectModel(engine, model, ever);
    await engine.close();
    engine = await open(prefix, { cacheBytes: 0 });
    await expectModel(engine, model, ever);
  });

  const steps: CompactionStep[] = ['run-written', 'merged', 'pruned', 'deleted-one'];
  test.each(steps)('a crash after step "%s" of a compaction recovers correctly', async (step) => {
    const prefix = uniquePrefix(`compact-crash-${step}`);
    const model: Model = new Map();
    const ever = new Set<string>();
    let seen = 0;
    let armed = false;
    const engine = await open(prefix, {
      compaction: {
        runBytes: 8 * 1024,
        onStep: (s) => {
          // Stop at the step (at the second occurrence for repeated steps), as a SIGKILL would.
          if (armed && s === step && ((s !== 'run-written' && s !== 'deleted-one') || ++seen === 2)) throw new Error(`crash after ${s}`);
        },
      },
    });
    await randomLoad(engine, model, ever, 400, 21);
    await engine.compact(); // a first, complete compaction: the crash lands in a merge with runs
    await randomLoad(engine, model, ever, 300, 22);
    armed = true;
    await expect(engine.compact()).rejects.toThrow(`crash after ${step}`);
    abandon(engine);
    const reopened = await open(prefix, { cacheBytes: 0, compaction: { runBytes: 8 * 1024 } });
    await expectModel(reopened, model, ever);
    // The next compaction finishes the job and cleans up what the crashed one left.
    await randomLoad(reopened, model, ever, 100, 23);
    await reopened.compact();
    await expectModel(reopened, model, ever);
    await expectSortedRuns(prefix, model);
    abandon(reopened);
    const again = await open(prefix, { cacheBytes: 0 });
    await expectModel(again, model, ever);
  });
});
