/**
 * Latency CDFs: the fraction of requests at or below each latency, drawn as a step line. Takes
 * either raw samples or precomputed quantiles (what the benchmarks keep in their JSON).
 */
import type { AxisSpec } from './axis.js';
import { lineChart, type Series } from './lineChart.js';

/** Quantile levels the benchmarks record per cell: enough to draw a CDF, small in JSON. */
export const CDF_LEVELS = [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.995, 0.999, 1];

/** The samples' value at each level (nearest rank), for CDF_LEVELS-style summaries. */
export function quantiles(samples: number[], levels: number[] = CDF_LEVELS): number[] {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return levels.map(() => 0);
  return levels.map((q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
}

/** A CDF series from quantile values (as returned by `quantiles`, same levels). */
export function cdfSeries(name: string, values: number[], levels: number[] = CDF_LEVELS, style: Partial<Series> = {}): Series {
  const points = values.map((v, i): [number, number] => [v, levels[i]!]);
  return { ...style, name, points, markers: false, step: true };
}

export interface CdfChartOptions {
  title: string;
  subtitle?: string;
  /** The latency axis (log suits latencies spanning decades). */
  x: AxisSpec;
  series: Series[];
}

export function cdfChart(options: CdfChartOptions): string {
  return lineChart({
    title: options.title,
    ...(options.subtitle === undefined ? {} : { subtitle: options.subtitle }),
    x: options.x,
    y: { kind: 'linear', label: 'fraction of requests ≤ latency', min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 0.9, 1] },
    series: options.series,
  });
}
