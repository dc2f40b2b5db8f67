/**
 * What `npm run bench:s3` leaves behind: the JSON document (its shape is S3BenchResult), the
 * table on stdout, and three charts (SVG + PNG) beside the JSON:
 *   <base>-throughput   ops/s vs concurrency, one line per value size and arm
 *   <base>-latency-cdf  PUT latency CDFs of the 256-byte cells (or the middle size measured)
 *   <base>-cost         dollars per million writes per value size, S3 Standard vs Express One Zone
 */
import path from 'node:path';
import type { LatencyModelOptions } from '../s3/latencyModel.js';
import type { MachineFacts } from './machine.js';
import { barChart } from './plot/barChart.js';
import { cdfChart, cdfSeries } from './plot/cdf.js';
import { lineChart, type Series } from './plot/lineChart.js';
import { writeChart } from './plot/png.js';
import { PALETTE } from './plot/svg.js';
import type { PriceTable } from './prices.js';
import type { Arm, CellResult } from './s3BenchRun.js';
import { sig, textTable } from './textTable.js';

export interface S3BenchResult {
  benchmark: 's3-small-object-put';
  /** Bumped when the shape of this document changes. */
  schemaVersion: 1;
  command: string;
  /** Taken at the start; the load average after the run says whether something else competed. */
  machine: MachineFacts & { loadAverage1mAfter: number };
  endpoint: { kind: 'embedded' | 'endpoint' | 'aws'; label: string; bucket: string; prefix: string };
  settings: { sizes: number[]; concurrencies: number[]; opsPerCell: number; opsRule: string; quick: boolean; warmupOps: number };
  /** The model of the `model` arm, with how it is applied; null when only the plain arm ran. */
  latencyModel: (LatencyModelOptions & { description: string; semantics: string }) | null;
  prices: PriceTable;
  cdfLevels: number[];
  cells: CellResult[];
}

const ARM_NAMES: Record<Arm, string> = { plain: 'no model', model: 'latency model' };

export function resultTable(result: S3BenchResult): string {
  const money = (v: number): string => `$${v.toFixed(v < 10 ? 3 : 2)}`;
  return textTable<CellResult>(
    [
      { header: 'arm', value: (c) => ARM_NAMES[c.arm], align: 'left' },
      { header: 'size B', value: (c) => String(c.sizeBytes) },
      { header: 'conc', value: (c) => String(c.concurrency) },
      { header: 'ops', value: (c) => String(c.ops) },
      { header: 'ops/s', value: (c) => sig(c.opsPerSecond) },
      { header: 'p50 ms', value: (c) => sig(c.latency.p50Ms) },
      { header: 'p99 ms', value: (c) => sig(c.latency.p99Ms) },
      { header: '$/M Standard', value: (c) => money(c.dollarsPerMillionWrites.s3Standard) },
      { header: '$/M Express 1Z', value: (c) => money(c.dollarsPerMillionWrites.s3ExpressOneZone) },
    ],
    result.cells,
  );
}

/** The header printed above the table: where, what, and at which prices. */
export function resultPreamble(result: S3BenchResult): string {
  const p = result.prices;
  return [
    `S3 small-object PUTs: ${result.endpoint.label} bucket ${result.endpoint.bucket} prefix ${result.endpoint.prefix}`,
    `latency model: ${result.latencyModel?.description ?? 'off'}`,
    `prices (${p.region}, in force since ${p.asOf}, checked ${p.checked}): S3 Standard $${p.s3Standard.putPer1000}/1,000 PUT; ` +
      `S3 Express One Zone $${p.s3ExpressOneZone.putPer1000}/1,000 PUT + $${p.s3ExpressOneZone.uploadPerGB}/GB uploaded`,
  ].join('\n');
}

