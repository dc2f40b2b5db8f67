/**
 * Writer fencing: at most one log engine writes a prefix; a newer one fences the older, which
 * then stops (docs/reliability.md, "Writer fencing").
 *
 * - **Epochs.** A writer claims epoch E+1 by creating `P epoch/<E+1>` with `If-None-Match: *`
 *   (E: the largest listed). Two writers starting at once cannot both get the same epoch.
 * - **The fence.** Before it recovers, the new writer creates a fence segment (no records, no
 *   link; format.md 4.1) at the first free segment number, trying the next number whenever the
 *   older writer took one first. Then it recovers: every segment the older writer stored lies
 *   below the fence, and recovery follows the fence to the highest intact segment below it.
 * - **The older writer stops.** Its next segment PUT meets the fence (412 on a conditional
 *   create, and the object there is not what it wrote); it finds a newer epoch and stops: every
 *   later request fails with a FencedError.
 * - **No skipped numbers.** A writer never skips a segment number: after a failed PUT it tries
 *   the same number again (a conditional create; if the earlier PUT landed after all, it is
 *   found there byte for byte). So all numbers below the fence are the older writer's, and its
 *   next PUT is at the fence.
 *
 * All of this holds only where the endpoint honours conditional creates. That is probed at
 * startup, and the protection in force is stated plainly: without them a second writer on the
 * prefix is not fenced.
 */
import { randomUUID } from 'node:crypto';
import { S3Failure, type ObjectStore } from '../s3/objectStore.js';
import { parseNumberedName, SEGMENT_DIR, segmentName } from './format.js';
import { encodeSegment } from './segmentWriter.js';

export const EPOCH_DIR = 'epoch/';

export type ConditionalWrites = 'honoured' | 'ignored';

/** A request refused because a newer writer fenced this one. */
export class FencedError extends Error {
  override name = 'FencedError';
}

export function isPreconditionFailed(err: unknown): boolean {
  return err instanceof S3Failure && (err.httpStatus === 412 || err.code === 'PreconditionFailed');
}

/** Creates a probe object twice with `If-None-Match: *`: the second must fail with 412. */
export async function probeConditionalWrites(store: ObjectStore, prefix: string): Promise<ConditionalWrites> {
  const name = `${prefix}probe/${randomUUID()}`;
  await store.put(name, Buffer.from('probe'), { ifNoneMatch: true });
  try {
    await store.put(name, Buffer.from('probe again'), { ifNoneMatch: true });
    return 'ignored';
  } catch (err) {
    if (isPreconditionFailed(err)) return 'honoured';
    throw err;
  } finally {
    await store.delete(name).catch(() => undefined);
  }
}

function epochName(prefix: string, n: number): string {
  return `${prefix}${EPOCH_DIR}${String(n).padStart(20, '0')}`;
}

export async function newestEpoch(store: ObjectStore, prefix: string): Promise<number> {
  let newest = 0;
  for await (const o of store.list(prefix + EPOCH_DIR)) newest = Math.max(newest, parseNumberedName(prefix, EPOCH_DIR, o.name) ?? 0);
  return newest;
}

/** Claims the next epoch; older epoch objects but the previous one are deleted. */
export async function claimEpoch(store: ObjectStore, prefix: string): Promise<number> {
  let epoch = (await newestEpoch(store, prefix)) + 1;
  for (let attempt = 0; ; attempt++) {
    const body = Buffer.from(`${JSON.stringify({ epoch, pid: process.pid, started: new Date().toISOString() })}\n`);
    try {
      await store.put(epochName(prefix, epoch), body, { ifNoneMatch: true });
      break;
    } catch (err) {
      if (!isPreconditionFailed(err) || attempt >= 20) throw err;
      epoch = Math.max(epoch + 1, (await newestEpoch(store, prefix)) + 1);
    }
  }
  for (let old = epoch - 2; old >= 1; old--) {
    // Older ones were deleted by earlier writers; stop at the first missing one after a few.
    if (old < epoch - 4) break;
    await store.delete(epochName(prefix, old)).catch(() => undefined);
  }
  return epoch;
}

/** Where the fence went, and the segment numbers the log held before it. */
export interface Fence {
  number: number;
  /** Every segment number listed before the fence was written. */
  listed: number[];
}

/**
 * Writes a fence segment at the first free segment number (trying the next one while an older
 * writer keeps taking them), before recovery reads the log: every segment the older writer
 * stored is then below the fence, and its next PUT meets it. The listing it needs anyway is
 * returned, so that the engine can tell how much garbage it starts with.
 */
export async function writeFence(store: ObjectStore, prefix: string): Promise<Fence> {
  const listed: number[] = [];
  for await (const o of store.list(prefix + SEGMENT_DIR)) {
    const n = parseNumberedName(prefix, SEGMENT_DIR, o.name);
    if (n !== undefined) listed.push(n);
  }
  let number = listed.reduce((a, b) => Math.max(a, b), 0) + 1;
  for (let attempt = 0; ; attempt++, number++) {
    const fence = encodeSegment(number, 'fence', []).body;
    try {
      await store.put(segmentName(prefix, number), fence, { ifNoneMatch: true });
      return { number, listed };
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      if (attempt >= 1000) throw new Error(`could not fence the previous writer of ${prefix || 'the bucket'}: it took 1000 segment numbers in a row`);
    }
  }
}
