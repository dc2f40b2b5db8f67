/**
 * An S3 latency model for benchmarks: an AWS SDK v3 middleware (installed by objectStore.ts) that
 * holds each request for a sample of a log-normal distribution before sending it, and optionally
 * caps requests per second per prefix with a token bucket.
 *
 * Why: loopback S3 (s3rver) answers a small PUT in a few milliseconds when idle and slows down
 * with CPU load, while real S3 answers in tens of milliseconds with a long tail. Batching and
 * concurrency only pay off against the latter, so benchmarks need it reproduced.
 *
 * Semantics, chosen to be simple and checkable:
 *  - The delay is **added** to whatever the endpoint takes: measured latency = throttle wait +
 *    sampled delay + the endpoint's own service time. On loopback the last term is a few ms (see
 *    NOTES-v86.md); against real S3 leave the model off.
 *  - One sample per SDK command. objectStore.ts sends every attempt as a command of its own (its
 *    retries, not the SDK's: retryPolicy.ts), so a retried request is delayed again, as a real
 *    retry would be, and the delay counts against the attempt's timeout.
 *  - PUT-like requests (PUT, DELETE, CreateBucket, anything that is not a read) draw from the
 *    `put` distribution; GET-like (GET, HEAD, LIST, HeadBucket) from `get`. Each class has its
 *    own seeded generator, so a class's sequence of delays does not depend on how the two
 *    interleave: the same seed and the same order of PUTs give the same delays.
 *  - Rate limit: S3 Standard sustains 3,500 writes and 5,500 reads per second per partitioned
 *    prefix. S3 partitions by key prefix of any length and re-partitions under load; we take
 *    "prefix" to be the object name up to its last `/` (hermitkv's names put one kind of object
 *    under one such prefix), which is the conservative reading: one partition per directory.
 *    A request over the rate is **queued** until its token arrives. Real S3 answers 503 SlowDown
 *    and the client retries with backoff instead, so queueing is the optimistic bound of that.
 *    The bucket holds a tenth of a second of tokens: S3 publishes no burst allowance, and a
 *    short burst should not get through at many times the rate.
 */

/** A log-normal delay distribution given by its median and 99th percentile (ms). */
export interface LatencyDistribution {
  p50Ms: number;
  p99Ms: number;
}

export interface RateLimit {
  /** PUT-like requests per second per prefix (S3 Standard: 3,500). */
  putPerSecond: number;
  /** GET-like requests per second per prefix (S3 Standard: 5,500). */
  getPerSecond: number;
}

export interface LatencyModelOptions {
  /** Delay of PUT-like requests; absent: none. */
  put?: LatencyDistribution;
  /** Delay of GET-like requests; absent: none. */
  get?: LatencyDistribution;
  /** Requests per second per prefix; absent: unlimited. */
  rateLimit?: RateLimit;
  /** Seed of the delay generators (default DEFAULT_SEED). */
  seed?: number;
}

export type RequestClass = 'put' | 'get';

export const DEFAULT_SEED = 1;
export const S3_STANDARD_RATE_LIMIT: RateLimit = { putPerSecond: 3500, getPerSecond: 5500 };

/** The standard normal quantile at 0.99: p99 = p50 · exp(Z99 · σ) for a log-normal. */
const Z99 = 2.3263478740408408;
/** Seconds of tokens a prefix's bucket holds (see the header). */
const BURST_SECONDS = 0.1;

/** mulberry32: a small, fast 32-bit PRNG with good statistical quality; [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws log-normal samples with the given median and p99: ln X ~ N(μ, σ²) with μ = ln p50 and
 * σ = ln(p99/p50) / Z99. p99 = p50 gives a constant delay.
 */
export function logNormalSampler(dist: LatencyDistribution, random: () => number): () => number {
  checkDistribution(dist);
  const mu = Math.log(dist.p50Ms);
  const sigma = Math.log(dist.p99Ms / dist.p50Ms) / Z99;
  let spare: number | undefined;
  const normal = (): number => {
    // Box–Muller yields two independent normals per pair of uniforms; keep the second.
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - random())); // 1 - [0,1) avoids log(0)
    const theta = 2 * Math.PI * random();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return () => Math.exp(mu + sigma * normal());
}

export function checkDistribution(dist: LatencyDistribution): void {
  const { p50Ms, p99Ms } = dist;
  if (!(Number.isFinite(p50Ms) && p50Ms > 0)) throw new Error(`latency p50 must be a positive number of ms, not ${p50Ms}`);
  if (!(Number.isFinite(p99Ms) && p99Ms >= p50Ms)) throw new Error(`latency p99 (${p99Ms} ms) must be at least p50 (${p50Ms} ms)`);
}

