/**
 * Grouped bar charts: one group of bars per category (e.g. value size), one bar per series
 * (e.g. price tier), value printed above each bar. Linear y axis from 0.
 */
import type { AxisSpec } from './axis.js';
import { makeScale } from './axis.js';
import { axes, legend, makeLayout, titles } from './frame.js';
import { el, PALETTE, svgDocument, text } from './svg.js';

export interface BarSeries {
  name: string;
  /** One value per category, in order. */
  values: number[];
  color?: string;
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  categories: string[];
  xLabel: string;
  y: AxisSpec;
  series: BarSeries[];
  /** Label above each bar; default 3 significant digits. */
  valueLabel?: (value: number) => string;
  width?: number;
  height?: number;
}

export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 820;
  const height = options.height ?? 480;
  const layout = makeLayout(width, height, true, options.subtitle !== undefined);
  const values = options.series.flatMap((s) => s.values);
  // 12 % headroom so the value labels above the tallest bars stay inside the plot.
  const y = makeScale({ ...options.y, kind: 'linear', min: options.y.min ?? 0 }, [...values, Math.max(0, ...values) * 1.12], layout.bottom, layout.top);
  const band = (layout.right - layout.left) / Math.max(1, options.categories.length);
  const barWidth = (band * 0.8) / Math.max(1, options.series.length);
  const label = options.valueLabel ?? ((v: number) => String(Number(v.toPrecision(3))));
  const groups = options.series.map((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length]!;
    const bars = series.values.map((v, c) => {
      const x = layout.left + c * band + band * 0.1 + i * barWidth;
      const top = y.map(v);
      return [
        el('rect', { x, y: top, width: barWidth - 2, height: layout.bottom - top, fill: color }),
        text(x + (barWidth - 2) / 2, top - 4, label(v), { 'text-anchor': 'middle', 'font-size': 10, fill: '#333' }),
      ].join('');
    });
    return el('g', { class: 'series', 'data-name': series.name }, bars);
  });
  const categoryLabels = options.categories.map((name, c) =>
    text(layout.left + (c + 0.5) * band, layout.bottom + 16, name, { 'text-anchor': 'middle', fill: '#333' }),
  );
  return svgDocument(width, height, options.title, [
    ...titles(layout, options.title, options.subtitle),
    ...axes(layout, undefined, y, options.xLabel, options.y.label),
    ...categoryLabels,
    ...groups,
    legend(
      layout,
      options.series.map((s, i) => ({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, kind: 'box' as const })),
    ),
  ]);
}
