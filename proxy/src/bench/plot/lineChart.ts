/**
 * Line charts: several series of (x, y) points on linear or log axes, with a legend. Each series
 * is one `<g class="series" data-name="…">` so tests and scripts can find them in the SVG.
 */
import { makeScale, type AxisSpec } from './axis.js';
import { axes, legend, makeLayout, titles, type LegendEntry } from './frame.js';
import { el, PALETTE, svgDocument } from './svg.js';

export interface Series {
  name: string;
  points: Array<[number, number]>;
  /** Default: the palette in order. */
  color?: string;
  /** SVG stroke-dasharray, e.g. "6 4"; default solid. */
  dash?: string;
  /** Dots at the points (default true; CDFs turn them off). */
  markers?: boolean;
  /** Connect points with horizontal-then-vertical steps (empirical CDFs). */
  step?: boolean;
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  x: AxisSpec;
  y: AxisSpec;
  series: Series[];
  width?: number;
  height?: number;
}

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 820;
  const height = options.height ?? 480;
  const layout = makeLayout(width, height, options.series.length > 0, options.subtitle !== undefined);
  const all = options.series.flatMap((s) => s.points);
  const x = makeScale(options.x, all.map((p) => p[0]), layout.left, layout.right);
  const y = makeScale(options.y, all.map((p) => p[1]), layout.bottom, layout.top);
  const entries: LegendEntry[] = [];
  const groups = options.series.map((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length]!;
    const markers = series.markers ?? true;
    entries.push({ name: series.name, color, kind: 'line', ...(series.dash === undefined ? {} : { dash: series.dash }), marker: markers });
    const pts = series.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py)).map(([px, py]) => [x.map(px), y.map(py)] as const);
    const path = pts
      .map(([px, py], j) => {
        if (j === 0) return `M${r(px)},${r(py)}`;
        return series.step ? `H${r(px)}V${r(py)}` : `L${r(px)},${r(py)}`;
      })
      .join('');
    const children = [el('path', { d: path, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-dasharray': series.dash, 'stroke-linejoin': 'round' })];
    if (markers) children.push(...pts.map(([px, py]) => el('circle', { cx: px, cy: py, r: 3, fill: color })));
    return el('g', { class: 'series', 'data-name': series.name }, children);
  });
  return svgDocument(width, height, options.title, [
    ...titles(layout, options.title, options.subtitle),
    ...axes(layout, x, y, options.x.label, options.y.label),
    ...groups,
    legend(layout, entries),
  ]);
}

function r(v: number): string {
  return String(Math.round(v * 100) / 100);
}
