/**
 * What `npm run bench` leaves behind: the JSON document (SystemBenchResult), the table and the
 * targets on stdout, and four charts (SVG + PNG) beside the JSON:
 *   <base>-throughput    ops/s vs guest threads, one line per engine (threads sweep)
 *   <base>-latency-cdf   put latency CDFs at 1 and 64 threads per engine (guest-measured)
 *   <base>-s3-requests   S3 requests per operation, per configuration, log vs object
 *   <base>-cost          dollars per million operations, per configuration and price tier
 */
import path from 'node:path';
import type { MachineFacts } from '../../../proxy/src/bench/machine.js';
import { barChart } from '../../../proxy/src/bench/plot/barChart.js';
import { cdfChart, cdfSeries } from '../../../proxy/src/bench/plot/cdf.js';
import { lineChart, type Series } from '../../../proxy/src/bench/plot/lineChart.js';
import { writeChart } from '../../../proxy/src/bench/plot/png.js';
import { PALETTE } from '../../../proxy/src/bench/plot/svg.js';
import type { PriceTable } from '../../../proxy/src/bench/prices.js';
import { sig, textTable } from '../../../proxy/src/bench/textTable.js';
import type { LatencyModelOptions } from '../../../proxy/src/s3/latencyModel.js';
import type { BenchPoint, EngineName, MatrixOptions } from './systemMatrix.js';
import type { ConfigResult } from './systemMetrics.js';
import type { SpeedupCeiling, TargetResult } from './systemTargets.js';

export interface SystemBenchResult {
  benchmark: 'system-end-to-end';
  /** Bumped when the shape of this document changes. */
  schemaVersion: 1;
  command: string;
  machine: MachineFacts & { loadAverage1mAfter: number };
  versions: Record<string, string>;
  /** The sweeps and their settings (systemMatrix.ts explains the design). */
  matrix: MatrixOptions & { base: BenchPoint; design: string; quick: boolean; rounds: number };
  latencyModel: (LatencyModelOptions & { description: string }) | null;
  endpoint: string;
  prices: PriceTable;
  cdfLevels: number[];
  configs: ConfigResult[];
  targets: TargetResult[];
  /** The throughput ratio this run allows at all (systemTargets.ts); null when not measured. */
  ceiling: SpeedupCeiling | null;
  seconds: number;
}

const ENGINE_COLOR: Record<EngineName, string> = { memory: PALETTE[2]!, log: PALETTE[0]!, object: PALETTE[1]! };

export function resultTable(result: SystemBenchResult): string {
  const n = (v: number | null): string => (v === null ? '-' : sig(v));
  const money = (v: number): string => `$${v < 0.01 && v > 0 ? v.toPrecision(2) : v.toFixed(v < 10 ? 3 : 2)}`;
  return textTable<ConfigResult>(
    [
      { header: 'engine', value: (c) => c.engine, align: 'left' },
      { header: 'thr', value: (c) => String(c.threads) },
      { header: 'size B', value: (c) => String(c.sizeBytes) },
      { header: 'reads', value: (c) => `${c.readPct}%` },
      { header: 'ops', value: (c) => String(c.ops) },
      { header: 'ops/s', value: (c) => sig(c.opsPerSecond) },
      { header: 'put p50 ms', value: (c) => (c.puts > 0 ? sig(c.latencyMs.putP50) : '-') },
      { header: 'put p99 ms', value: (c) => (c.puts > 0 ? sig(c.latencyMs.putP99) : '-') },
      { header: 'get p50 ms', value: (c) => (c.gets > 0 ? sig(c.latencyMs.getP50) : '-') },
      { header: 'get p99 ms', value: (c) => (c.gets > 0 ? sig(c.latencyMs.getP99) : '-') },
      { header: 'S3 req/op', value: (c) => n(c.s3RequestsPerOp) },
      { header: 'PUT/put', value: (c) => n(c.s3PutsPerPut) },
      { header: 'B→S3/B', value: (c) => n(c.bytesToS3PerByteWritten) },
      { header: '$/M Std', value: (c) => money(c.dollarsPerMillionOps.s3Standard) },
      { header: '$/M Expr', value: (c) => money(c.dollarsPerMillionOps.s3ExpressOneZone) },
      { header: 'err', value: (c) => String(c.errors) },
    ],
    result.configs,
  );
}

export function targetsText(targets: TargetResult[]): string {
  const rows = textTable<TargetResult>(
    [
      { header: 'target', value: (t) => t.name, align: 'left' },
      { header: 'measured', value: (t) => (t.measured === null ? 'n/a' : sig(t.measured)) },
      { header: 'target', value: (t) => t.target, align: 'left' },
      { header: 'result', value: (t) => (t.met === null ? 'n/a' : t.met ? 'met' : 'NOT MET'), align: 'left' },
      { header: 'from', value: (t) => t.detail, align: 'left' },
    ],
    targets,
  );
  return `targets (log vs object engine, this run):\n${rows}`;
}

export function ceilingText(c: SpeedupCeiling | null): string {
  if (c === null) return 'throughput ceiling: n/a (needs the log engine at 1 thread and the object engine at 64 threads)';
  return (
    `throughput ceiling: 64 closed-loop threads each wait at least one segment PUT per put (${sig(c.segmentPutMs)} ms p50 at 1 thread), ` +
    `so a log engine that acknowledges durable writes does at most ${c.logOpsPerSecond} ops/s here: ` +
    `${sig(c.ratio)}× the object engine's ${sig(c.objectOpsPerSecond)} ops/s`
  );
}