export function throughputChart(result: S3BenchResult): string {
  const series: Series[] = [];
  result.settings.sizes.forEach((size, i) => {
    for (const arm of ['plain', 'model'] as const) {
      const cells = result.cells.filter((c) => c.arm === arm && c.sizeBytes === size);
      if (cells.length === 0) continue;
      series.push({
        name: `${size} B, ${ARM_NAMES[arm]}`,
        points: cells.map((c) => [c.concurrency, c.opsPerSecond]),
        color: PALETTE[i % PALETTE.length]!,
        ...(arm === 'model' ? { dash: '6 4' } : {}),
      });
    }
  });
  return lineChart({
    title: 'S3 PUT throughput vs concurrency',
    subtitle: subtitle(result),
    x: { kind: 'log', base: 2, label: 'requests in flight (concurrency)', ticks: result.settings.concurrencies },
    y: { kind: 'log', label: 'PUTs per second' },
    series,
  });
}

/** The size whose latency CDFs are drawn: 256 B (the reference size) if measured. */
export function cdfSize(result: S3BenchResult): number {
  const sizes = result.settings.sizes;
  return sizes.includes(256) ? 256 : sizes[Math.floor(sizes.length / 2)]!;
}

export function latencyCdfChart(result: S3BenchResult): string {
  const size = cdfSize(result);
  const series: Series[] = [];
  result.settings.concurrencies.forEach((conc, i) => {
    for (const arm of ['plain', 'model'] as const) {
      const cell = result.cells.find((c) => c.arm === arm && c.sizeBytes === size && c.concurrency === conc);
      if (cell === undefined) continue;
      series.push(
        cdfSeries(`c=${conc}, ${ARM_NAMES[arm]}`, cell.latency.cdfMs, result.cdfLevels, {
          color: PALETTE[i % PALETTE.length]!,
          ...(arm === 'model' ? { dash: '6 4' } : {}),
        }),
      );
    }
  });
  return cdfChart({
    title: `S3 PUT latency CDF, ${size}-byte values`,
    subtitle: subtitle(result),
    x: { kind: 'log', label: 'PUT latency (ms)' },
    series,
  });
}

export function costChart(result: S3BenchResult): string {
  const sizes = result.settings.sizes;
  const at = (size: number): CellResult => result.cells.find((c) => c.sizeBytes === size)!;
  return barChart({
    title: 'Dollars per million writes, one PUT per key-value pair',
    subtitle: `${result.prices.region} request prices in force since ${result.prices.asOf} (checked ${result.prices.checked}); Express adds $${result.prices.s3ExpressOneZone.uploadPerGB}/GB uploaded`,
    categories: sizes.map((s) => `${s} B`),
    xLabel: 'value size',
    y: { kind: 'linear', label: 'US$ per million writes' },
    series: [
      { name: result.prices.s3Standard.name, values: sizes.map((s) => at(s).dollarsPerMillionWrites.s3Standard) },
      { name: result.prices.s3ExpressOneZone.name, values: sizes.map((s) => at(s).dollarsPerMillionWrites.s3ExpressOneZone) },
    ],
    valueLabel: (v) => `$${v.toFixed(2)}`,
  });
}

function subtitle(result: S3BenchResult): string {
  const m = result.machine;
  const put = result.latencyModel?.put;
  const model = put === undefined ? 'no latency model' : `dashed: with latency model (PUT p50 ${put.p50Ms} ms, p99 ${put.p99Ms} ms)`;
  return `${result.endpoint.kind} endpoint, ${m.cpus} CPUs, Node ${m.node}, ${m.date.slice(0, 10)}; ${model}`;
}

/** Writes the three charts beside `jsonPath`; returns the files written. */
export function writeCharts(result: S3BenchResult, jsonPath: string): string[] {
  const base = path.join(path.dirname(jsonPath), path.basename(jsonPath, '.json'));
  return [
    writeChart(`${base}-throughput`, throughputChart(result)),
    writeChart(`${base}-latency-cdf`, latencyCdfChart(result)),
    writeChart(`${base}-cost`, costChart(result)),
  ].flatMap((p) => [p.svg, p.png]);
}
