/**
 * The S3 latency model: the distribution's percentiles (a statistical property of the seeded
 * generator, checked over many samples), the per-prefix token buckets on a fake clock, the flag
 * syntax, and the middleware against the embedded endpoint, checked through its own counters.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { describeLatencyModel, parseLatencyFlags } from '../src/s3/latencyFlags.js';
import {
  classifyCommand,
  classSeed,
  LatencyModel,
  logNormalSampler,
  prefixOf,
  PrefixRateLimiter,
  seededRandom,
  type LatencyDistribution,
} from '../src/s3/latencyModel.js';
import { ObjectStore, type ObjectStoreOptions } from '../src/s3/objectStore.js';
import { tempDir } from './support/env.js';

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

describe('log-normal delays', () => {
  test.each<[LatencyDistribution, number]>([
    [{ p50Ms: 20, p99Ms: 80 }, 1],
    [{ p50Ms: 15, p99Ms: 60 }, 7],
    [{ p50Ms: 5, p99Ms: 200 }, 123],
  ])('%o: sample p50 and p99 match the parameters (seed %i)', (dist, seed) => {
    const sample = logNormalSampler(dist, seededRandom(seed));
    const n = 200_000;
    const values = Array.from({ length: n }, sample).sort((a, b) => a - b);
    // Standard errors at n = 200k are ~0.3 % (p50) and ~1.5 % (p99) of the value.
    expect(Math.abs(percentile(values, 0.5) / dist.p50Ms - 1)).toBeLessThan(0.02);
    expect(Math.abs(percentile(values, 0.99) / dist.p99Ms - 1)).toBeLessThan(0.06);
    expect(values[0]!).toBeGreaterThan(0);
  });

  test('p99 = p50 gives a constant delay', () => {
    const sample = logNormalSampler({ p50Ms: 12, p99Ms: 12 }, seededRandom(3));
    for (let i = 0; i < 100; i++) expect(sample()).toBeCloseTo(12, 9);
  });

  test('the same seed gives the same sequence, another seed another', () => {
    const a = Array.from({ length: 50 }, logNormalSampler({ p50Ms: 20, p99Ms: 80 }, seededRandom(9)));
    const b = Array.from({ length: 50 }, logNormalSampler({ p50Ms: 20, p99Ms: 80 }, seededRandom(9)));
    const c = Array.from({ length: 50 }, logNormalSampler({ p50Ms: 20, p99Ms: 80 }, seededRandom(10)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  test('bad parameters are refused', () => {
    expect(() => logNormalSampler({ p50Ms: 0, p99Ms: 10 }, Math.random)).toThrow(/p50/);
    expect(() => logNormalSampler({ p50Ms: 20, p99Ms: 10 }, Math.random)).toThrow(/p99/);
  });
});

describe('request classes and prefixes', () => {
  test('reads are GET, HEAD and LIST; everything else is PUT-like', () => {
    for (const c of ['GetObjectCommand', 'HeadObjectCommand', 'ListObjectsV2Command', 'HeadBucketCommand']) expect(classifyCommand(c)).toBe('get');
    for (const c of ['PutObjectCommand', 'DeleteObjectCommand', 'CreateBucketCommand', undefined]) expect(classifyCommand(c)).toBe('put');
  });

  test('the prefix is the name up to its last slash', () => {
    expect(prefixOf('kv/o/ab12')).toBe('kv/o');
    expect(prefixOf('kv/')).toBe('kv');
    expect(prefixOf('top')).toBe('');
  });
});

describe('per-prefix rate limit', () => {
  test('a burst of a tenth of a second passes, then requests queue at the rate', () => {
    let now = 0;
    const limiter = new PrefixRateLimiter({ putPerSecond: 100, getPerSecond: 1000 }, () => now);
    const waits = Array.from({ length: 13 }, () => limiter.reserve('put', 'a'));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits[10]).toBeCloseTo(10, 6);
    expect(waits[11]).toBeCloseTo(20, 6);
    expect(waits[12]).toBeCloseTo(30, 6);
    // Other prefixes and the other class have buckets of their own.
    expect(limiter.reserve('put', 'b')).toBe(0);
    expect(limiter.reserve('get', 'a')).toBe(0);
    // After a second the bucket is full again (capacity 10), not 100 tokens.
    now = 1000;
    const later = Array.from({ length: 11 }, () => limiter.reserve('put', 'a'));
    expect(later.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(later[10]).toBeCloseTo(10, 6);
  });

  test('the model counts throttled requests and their waits', () => {
    const model = new LatencyModel({ rateLimit: { putPerSecond: 10, getPerSecond: 10 } }, () => 0);
    const delays = Array.from({ length: 3 }, () => model.delayFor('put', 'p/x'));
    expect(delays).toEqual([0, 100, 200]);
    expect(model.stats()).toMatchObject({ putRequests: 3, putDelayMs: 0, throttled: 2, throttleWaitMs: 300 });
  });
});

describe('--s3-latency and --s3-rate-limit', () => {
  test('the accepted spellings', () => {
    expect(parseLatencyFlags('20', undefined)).toEqual({ put: { p50Ms: 20, p99Ms: 80 }, get: { p50Ms: 20, p99Ms: 80 } });
    expect(parseLatencyFlags('20/100', 'off')).toEqual({ put: { p50Ms: 20, p99Ms: 100 }, get: { p50Ms: 20, p99Ms: 100 } });
    expect(parseLatencyFlags('put=20/80,get=15/60,seed=7', 'on')).toEqual({
      put: { p50Ms: 20, p99Ms: 80 },
      get: { p50Ms: 15, p99Ms: 60 },
      seed: 7,
      rateLimit: { putPerSecond: 3500, getPerSecond: 5500 },
    });
    expect(parseLatencyFlags('put=2.5', '1000/2000')).toEqual({ put: { p50Ms: 2.5, p99Ms: 10 }, rateLimit: { putPerSecond: 1000, getPerSecond: 2000 } });
    expect(parseLatencyFlags('off', 'get=100')).toEqual({ rateLimit: { putPerSecond: 3500, getPerSecond: 100 } });
    expect(parseLatencyFlags('0', 'off')).toBeUndefined();
    expect(parseLatencyFlags(undefined, undefined)).toBeUndefined();
  });

  test('bad input says what is wrong', () => {
    expect(() => parseLatencyFlags('fast', undefined)).toThrow(/--s3-latency p50: "fast"/);
    expect(() => parseLatencyFlags('20/10', undefined)).toThrow(/p99 \(10 ms\) must be at least p50/);
    expect(() => parseLatencyFlags('put=20,post=3', undefined)).toThrow(/unknown part "post"/);
    expect(() => parseLatencyFlags('20/80/90', undefined)).toThrow(/not P50 or P50\/P99/);
    expect(() => parseLatencyFlags(undefined, 'lots')).toThrow(/--s3-rate-limit/);
    expect(() => parseLatencyFlags(undefined, '-5')).toThrow(/positive number/);
  });

  test('one line describes a model', () => {
    expect(describeLatencyModel(parseLatencyFlags('put=20/80', 'on'))).toBe(
      'put p50 20 ms / p99 80 ms, get no delay, rate limit 3500 PUT / 5500 GET per s per prefix',
    );
    expect(describeLatencyModel(undefined)).toBe('off');
  });
});

describe('the middleware against the embedded endpoint', () => {
  let dataDir: string;
  let endpoint: EmbeddedEndpoint;
  let base: ObjectStoreOptions;

  beforeAll(async () => {
    dataDir = tempDir('latency');
    endpoint = await startEmbeddedEndpoint({ dataDir });
    base = { bucket: 'latency', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS };
    const setup = new ObjectStore(base);
    await setup.ensureBucket();
    setup.close();
  });

  afterAll(async () => {
    await endpoint?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every request is held for the next sample of its class, as the counters record', async () => {
    const put = { p50Ms: 8, p99Ms: 32 };
    const get = { p50Ms: 3, p99Ms: 12 };
    const seed = 42;
    const store = new ObjectStore({ ...base, latency: { put, get, seed } });
    const plain = new ObjectStore(base);
    try {
      const t0 = performance.now();
      for (let i = 0; i < 6; i++) await store.put(`m/k${i}`, Buffer.from(`value ${i}`));
      expect((await store.get('m/k3'))?.toString()).toBe('value 3');
      expect(await store.head('m/k5')).toEqual({ name: 'm/k5', size: 7 });
      expect(await store.get('m/absent')).toBeUndefined();
      const listed: string[] = [];
      for await (const obj of store.list('m/')) listed.push(obj.name);
      expect(listed).toHaveLength(6);
      await store.delete('m/k0');
      const elapsed = performance.now() - t0;

      // Sequential requests draw each class's samples in order: 7 PUT-like (6 PUTs, 1 DELETE)
      // and 4 GET-like (2 GETs, 1 HEAD, 1 LIST).
      const expected = (dist: LatencyDistribution, cls: 'put' | 'get', n: number): number => {
        const sample = logNormalSampler(dist, seededRandom(classSeed(seed, cls)));
        return Array.from({ length: n }, sample).reduce((a, b) => a + b, 0);
      };
      const stats = store.stats();
      expect(stats['s3.model.putRequests']).toBe(7);
      expect(stats['s3.model.getRequests']).toBe(4);
      expect(stats['s3.model.putDelayMs']).toBeCloseTo(expected(put, 'put', 7), 2);
      expect(stats['s3.model.getDelayMs']).toBeCloseTo(expected(get, 'get', 4), 2);
      expect(stats['s3.model.throttled']).toBe(0);
      // The delays were really waited for: the requests ran one after another, so the run took at
      // least their sum (a lower bound that cannot fail on a slow machine; 1 ms of timer slack each).
      expect(elapsed).toBeGreaterThanOrEqual(stats['s3.model.putDelayMs']! + stats['s3.model.getDelayMs']! - 11);
      // A store without a model has no model counters and is not delayed.
      await plain.put('m/plain', Buffer.from('x'));
      expect(Object.keys(plain.stats()).some((k) => k.startsWith('s3.model.'))).toBe(false);
    } finally {
      store.close();
      plain.close();
    }
  });
});
