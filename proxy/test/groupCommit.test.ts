// GroupCommit on its own, with a fake flush: closed-loop writers share flushes instead of
// splitting into two alternating cohorts (the gather wait), a lone writer never waits, and
// writers that cannot come back (a get held behind a queued write to its key) do not hold a flush.
import { setTimeout as sleep } from 'node:timers/promises';
import { GroupCommit, GATHER_MAX_MS, GATHER_QUIET_MS } from '../src/log/groupCommit.js';

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

  test('writers held behind a queued write do not make the gather wait out its timeout', async () => {
    // A long flush, so that the gather's limit is GATHER_MAX_MS, not half a flush.
    const starts: number[] = [];
    const ends: number[] = [];
    const batches: number[] = [];
    const commit = new GroupCommit<number>(async (batch) => {
      starts.push(performance.now());
      batches.push(batch.length);
      await sleep(40);
      ends.push(performance.now());
    }, 1 << 20);
    const writers = 16;
    const held = 3;
    // Round 1: all 16 in one flush. Round 2: 13 come straight back; the other 3 are held (as the
    // IPC server holds a get of a key with a write queued) until one of those 13 is durable.
    const first = await Promise.all(Array.from({ length: writers }, (_, w) => commit.submit(w, 1)));
    expect(first).toHaveLength(writers);
    const back = Array.from({ length: writers - held }, (_, w) => commit.submit(w, 1));
    const heldBack = back[0]!.then(() => Promise.all(Array.from({ length: held }, (_, w) => commit.submit(w, 1))));
    await Promise.all([...back, heldBack]);
    expect(batches).toEqual([writers, writers - held, held]);
    expect(commit.gathers).toBeGreaterThanOrEqual(1);
    // The second flush started a quiet millisecond or two after the 13, not GATHER_MAX_MS later
    // (with room for a loaded machine's timers).
    const gap = starts[1]! - ends[0]!;
    expect(gap).toBeLessThan(GATHER_QUIET_MS * 2 + 4);
    expect(GATHER_QUIET_MS * 2 + 4).toBeLessThan(GATHER_MAX_MS);
  });
});
