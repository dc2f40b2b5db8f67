/**
 * The fault layer (s3/faultInjection.ts) and the retry policy (s3/retryPolicy.ts, run by
 * objectStore.ts) against the embedded S3 endpoint over HTTP: every fault kind strikes and is
 * retried, damaged GET bodies are never returned, a conditional create whose first attempt landed
 * is recognised, a stopped endpoint makes operations fail within the deadline, and a deadline
 * that expires gives a clear error.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { ObjectEngine } from '../src/engine/objectEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { FAULT_KINDS, FaultInjector, type FaultKind } from '../src/s3/faultInjection.js';
import { ObjectStore, S3Failure, type ObjectStoreOptions } from '../src/s3/objectStore.js';
import { parseReliabilityFlags } from '../src/s3/reliabilityFlags.js';
import { backoffMs, DEFAULT_RETRY_POLICY, isRetryable, policyForTransfer } from '../src/s3/retryPolicy.js';
import { tempDir, uniquePrefix } from './support/env.js';

const BUCKET = 'hermitkv-faults';
let dataDir: string;
let endpoint: EmbeddedEndpoint;
const stores: ObjectStore[] = [];
const prefix = uniquePrefix('faults');

function storeWith(extra: Partial<ObjectStoreOptions>): ObjectStore {
  const store = new ObjectStore({ bucket: BUCKET, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS, ...extra });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  dataDir = tempDir('faults');
  endpoint = await startEmbeddedEndpoint({ dataDir });
  await storeWith({}).ensureBucket();
});

afterAll(async () => {
  for (const s of stores) s.close();
  await endpoint?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('retry policy', () => {
  test('full jitter under an exponential ceiling capped at capMs', () => {
    const p = DEFAULT_RETRY_POLICY;
    expect(backoffMs(0, p, () => 0.999)).toBeLessThan(p.baseMs);
    expect(backoffMs(3, p, () => 0.5)).toBeCloseTo(p.baseMs * 8 * 0.5);
    expect(backoffMs(40, p, () => 0.999)).toBeLessThan(p.capMs);
    expect(backoffMs(5, p, () => 0)).toBe(0);
  });

  test('retries 5xx, throttling, network errors and integrity failures, not other 4xx', () => {
    for (const [status, code] of [[500, 'InternalError'], [503, 'SlowDown'], [429, 'Throttling'], [400, 'RequestTimeout'], [undefined, 'ECONNRESET'], [undefined, 'AttemptTimeout'], [undefined, 'ChecksumMismatch']] as const) {
      expect(isRetryable({ httpStatus: status, code })).toBe(true);
    }
    for (const [status, code] of [[404, 'NoSuchKey'], [403, 'AccessDenied'], [412, 'PreconditionFailed'], [404, 'NoSuchBucket'], [undefined, 'CredentialsProviderError']] as const) {
      expect(isRetryable({ httpStatus: status, code })).toBe(false);
    }
  });

  test('flags: rates, seeds and times are checked', () => {
    expect(parseReliabilityFlags({ s3Faults: 0.1, s3FaultSeed: 7, s3Deadline: 3000 })).toEqual({ faults: { rate: 0.1, seed: 7 }, retry: { deadlineMs: 3000 } });
    expect(parseReliabilityFlags({ s3Faults: 0 })).toEqual({});
    expect(() => parseReliabilityFlags({ s3Faults: 1.5 })).toThrow('--s3-faults');
    expect(() => parseReliabilityFlags({ s3AttemptTimeout: -1 })).toThrow('--s3-attempt-timeout');
    expect(() => parseReliabilityFlags({ s3FaultSeed: 0.5 })).toThrow('--s3-fault-seed');
  });

  test('the injector is reproducible and only damages bodies of GETs', () => {
    const draws = (seed: number): string[] => {
      const inj = new FaultInjector({ rate: 0.5, seed });
      return Array.from({ length: 200 }, (_, i) => inj.draw(i % 2 ? 'GetObjectCommand' : 'PutObjectCommand')?.kind ?? '-');
    };
    expect(draws(3)).toEqual(draws(3));
    const kinds = draws(3);
    expect(kinds.filter((k, i) => i % 2 === 0 && (k === 'corrupt' || k === 'truncate'))).toEqual([]);
    expect(kinds.filter((k) => k !== '-').length).toBeGreaterThan(60);
  });
});

describe('fault injection against the embedded endpoint', () => {
  test('every kind strikes and is retried; no damaged body is ever returned', async () => {
    const store = storeWith({ faults: { rate: 0.3, seed: 2026 }, retry: { attemptTimeoutMs: 300, deadlineMs: 10_000 } });
    const values = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) {
      const name = `${prefix}obj/${i}`;
      const body = Buffer.alloc(200 + i * 37, i + 1);
      body.write(`value ${i}`);
      await store.put(name, body);
      values.set(name, body);
    }
    for (let round = 0; round < 4; round++) {
      for (const [name, body] of values) {
        const got = await store.get(name);
        expect(got?.equals(body)).toBe(true);
        const ranged = await store.get(name, { start: 0, end: 9 });
        expect(ranged?.length).toBe(10);
      }
    }
    const s = store.stats();
    for (const kind of FAULT_KINDS) expect(s[`s3.faults.${kind satisfies FaultKind}`]).toBeGreaterThan(0);
    expect(s['s3.retries']).toBeGreaterThanOrEqual(s['s3.faults']! - s['s3.faults.corrupt']! - s['s3.faults.truncate']!);
    expect(s['s3.integrityFailures']).toBeGreaterThan(0);
    expect(s['s3.attemptTimeouts']).toBeGreaterThan(0);
    expect(s['s3.gaveUp']).toBe(0);
  }, 60_000);

  test('the object engine never returns a damaged value (every GET body damaged half the time)', async () => {
    const store = storeWith({ faults: { rate: 0.5, seed: 5, kinds: ['corrupt', 'truncate'] } });
    const engine = new ObjectEngine({ store, prefix: `${prefix}engine/` });
    const key = Buffer.from('k');
    const value = Buffer.alloc(1000, 7);
    await engine.put(key, value);
    for (let i = 0; i < 40; i++) expect((await engine.get(key))?.equals(value)).toBe(true);
    expect(store.stats()['s3.integrityFailures']).toBeGreaterThan(5);
  });

  test('a conditional create whose first attempt landed (answer lost) succeeds; another writer still gets 412', async () => {
    // Most attempts fail, half of them after the PUT was sent: retries meet their own object.
    const store = storeWith({ faults: { rate: 0.6, seed: 9, kinds: ['internal', 'reset'] }, retry: { deadlineMs: 10_000 } });
    const plain = storeWith({});
    for (let i = 0; i < 20; i++) {
      const name = `${prefix}cond/${i}`;
      await store.put(name, Buffer.from(`mine ${i}`), { ifNoneMatch: true });
      expect((await plain.get(name))?.toString()).toBe(`mine ${i}`);
    }
    expect(store.stats()['s3.ownConditionalPuts']).toBeGreaterThan(0);
    await plain.put(`${prefix}cond/x`, Buffer.from('theirs'), { ifNoneMatch: true });
    const err = await plain.put(`${prefix}cond/x`, Buffer.from('mine'), { ifNoneMatch: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S3Failure);
    expect((err as S3Failure).httpStatus).toBe(412);
  }, 60_000);

  test('answers dropped after the request was sent do not use up the connections', async () => {
    // Two sockets: a response left unread by a failed attempt would hold one for good.
    const store = storeWith({ faults: { rate: 0.5, seed: 4, kinds: ['internal', 'reset', 'slowdown'] }, maxSockets: 2 });
    const name = `${prefix}sockets`;
    await store.put(name, Buffer.alloc(64 * 1024, 3));
    for (let i = 0; i < 60; i++) expect((await store.get(name))?.length).toBe(64 * 1024);
    expect(store.stats()['s3.faults']).toBeGreaterThan(20);
    expect(store.stats()['s3.gaveUp']).toBe(0);
  }, 30_000);

  test('an expired deadline fails with a clear error within the bound', async () => {
    const store = storeWith({ faults: { rate: 1, seed: 1, kinds: ['slowdown'] }, retry: { deadlineMs: 400 } });
    const started = performance.now();
    const err = await store.put(`${prefix}never`, Buffer.from('x')).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(S3Failure);
    expect((err as Error).message).toMatch(/^S3 PUT .* failed: 503 SlowDown \(gave up after \d+ attempts in \d+ ms \(deadline 400 ms\)/);
    expect(took).toBeLessThan(400 + 250); // the deadline, and timers late on a loaded machine
    expect(store.stats()['s3.gaveUp']).toBe(1);
  });

  test('a big body gets a second more per MiB on its attempt timeout and deadline', async () => {
    expect(policyForTransfer(DEFAULT_RETRY_POLICY, 100)).toBe(DEFAULT_RETRY_POLICY);
    const big = policyForTransfer(DEFAULT_RETRY_POLICY, 3 * 1024 * 1024);
    expect([big.attemptTimeoutMs, big.deadlineMs]).toEqual([DEFAULT_RETRY_POLICY.attemptTimeoutMs + 3000, DEFAULT_RETRY_POLICY.deadlineMs + 3000]);
    const store = storeWith({ faults: { rate: 1, seed: 2, kinds: ['slowdown'] }, retry: { deadlineMs: 400 } });
    const started = performance.now();
    const err = await store.put(`${prefix}big`, Buffer.alloc(1024 * 1024, 7)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/\(deadline 1400 ms\)/);
    // Gave up only when the next pause (under 1 s) would pass 1400 ms: past the small-object deadline.
    expect(performance.now() - started).toBeGreaterThan(400);
  });

  test('a stopped endpoint (SIGSTOP): operations fail within the deadline, then work once it resumes', async () => {
    const store = storeWith({ retry: { attemptTimeoutMs: 300, deadlineMs: 1000 } });
    await store.put(`${prefix}outage`, Buffer.from('before'));
    process.kill(endpoint.pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const results = await Promise.allSettled([store.get(`${prefix}outage`), store.put(`${prefix}outage2`, Buffer.from('during'))]);
      const took = performance.now() - started;
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(((r as PromiseRejectedResult).reason as Error).message).toMatch(/AttemptTimeout/);
      }
      expect(took).toBeLessThan(1000 + 500);
    } finally {
      process.kill(endpoint.pid, 'SIGCONT');
    }
    expect((await store.get(`${prefix}outage`))?.toString()).toBe('before');
    await store.put(`${prefix}outage3`, Buffer.from('after'));
    expect((await store.get(`${prefix}outage3`))?.toString()).toBe('after');
  }, 30_000);
});
