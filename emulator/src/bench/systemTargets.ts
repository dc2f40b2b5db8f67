/**
 * The targets for the log engine against the object engine, from one run: at 64 guest
 * threads, 256-byte puts, no reads, with the latency model at p50 20 ms —
 *   - at least 30× fewer S3 PUTs per put,
 *   - at least 5× the throughput,
 *   - a p99 put latency under 3× the model's PUT p99;
 * and at 1 thread, a put latency (p50) within 1.2× of the object engine's: group commit must
 * not delay a writer that has nothing to be batched with.
 * A target whose configurations were not measured (other --engines/--threads/...) is "n/a".
 *
 * Beside them, the ceiling this run puts on the throughput ratio (closedLoopCeiling): kvbench's
 * threads form a closed loop, so a configuration's ops/s is threads ÷ mean put latency (Little's
 * law), and a log engine that acknowledges a put only once its segment is in S3 cannot have a
 * put latency below one segment PUT. That ceiling is what the 5× target has to fit under.
 */
import type { LatencyDistribution } from '../../../proxy/src/s3/latencyModel.js';
import type { ConfigResult } from './systemMetrics.js';

export interface TargetResult {
  name: string;
  /** The measured value, null when it could not be measured in this run. */
  measured: number | null;
  /** The target as text, e.g. "≥ 30". */
  target: string;
  met: boolean | null;
  /** How the value was obtained. */
  detail: string;
}

const AT = { sizeBytes: 256, readPct: 0 };

function find(results: ConfigResult[], engine: 'log' | 'object', threads: number): ConfigResult | undefined {
  return results.find((r) => r.engine === engine && r.threads === threads && r.sizeBytes === AT.sizeBytes && r.readPct === AT.readPct);
}

export function evaluateTargets(results: ConfigResult[], modelPut: LatencyDistribution | undefined): TargetResult[] {
  const log64 = find(results, 'log', 64);
  const obj64 = find(results, 'object', 64);
  const log1 = find(results, 'log', 1);
  const obj1 = find(results, 'object', 1);
  const both64 = log64 !== undefined && obj64 !== undefined;
  const putsRatio = both64 && log64.s3PutsPerPut !== null && obj64.s3PutsPerPut !== null && log64.s3PutsPerPut > 0 ? obj64.s3PutsPerPut / log64.s3PutsPerPut : null;
  const speedup = both64 ? log64.opsPerSecond / obj64.opsPerSecond : null;
  const tail = log64 !== undefined && modelPut !== undefined ? log64.latencyMs.putP99 / modelPut.p99Ms : null;
  const single = log1 !== undefined && obj1 !== undefined ? log1.latencyMs.putP50 / obj1.latencyMs.putP50 : null;
  const at64 = 't=64, 256 B puts, 0 % reads';
  return [
    target('S3 PUTs per put, object ÷ log', putsRatio, '≥ 30', (v) => v >= 30, both64 ? `${at64}: ${fmt(obj64.s3PutsPerPut)} vs ${fmt(log64.s3PutsPerPut)}` : `${at64}: not measured`),
    target('throughput, log ÷ object', speedup, '≥ 5', (v) => v >= 5, both64 ? `${at64}: ${Math.round(log64.opsPerSecond)} vs ${Math.round(obj64.opsPerSecond)} ops/s` : `${at64}: not measured`),
    target(
      'log put p99 ÷ model PUT p99',
      tail,
      '< 3',
      (v) => v < 3,
      log64 === undefined ? `${at64}: not measured` : modelPut === undefined ? 'no latency model in this run' : `${at64}: ${log64.latencyMs.putP99} ms vs model p99 ${modelPut.p99Ms} ms`,
    ),
    target(
      'put p50 at 1 thread, log ÷ object',
      single,
      '≤ 1.2',
      (v) => v <= 1.2,
      log1 !== undefined && obj1 !== undefined ? `t=1, 256 B puts: ${log1.latencyMs.putP50} ms vs ${obj1.latencyMs.putP50} ms` : 't=1, 256 B puts: not measured',
    ),
  ];
}

export interface SpeedupCeiling {
  /** One segment PUT as seen from the guest: the log engine's put p50 at 1 thread, in ms. */
  segmentPutMs: number;
  /** The most a durable log engine can do at 64 threads: 64 ÷ segmentPutMs. */
  logOpsPerSecond: number;
  /** The object engine's measured ops/s at 64 threads. */
  objectOpsPerSecond: number;
  /** logOpsPerSecond ÷ objectOpsPerSecond: the highest log ÷ object throughput ratio this run allows. */
  ratio: number;
}

/**
 * The highest log ÷ object throughput ratio this run allows (see the header), or null when the
 * configurations it needs were not measured. The median is used for the segment PUT, not the
 * mean: the model's distribution is skewed (its mean is above its median), so this errs high.
 */
export function closedLoopCeiling(results: ConfigResult[]): SpeedupCeiling | null {
  const log1 = find(results, 'log', 1);
  const obj64 = find(results, 'object', 64);
  if (log1 === undefined || obj64 === undefined || log1.latencyMs.putP50 <= 0 || obj64.opsPerSecond <= 0) return null;
  const segmentPutMs = log1.latencyMs.putP50;
  const logOpsPerSecond = Math.round((64 * 1000) / segmentPutMs);
  return { segmentPutMs, logOpsPerSecond, objectOpsPerSecond: obj64.opsPerSecond, ratio: Math.round((logOpsPerSecond / obj64.opsPerSecond) * 100) / 100 };
}

function target(name: string, measured: number | null, text: string, ok: (v: number) => boolean, detail: string): TargetResult {
  const value = measured === null || !Number.isFinite(measured) ? null : Math.round(measured * 1000) / 1000;
  return { name, measured: value, target: text, met: value === null ? null : ok(value), detail };
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : String(Number(v.toPrecision(3)));
}
