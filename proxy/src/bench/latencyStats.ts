/**
 * Latency summaries the benchmarks record: nearest-rank percentiles (a value that was actually
 * measured, never an interpolation) and a compact CDF for plotting later from the JSON alone.
 */
import { CDF_LEVELS, quantiles } from './plot/cdf.js';

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency at each of `cdfLevels`. */
  cdfMs: number[];
}

export const CDF_LEVELS_RECORDED = CDF_LEVELS;

export function summarizeLatencies(samplesMs: number[]): LatencySummary {
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  const [p50, p90, p99] = quantiles(samplesMs, [0.5, 0.9, 0.99]);
  const sum = samplesMs.reduce((a, b) => a + b, 0);
  return {
    count: samplesMs.length,
    meanMs: round(samplesMs.length === 0 ? 0 : sum / samplesMs.length),
    p50Ms: round(p50!),
    p90Ms: round(p90!),
    p99Ms: round(p99!),
    maxMs: round(samplesMs.length === 0 ? 0 : Math.max(...samplesMs)),
    cdfMs: quantiles(samplesMs).map(round),
  };
}