function subtitle(result: SystemBenchResult): string {
  const m = result.machine;
  const put = result.latencyModel?.put;
  const model = put === undefined ? 'no S3 latency model' : `S3 latency model PUT p50 ${put.p50Ms} ms / p99 ${put.p99Ms} ms`;
  return `kvbench in v86 → proxy → embedded S3; ${m.cpus} CPUs, Node ${m.node}, ${m.date.slice(0, 10)}; ${model}`;
}

function engines(result: SystemBenchResult): EngineName[] {
  return result.matrix.engines;
}

/** The threads sweep's configurations of one engine, by thread count. */
function threadsSweep(result: SystemBenchResult, engine: EngineName): ConfigResult[] {
  return result.configs.filter((c) => c.engine === engine && c.sweeps.includes('threads')).sort((a, b) => a.threads - b.threads);
}

export function throughputChart(result: SystemBenchResult): string {
  const base = result.matrix.base;
  const series: Series[] = engines(result)
    .map((engine) => ({ name: engine, points: threadsSweep(result, engine).map((c): [number, number] => [c.threads, c.opsPerSecond]), color: ENGINE_COLOR[engine] }))
    .filter((s) => s.points.length > 0);
  return lineChart({
    title: `Throughput vs guest threads (${base.sizeBytes}-byte values, ${base.readPct} % reads)`,
    subtitle: subtitle(result),
    x: { kind: 'log', base: 2, label: 'guest threads', ticks: result.matrix.threads },
    y: { kind: 'log', label: 'operations per second (guest clock)' },
    series,
  });
}

export function latencyCdfChart(result: SystemBenchResult): string {
  const threads = [...new Set([Math.min(...result.matrix.threads), result.matrix.base.threads])];
  const series: Series[] = [];
  for (const engine of engines(result)) {
    for (const t of threads) {
      const c = threadsSweep(result, engine).find((r) => r.threads === t && r.puts > 0);
      if (c === undefined) continue;
      series.push(cdfSeries(`${engine}, ${t} thread${t === 1 ? '' : 's'}`, c.putCdfMs, result.cdfLevels, { color: ENGINE_COLOR[engine], ...(t === threads[0] && threads.length > 1 ? { dash: '6 4' } : {}) }));
    }
  }
  return cdfChart({
    title: `Put latency CDF, measured in the guest (${result.matrix.base.sizeBytes}-byte values)`,
    subtitle: subtitle(result),
    x: { kind: 'log', label: 'put latency (ms)' },
    series,
  });
}

/** The configurations of the S3 engines, as bar-chart categories (one per matrix point). */
function s3Points(result: SystemBenchResult): { labels: string[]; at: (engine: EngineName, i: number) => ConfigResult | undefined } {
  const points: BenchPoint[] = [];
  for (const c of result.configs) {
    if (c.engine === 'memory') continue;
    if (!points.some((p) => p.threads === c.threads && p.sizeBytes === c.sizeBytes && p.readPct === c.readPct)) points.push(c);
  }
  return {
    labels: points.map((p) => `t${p.threads} ${p.sizeBytes}B r${p.readPct}`),
    at: (engine, i) => result.configs.find((c) => c.engine === engine && c.threads === points[i]!.threads && c.sizeBytes === points[i]!.sizeBytes && c.readPct === points[i]!.readPct),
  };
}

export function s3RequestsChart(result: SystemBenchResult): string {
  const { labels, at } = s3Points(result);
  const s3Engines = engines(result).filter((e) => e !== 'memory');
  return barChart({
    title: 'S3 requests per operation (counted by the proxy over the timed ops)',
    subtitle: subtitle(result),
    categories: labels,
    xLabel: 'configuration: guest threads, value size, read %',
    y: { kind: 'linear', label: 'S3 requests per operation' },
    series: s3Engines.map((engine) => ({ name: engine, color: ENGINE_COLOR[engine], values: labels.map((_, i) => at(engine, i)?.s3RequestsPerOp ?? 0) })),
    valueLabel: (v) => (v === 0 ? '0' : String(Number(v.toPrecision(2)))),
    width: 1200,
  });
}

export function costChart(result: SystemBenchResult): string {
  const { labels, at } = s3Points(result);
  const s3Engines = engines(result).filter((e) => e !== 'memory');
  const tiers = [
    // Short names: the legend sits beside the plot.
    { key: 's3Standard' as const, name: 'Standard' },
    { key: 's3ExpressOneZone' as const, name: 'Express 1Z' },
  ];
  let color = 0;
  return barChart({
    title: 'Dollars per million operations (S3 request and upload charges)',
    subtitle: `${result.prices.region} prices in force since ${result.prices.asOf} (checked ${result.prices.checked}); storage not included`,
    categories: labels,
    xLabel: 'configuration: guest threads, value size, read %',
    y: { kind: 'linear', label: 'US$ per million operations' },
    series: tiers.flatMap((tier) =>
      s3Engines.map((engine) => ({ name: `${engine}, ${tier.name}`, color: PALETTE[color++ % PALETTE.length]!, values: labels.map((_, i) => at(engine, i)?.dollarsPerMillionOps[tier.key] ?? 0) })),
    ),
    valueLabel: (v) => (v >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(2)))),
    width: 1200,
  });
}

/** Writes the four charts beside `jsonPath`; returns the files written. */
export function writeCharts(result: SystemBenchResult, jsonPath: string): string[] {
  const base = path.join(path.dirname(jsonPath), path.basename(jsonPath, '.json'));
  return [
    writeChart(`${base}-throughput`, throughputChart(result)),
    writeChart(`${base}-latency-cdf`, latencyCdfChart(result)),
    writeChart(`${base}-s3-requests`, s3RequestsChart(result)),
    writeChart(`${base}-cost`, costChart(result)),
  ].flatMap((p) => [p.svg, p.png]);
}
