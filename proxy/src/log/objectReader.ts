/**
 * Reading one object and decoding it, with the retries s3rver needs: it writes objects in place
 * and can answer a GET that races a write (or a write torn by a crash) with a short object, so a
 * failed check is retried a few times before the object is declared damaged. (A body damaged in
 * transit fails the same checks, and is retried the same way.) An S3Failure is not retried here:
 * the store has retried it already, up to its deadline (s3/retryPolicy.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Failure, type ByteRange, type ObjectStore } from '../s3/objectStore.js';
import { CorruptionError, TruncatedError } from './format.js';

/**
 * Not ok: the reason, and whether the object looks like a write cut short (missing, or a proper
 * prefix of itself: TruncatedError) rather than damaged or unreadable.
 */
export type ReadResult<T> = { ok: true; value: T; bytes: number } | { ok: false; reason: string; torn: boolean };

export interface ReadCounters {
  corruptRetries: number;
}

/**
 * GETs name (or a range of it) and decodes it. Resolves ok, or not ok with the reason (missing,
 * failed checks, or an S3 error) once `retries` more attempts have failed too. Errors other
 * than CorruptionError and S3Failure (bugs) are thrown.
 */
export async function readChecked<T>(
  store: ObjectStore,
  name: string,
  decode: (body: Buffer) => T,
  counters: ReadCounters,
  retries: number,
  range?: ByteRange,
): Promise<ReadResult<T>> {
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let torn: boolean;
    try {
      const body = await store.get(name, range);
      if (body === undefined) return { ok: false, reason: 'missing', torn: true };
      return { ok: true, value: decode(body), bytes: body.length };
    } catch (err) {
      if (err instanceof S3Failure) return { ok: false, reason: err.message, torn: false };
      if (!(err instanceof CorruptionError)) throw err;
      reason = err.message;
      torn = err instanceof TruncatedError;
    }
    if (attempt >= retries) return { ok: false, reason, torn };
    counters.corruptRetries++;
    await sleep(25 << attempt);
  }
}

/** Runs fn over items with at most `limit` running at once; results in item order. */
export async function mapLimit<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const out: O[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
