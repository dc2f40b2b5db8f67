/**
 * What `npm run bench` reports per configuration, from two measured sources only: the guest's
 * KVBENCH line (ops/s, latencies, op counts) and the proxy's S3 counters over the timed phase.
 *
 * Dollars: S3 bills PUT, COPY, POST and LIST at the PUT price and GET, HEAD (and other reads) at
 * the GET price; DELETE is free. S3 Express One Zone adds a per-GB charge on uploaded bytes
 * (prices.ts); its per-GB retrieval charge (only above 512 KB per request) does not apply to
 * the objects read here. Storage (GB-month) is not a per-operation cost and is left out.
 */
import { CDF_LEVELS } from '../../../proxy/src/bench/plot/cdf.js';
import { putDollars, S3_PRICES, type TierPrices } from '../../../proxy/src/bench/prices.js';
import type { KvbenchResult } from './channelBench.js';
import type { EngineName, Sweep } from './systemMatrix.js';
import type { RawRun, S3Counts } from './systemRun.js';

export interface ConfigResult {
  engine: EngineName;
  threads: number;
  sizeBytes: number;
  readPct: number;
  sweeps: Sweep[];
  keys: number;
  warmupOps: number;
  /** Timed operations, and how many of them were gets and puts. */
  ops: number;
  gets: number;
  puts: number;
  /** The timed phase on the guest's clock, and on the host's (from kvbench's two marks). */
  seconds: number;
  hostSeconds: number;
  opsPerSecond: number;
  /** Guest-measured (clock_gettime in the guest, around each call), nearest rank. */
  latencyMs: { getP50: number; getP99: number; putP50: number; putP99: number };
  /** Latency at each of the document's cdfLevels. */
  getCdfMs: number[];
  putCdfMs: number[];
  /** S3 requests the proxy made during the timed phase. */
  s3: S3Counts;
  s3RequestsPerOp: number;
  /** S3 PUT requests per put (null without puts); S3 GETs per get (null without gets). */
  s3PutsPerPut: number | null;
  s3GetsPerGet: number | null;
  /** Bytes sent to S3 ÷ value bytes put (null without puts). */
  bytesToS3PerByteWritten: number | null;
  dollarsPerMillionOps: { s3Standard: number; s3ExpressOneZone: number };
  errors: number;
  wallSeconds: number;
  /** With --rounds N: every round's ops/s (the fields above are the median round's). */
  opsPerSecondRounds?: number[];
}

export const RESULT_CDF_LEVELS = CDF_LEVELS;

export function configResult(run: RawRun): ConfigResult {
  const k = run.kvbench;
  const { config, s3 } = run;
  const ms = (us: number): number => Math.round(us) / 1000;
  const perOp = (n: number, d: number): number | null => (d > 0 ? round(n / d, 6) : null);
  const totalRequests = s3.put + s3.get + s3.head + s3.delete + s3.list + s3.bucket;
  return {
    engine: config.engine,
    threads: config.threads,
    sizeBytes: config.sizeBytes,
    readPct: config.readPct,
    sweeps: config.sweeps,
    keys: config.keys,
    warmupOps: config.warmupPerThread * config.threads,
    ops: k.ops,
    gets: k.gets ?? 0,
    puts: k.puts ?? 0,
    seconds: k.seconds,
    hostSeconds: round(run.hostSeconds, 3),
    opsPerSecond: k.ops_per_s,
    latencyMs: { getP50: ms(k.get_p50_us), getP99: ms(k.get_p99_us), putP50: ms(k.put_p50_us), putP99: ms(k.put_p99_us) },
    getCdfMs: cdfMs(k, 'get_cdf_us'),
    putCdfMs: cdfMs(k, 'put_cdf_us'),
    s3,
    s3RequestsPerOp: round(totalRequests / Math.max(1, k.ops), 6),
    s3PutsPerPut: perOp(s3.put, k.puts ?? 0),
    s3GetsPerGet: perOp(s3.get, k.gets ?? 0),
    bytesToS3PerByteWritten: perOp(s3.bytesOut, (k.puts ?? 0) * config.sizeBytes),
    dollarsPerMillionOps: {
      s3Standard: round(perMillion(S3_PRICES.s3Standard, s3, k.ops), 6),
      s3ExpressOneZone: round(perMillion(S3_PRICES.s3ExpressOneZone, s3, k.ops), 6),
    },
    errors: k.errors,
    wallSeconds: round(run.wallSeconds, 3),
  };
}

/** Dollars per million ops at `tier`'s request prices for the requests counted over `ops`. */
export function perMillion(tier: TierPrices, s3: S3Counts, ops: number): number {
  const putLike = s3.put + s3.list;
  const getLike = s3.get + s3.head;
  const puts = putLike === 0 ? 0 : putDollars(tier, putLike, s3.bytesOut / putLike);
  const gets = (getLike / 1000) * tier.getPer1000;
  return ((puts + gets) / Math.max(1, ops)) * 1e6;
}

function cdfMs(k: KvbenchResult, field: 'get_cdf_us' | 'put_cdf_us'): number[] {
  const levels = k.cdf_permille ?? [];
  const values = k[field] ?? [];
  // kvbench and cdf.ts agree on the levels; a guest that disagrees is an old image.
  if (levels.length !== CDF_LEVELS.length || levels.some((p, i) => p !== Math.round(CDF_LEVELS[i]! * 1000))) {
    throw new Error('the kvbench image prints no (or other) CDF levels: rebuild it with `make image`');
  }
  return values.map((us) => Math.round(us) / 1000);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
