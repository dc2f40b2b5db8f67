// GroupCommit on its own, with a fake flush: closed-loop writers share flushes instead of
// splitting into two alternating cohorts (the gather wait), and a lone writer never waits.
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupCommit, GATHER_MAX_MS } from '../src/log/groupCommit.js';

/** A flush that takes `ms` and records its batch sizes. */
function fakeFlush(ms: number): { batches: number[]; flush: (batch: number[]) => Promise<void> } {
  const batches: number[] = [];
  const flush = async (batch: number[]): Promise<void> => {
    batches.push(batch.length);
    await sleep(ms);
  };
  return { batches, flush };
}

describe('GroupCommit', () => {
  test('closed-loop writers that come back a little apart share one flush, not two alternating ones', async () => {
    const { batches, flush } = fakeFlush(20);
    const commit = new GroupCommit<number>(flush, 1 << 20);
    const writers = 16;
    const writes = 8;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < writes; i++) {
          await commit.submit(w, 1);
          // Released writers come back spread over a few ms, as guest threads do under v86.
          await sleep((w % 4) + 1);
        }
      }),
    );
    const mean = (writers * writes) / batches.length;
    // Without the gather wait the first writer back flushes alone: batches alternate ~1 and ~15.
    expect(mean).toBeGreaterThanOrEqual(12);
  });

  test('a lone writer gets one flush per write and never waits to gather', async () => {
    const { batches, flush } = fakeFlush(20);
    const commit = new GroupCommit<number>(flush, 1 << 20);
    for (let i = 0; i < 6; i++) await commit.submit(i, 1);
    expect(batches).toEqual([1, 1, 1, 1, 1, 1]);
    expect(commit.gathers).toBe(0);
  });

  test('after a big batch, a writer left alone waits at most once, then flushes at once again', async () => {
    const { batches, flush } = fakeFlush(20);
    const commit = new GroupCommit<number>(flush, 1 << 20);
    await Promise.all(Array.from({ length: 8 }, (_, i) => commit.submit(i, 1)));
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) await commit.submit(i, 1);
    expect(batches.slice(-3)).toEqual([1, 1, 1]);
    // The first lone write waited for the 7 others the big batch released; they never came.
    expect(commit.gathers).toBe(1);
    // That wait is bounded: three flushes of 20 ms plus one gather of at most GATHER_MAX_MS
    // (and generous room for a loaded machine's timers).
    expect(performance.now() - t0).toBeLessThan(3 * 20 + GATHER_MAX_MS + 200);
  });
});
