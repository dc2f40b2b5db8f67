/**
 * Writer fencing: at most one log engine writes a prefix; a newer one fences the older, which
 * then stops (docs/reliability.md, "Writer fencing").
 *
 * - **Epochs.** A writer claims epoch E+1 by creating `P epoch/<E+1>` with `If-None-Match: *`
 *   (E: the largest listed). Two writers starting at once cannot both get the same epoch.
 * - **The fence.** After recovery the new writer appends a segment (empty unless writes come
 *   along) at the next segment number, a conditional create too. The older writer's next
 *   segment PUT lands on a number the new writer took, fails with 412, and the older writer,
 *   finding a newer epoch, stops: every later request fails with a FencedError. If the older
 *   writer wins the number instead, the new one recovers again and fences the number after.
 * - **No skipped numbers.** A writer skips a segment number only after a failed PUT, and then
 *   checks the epoch before its next PUT; so once a newer epoch exists the older writer either
 *   stops or writes consecutive numbers, one of which the newer writer's fence takes.
 *
 * All of this holds only where the endpoint honours conditional creates. That is probed at
 * startup, and the protection in force is stated plainly: without them a second writer on the
 * prefix is not fenced.
 */
import { randomUUID } from 'node:crypto';
import { S3Failure, type ObjectStore } from '../s3/objectStore.js';
import { parseNumberedName } from './format.js';

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