/**
 * Token buckets, one per prefix and class, that allow negative balances: a request takes its
 * token at once and waits until the balance it left behind has refilled, so waiters are served
 * in arrival order without a queue.
 */
export class PrefixRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const rate of [limits.putPerSecond, limits.getPerSecond]) {
      if (!(Number.isFinite(rate) && rate > 0)) throw new Error(`rate limit must be a positive number per second, not ${rate}`);
    }
  }

  /** Milliseconds this request must wait for its token. */
  reserve(cls: RequestClass, prefix: string): number {
    const rate = cls === 'put' ? this.limits.putPerSecond : this.limits.getPerSecond;
    const capacity = Math.max(1, rate * BURST_SECONDS);
    const key = `${cls}\u0000${prefix}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate) - 1;
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket.tokens >= 0 ? 0 : (-bucket.tokens / rate) * 1000;
  }
}

/** Counters of what the model did; `*DelayMs` are the delays it chose, not wall-clock readings. */
export interface LatencyModelStats {
  putRequests: number;
  getRequests: number;
  putDelayMs: number;
  getDelayMs: number;
  throttled: number;
  throttleWaitMs: number;
}

/** Each class's generator seed: distinct, so the two sequences are independent of each other. */
export function classSeed(seed: number, cls: RequestClass): number {
  return cls === 'put' ? seed >>> 0 : (seed ^ 0x5bd1e995) >>> 0;
}

/** The S3 operations an SDK command name stands for, reduced to the two classes. */
export function classifyCommand(commandName: string | undefined): RequestClass {
  return /^(Get|Head|List)/.test(commandName ?? '') ? 'get' : 'put';
}

/** The rate-limit prefix of an object name: everything up to its last `/` (`` if none). */
export function prefixOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

export class LatencyModel {
  readonly options: LatencyModelOptions;
  private readonly samplers: Record<RequestClass, (() => number) | undefined>;
  private readonly limiter: PrefixRateLimiter | undefined;
  private readonly counts: LatencyModelStats = { putRequests: 0, getRequests: 0, putDelayMs: 0, getDelayMs: 0, throttled: 0, throttleWaitMs: 0 };

  constructor(options: LatencyModelOptions, now?: () => number) {
    this.options = options;
    const seed = options.seed ?? DEFAULT_SEED;
    this.samplers = {
      put: options.put === undefined ? undefined : logNormalSampler(options.put, seededRandom(classSeed(seed, 'put'))),
      get: options.get === undefined ? undefined : logNormalSampler(options.get, seededRandom(classSeed(seed, 'get'))),
    };
    this.limiter = options.rateLimit === undefined ? undefined : new PrefixRateLimiter(options.rateLimit, now);
  }

  /** The delay (ms) to hold one request for, throttle wait included; updates the counters. */
  delayFor(cls: RequestClass, objectName: string): number {
    const sample = this.samplers[cls]?.() ?? 0;
    const wait = this.limiter?.reserve(cls, prefixOf(objectName)) ?? 0;
    if (cls === 'put') {
      this.counts.putRequests++;
      this.counts.putDelayMs += sample;
    } else {
      this.counts.getRequests++;
      this.counts.getDelayMs += sample;
    }
    if (wait > 0) {
      this.counts.throttled++;
      this.counts.throttleWaitMs += wait;
    }
    return sample + wait;
  }

  stats(): LatencyModelStats {
    return { ...this.counts };
  }
}

/**
 * The SDK middleware, typed structurally (the shape of an `initialize`-step middleware) so that
 * only objectStore.ts imports the SDK. It reads the command name from the handler context and
 * the object name from the input's `Key` (or `Prefix` for listings).
 */
export function latencyMiddleware(model: LatencyModel) {
  return <Input extends object, Output>(
    next: (args: { input: Input }) => Promise<Output>,
    context: { commandName?: string },
  ) =>
    async (args: { input: Input }): Promise<Output> => {
      const input = args.input as { Key?: unknown; Prefix?: unknown };
      const name = typeof input.Key === 'string' ? input.Key : typeof input.Prefix === 'string' ? input.Prefix : '';
      const ms = model.delayFor(classifyCommand(context.commandName), name);
      if (ms > 0) await new Promise<void>((resolve) => setTimeout(resolve, ms));
      return next(args);
    };
}

export const LATENCY_MIDDLEWARE_NAME = 'hermitkvLatencyModel';
