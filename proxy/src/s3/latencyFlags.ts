/**
 * The command-line spelling of the S3 latency model, shared by the proxy and the benchmarks:
 *
 *   --s3-latency 20                    PUT and GET: p50 20 ms, p99 4 × p50 = 80 ms
 *   --s3-latency 20/100                PUT and GET: p50 20 ms, p99 100 ms
 *   --s3-latency put=20/80,get=15/60   each class separately (a class left out gets no delay)
 *   --s3-latency put=20,seed=7         p99 defaults to 4 × p50; seed of the generators
 *   --s3-latency off                   no delay (also `0`, `none`)
 *   --s3-rate-limit on                 S3 Standard: 3,500 PUT-like and 5,500 GET-like /s/prefix
 *   --s3-rate-limit 1000/2000          PUT/GET per second per prefix (also `put=1000,get=2000`)
 *   --s3-rate-limit off                unlimited (the default)
 *
 * Why 4 × p50 for the p99: published small-object measurements of S3 Standard put the median in
 * the tens of ms and the p99 at a few times that; 4× is a round middle of those reports.
 */
import {
  checkDistribution,
  S3_STANDARD_RATE_LIMIT,
  type LatencyDistribution,
  type LatencyModelOptions,
  type RateLimit,
} from './latencyModel.js';

export const DEFAULT_P99_FACTOR = 4;

const OFF = new Set(['off', 'none', 'no', 'false', '0', '']);
const ON = new Set(['on', 'yes', 'true', 's3', 'standard']);

/** The model the two flags describe, or undefined when both are off. Throws Error on bad input. */
export function parseLatencyFlags(latency: string | undefined, rateLimit: string | undefined): LatencyModelOptions | undefined {
  const model: LatencyModelOptions = {};
  if (latency !== undefined) Object.assign(model, parseLatency(latency.trim()));
  if (rateLimit !== undefined) {
    const limit = parseRateLimit(rateLimit.trim());
    if (limit !== undefined) model.rateLimit = limit;
  }
  return model.put === undefined && model.get === undefined && model.rateLimit === undefined ? undefined : model;
}

function parseLatency(text: string): LatencyModelOptions {
  if (OFF.has(text.toLowerCase())) return {};
  if (!text.includes('=')) {
    const dist = parseDistribution(text, '--s3-latency');
    return { put: dist, get: dist };
  }
  const model: LatencyModelOptions = {};
  for (const part of text.split(',')) {
    const [name, value, extra] = part.split('=').map((s) => s.trim());
    if (value === undefined || extra !== undefined) throw new Error(`--s3-latency: "${part}" is not NAME=VALUE`);
    if (name === 'put' || name === 'get') model[name] = parseDistribution(value, `--s3-latency ${name}`);
    else if (name === 'seed') model.seed = parseNumber(value, '--s3-latency seed', true);
    else throw new Error(`--s3-latency: unknown part "${name}" (put, get, seed)`);
  }
  return model;
}

/** `P50` or `P50/P99`, in ms. */
function parseDistribution(text: string, what: string): LatencyDistribution {
  const [p50Text, p99Text, extra] = text.split('/');
  if (extra !== undefined) throw new Error(`${what}: "${text}" is not P50 or P50/P99 (ms)`);
  const p50Ms = parseNumber(p50Text ?? '', `${what} p50`);
  const p99Ms = p99Text === undefined ? p50Ms * DEFAULT_P99_FACTOR : parseNumber(p99Text, `${what} p99`);
  const dist = { p50Ms, p99Ms };
  try {
    checkDistribution(dist);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
  return dist;
}

function parseRateLimit(text: string): RateLimit | undefined {
  const lower = text.toLowerCase();
  if (OFF.has(lower)) return undefined;
  if (ON.has(lower)) return { ...S3_STANDARD_RATE_LIMIT };
  let put: number | undefined;
  let get: number | undefined;
  if (text.includes('=')) {
    for (const part of text.split(',')) {
      const [name, value, extra] = part.split('=').map((s) => s.trim());
      if (value === undefined || extra !== undefined) throw new Error(`--s3-rate-limit: "${part}" is not NAME=VALUE`);
      if (name === 'put') put = parseNumber(value, '--s3-rate-limit put');
      else if (name === 'get') get = parseNumber(value, '--s3-rate-limit get');
      else throw new Error(`--s3-rate-limit: unknown part "${name}" (put, get)`);
    }
  } else {
    const [putText, getText, extra] = text.split('/');
    if (extra !== undefined) throw new Error(`--s3-rate-limit: "${text}" is not on, off, PUT/GET or put=N,get=N`);
    put = parseNumber(putText ?? '', '--s3-rate-limit');
    get = getText === undefined ? put : parseNumber(getText, '--s3-rate-limit');
  }
  // A class left out keeps S3 Standard's limit rather than becoming unlimited by accident.
  return { putPerSecond: put ?? S3_STANDARD_RATE_LIMIT.putPerSecond, getPerSecond: get ?? S3_STANDARD_RATE_LIMIT.getPerSecond };
}

function parseNumber(text: string, what: string, integer = false): number {
  const n = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(n) && (integer ? Number.isInteger(n) && n >= 0 : n > 0);
  if (!ok) throw new Error(`${what}: "${text}" is not a ${integer ? 'non-negative integer' : 'positive number'}`);
  return n;
}

/** One line for logs and reports: `put p50 20 ms / p99 80 ms, get …, rate limit 3500/5500 per s per prefix`. */
export function describeLatencyModel(model: LatencyModelOptions | undefined): string {
  if (model === undefined) return 'off';
  const dist = (d: LatencyDistribution | undefined): string => (d === undefined ? 'no delay' : `p50 ${d.p50Ms} ms / p99 ${d.p99Ms} ms`);
  const parts = [`put ${dist(model.put)}`, `get ${dist(model.get)}`];
  parts.push(
    model.rateLimit === undefined
      ? 'no rate limit'
      : `rate limit ${model.rateLimit.putPerSecond} PUT / ${model.rateLimit.getPerSecond} GET per s per prefix`,
  );
  if (model.seed !== undefined) parts.push(`seed ${model.seed}`);
  return parts.join(', ');
}
