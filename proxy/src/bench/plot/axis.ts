/**
 * Axis scales and ticks: linear with "nice" steps (1, 2, 5 × 10^k), or logarithmic with ticks at
 * powers of the base (base 2 suits thread counts and sizes, base 10 suits rates and latencies).
 */

export type AxisKind = 'linear' | 'log';

export interface AxisSpec {
  kind: AxisKind;
  label: string;
  /** Log axes: 2 or 10 (default 10). */
  base?: number;
  /** Fixed ends; otherwise taken from the data (linear axes include 0 unless min is given). */
  min?: number;
  max?: number;
  /** Explicit tick values (e.g. the concurrencies measured); otherwise chosen here. */
  ticks?: number[];
  /** Tick label text; default formatTick. */
  format?: (value: number) => string;
}

export interface Tick {
  value: number;
  label: string;
}

export interface Scale {
  map(value: number): number;
  ticks: Tick[];
  min: number;
  max: number;
}

/** The scale for values spanning data (after padding to nice ends) onto pixels [from, to]. */
export function makeScale(spec: AxisSpec, data: number[], from: number, to: number): Scale {
  const format = spec.format ?? formatTick;
  const finite = data.filter((v) => Number.isFinite(v) && (spec.kind === 'linear' || v > 0));
  if (spec.kind === 'log') {
    const base = spec.base ?? 10;
    const lo = spec.min ?? base ** Math.floor(logb(Math.min(...finite, spec.max ?? Infinity), base));
    let hi = spec.max ?? base ** Math.ceil(logb(Math.max(...finite, lo), base));
    if (hi <= lo) hi = lo * base;
    const values = spec.ticks ?? logTicks(lo, hi, base);
    const t = (v: number): number => (logb(v, base) - logb(lo, base)) / (logb(hi, base) - logb(lo, base));
    return { min: lo, max: hi, map: (v) => from + t(Math.max(v, lo / 1e6)) * (to - from), ticks: values.map((value) => ({ value, label: format(value) })) };
  }
  const dataMin = finite.length === 0 ? 0 : Math.min(...finite);
  const dataMax = finite.length === 0 ? 1 : Math.max(...finite);
  const step = niceStep((spec.max ?? dataMax) - (spec.min ?? Math.min(0, dataMin)));
  const lo = spec.min ?? Math.floor(Math.min(0, dataMin) / step) * step;
  let hi = spec.max ?? Math.ceil(dataMax / step) * step;
  if (hi <= lo) hi = lo + step;
  const values = spec.ticks ?? range(lo, hi, step);
  return { min: lo, max: hi, map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks: values.map((value) => ({ value, label: format(value) })) };
}

function logb(v: number, base: number): number {
  return Math.log(v) / Math.log(base);
}

function logTicks(lo: number, hi: number, base: number): number[] {
  const out: number[] = [];
  const decades = logb(hi, base) - logb(lo, base);
  // With few powers of ten on the axis, 2× and 5× ticks keep it readable.
  const mantissas = base === 10 && decades <= 2 ? [1, 2, 5] : [1];
  for (let p = Math.floor(logb(lo, base)); p <= Math.ceil(logb(hi, base)); p++) {
    for (const m of mantissas) {
      const v = m * base ** p;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** About 5–10 ticks: a step of 1, 2 or 5 × 10^k. */
function niceStep(span: number): number {
  if (!(span > 0)) return 1;
  const raw = span / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function range(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) out.push(Number((lo + i * step).toPrecision(12)));
  return out;
}

/** 1500 → "1.5k", 0.25 → "0.25", 2000000 → "2M". */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}
