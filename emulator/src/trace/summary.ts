/**
 * Summarises a `--trace` file: per-op counts and errors, latency percentiles, in-flight
 * concurrency over time, the slowest requests, and a latency histogram.
 */
import type { TraceLine } from './traceWriter.js';

export interface OpSummary {
  op: string;
  count: number;
  errors: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

export interface TraceSummary {
  requests: number;
  duration_us: number;
  ops_per_s: number;
  ops: OpSummary[];
  all: OpSummary;
  concurrency: { max: number; mean: number; over_time: { t_us: number; max: number }[] };
  slowest: TraceLine[];
  histogram: { le_us: number; count: number }[];
  /** The proxy's counters at the end of the run (S3 requests, writes per PUT, ...), if recorded. */
  proxy?: Record<string, unknown>;
}

export interface ParsedTrace {
  lines: TraceLine[];
  proxy?: Record<string, unknown>;
}

/** Statuses that are answers, not failures. */
const NOT_ERRORS = new Set(['ok', 'not_found', 'too_small']);

export function parseTrace(text: string): ParsedTrace {
  const lines: TraceLine[] = [];
  let proxy: Record<string, unknown> | undefined;
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new Error(`line ${i + 1} is not JSON`);
    }
    const stats = (parsed as { proxy_stats?: unknown }).proxy_stats;
    if (typeof stats === 'object' && stats !== null) {
      proxy = stats as Record<string, unknown>;
      return;
    }
    const rec = parsed as Partial<TraceLine>;
    if (typeof rec.t !== 'number' || typeof rec.done_us !== 'number' || typeof rec.op !== 'string' || typeof rec.status !== 'string') {
      throw new Error(`line ${i + 1} is not a hermitkv trace record`);
    }
    lines.push(rec as TraceLine);
  });
  return proxy === undefined ? { lines } : { lines, proxy };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function summarizeOp(op: string, recs: readonly TraceLine[]): OpSummary {
  const lat = recs.map((r) => r.done_us - r.t).sort((a, b) => a - b);
  return {
    op,
    count: recs.length,
    errors: recs.filter((r) => !NOT_ERRORS.has(r.status)).length,
    p50_us: percentile(lat, 50),
    p90_us: percentile(lat, 90),
    p99_us: percentile(lat, 99),
    max_us: lat[lat.length - 1] ?? 0,
  };
}

function concurrency(recs: readonly TraceLine[], start: number, duration: number) {
  const events: [number, number][] = [];
  for (const r of recs) events.push([r.t, 1], [r.done_us, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const buckets = 40;
  const width = Math.max(1, Math.ceil(duration / buckets));
  const overTime = Array.from({ length: buckets }, (_, i) => ({ t_us: start + i * width, max: 0 }));
  let level = 0;
  let max = 0;
  let area = 0;
  let last = start;
  for (const [t, d] of events) {
    area += level * (t - last);
    last = t;
    level += d;
    max = Math.max(max, level);
    const b = overTime[Math.min(buckets - 1, Math.floor((t - start) / width))]!;
    b.max = Math.max(b.max, level);
  }
  return { max, mean: duration > 0 ? area / duration : 0, over_time: overTime };
}

export function summarize({ lines: recs, proxy }: ParsedTrace): TraceSummary {
  const start = recs.reduce((m, r) => Math.min(m, r.t), Number.POSITIVE_INFINITY);
  const end = recs.reduce((m, r) => Math.max(m, r.done_us), 0);
  const duration = recs.length ? end - start : 0;
  const byOp = new Map<string, TraceLine[]>();
  for (const r of recs) byOp.set(r.op, [...(byOp.get(r.op) ?? []), r]);
  const lat = recs.map((r) => r.done_us - r.t);
  const histogram: { le_us: number; count: number }[] = [];
  for (let le = 16; le <= 1 << 26; le *= 2) histogram.push({ le_us: le, count: 0 });
  for (const l of lat) {
    const slot = histogram.find((h) => l <= h.le_us) ?? histogram[histogram.length - 1]!;
    slot.count++;
  }
  while (histogram.length > 1 && histogram[histogram.length - 1]!.count === 0) histogram.pop();
  while (histogram.length > 1 && histogram[0]!.count === 0) histogram.shift();
  return {
    requests: recs.length,
    duration_us: duration,
    ops_per_s: duration > 0 ? (recs.length * 1e6) / duration : 0,
    ops: [...byOp.entries()].sort().map(([op, rs]) => summarizeOp(op, rs)),
    all: summarizeOp('all', recs),
    concurrency: recs.length ? concurrency(recs, start, duration) : { max: 0, mean: 0, over_time: [] },
    slowest: [...recs].sort((a, b) => b.done_us - b.t - (a.done_us - a.t)).slice(0, 5),
    histogram,
    ...(proxy === undefined ? {} : { proxy }),
  };
}

const SPARK = '▁▂▃▄▅▆▇█';

function us(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} s` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} ms` : `${Math.round(v)} µs`;
}

export function formatSummary(s: TraceSummary): string {
  const out: string[] = [];
  out.push(`${s.requests} requests in ${us(s.duration_us)} (${Math.round(s.ops_per_s)} ops/s)`);
  out.push('');
  out.push('op        count  errors       p50       p90       p99       max');
  for (const o of [...s.ops, s.all]) {
    out.push(
      `${o.op.padEnd(8)}${String(o.count).padStart(7)}${String(o.errors).padStart(8)}${us(o.p50_us).padStart(10)}${us(o.p90_us).padStart(10)}${us(o.p99_us).padStart(10)}${us(o.max_us).padStart(10)}`,
    );
  }
  out.push('');
  const top = Math.max(1, s.concurrency.max);
  const spark = s.concurrency.over_time.map((b) => SPARK[Math.min(SPARK.length - 1, Math.floor((b.max / top) * (SPARK.length - 1)))]).join('');
  out.push(`in flight: max ${s.concurrency.max}, mean ${s.concurrency.mean.toFixed(1)}   ${spark}`);
  out.push('');
  out.push('latency histogram');
  const most = Math.max(1, ...s.histogram.map((h) => h.count));
  for (const h of s.histogram) {
    const bar = '█'.repeat(Math.round((h.count / most) * 40));
    out.push(`  ≤ ${us(h.le_us).padStart(9)} ${String(h.count).padStart(7)} ${bar}`);
  }
  if (s.proxy) {
    const pick = (prefix: string): string =>
      Object.entries(s.proxy!)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => `${k.slice(prefix.length)} ${String(v)}`)
        .join(', ');
    out.push('');
    out.push(`proxy: ${String(s.proxy.engine ?? '?')} engine`);
    const s3 = pick('s3.');
    if (s3) out.push(`  S3 requests: ${s3}`);
    const log = Object.entries(s.proxy).filter(([k]) => /^log\.(writesPerPut|flush|segmentsWritten|recordsWritten)/.test(k));
    if (log.length) out.push(`  log: ${log.map(([k, v]) => `${k.slice(4)} ${String(v)}`).join(', ')}`);
  }
  out.push('');
  out.push('slowest requests');
  for (const r of s.slowest) {
    out.push(`  #${r.seq} thread ${r.thread} ${r.op} key ${r.key_hash} (${r.key_len} B) → ${r.status} in ${us(r.done_us - r.t)} (queue ${us(r.queue_us)})`);
  }
  return out.join('\n');
}
