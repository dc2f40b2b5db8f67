/**
 * What every chart shares: the layout (plot area, room for the legend), the title, axes with
 * grid lines and tick labels, axis labels, and the legend.
 */
import type { Scale } from './axis.js';
import { el, text } from './svg.js';

export interface Layout {
  width: number;
  height: number;
  /** The plot area. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  /** Where the legend starts (right of the plot area). */
  legendX: number;
}

export interface LegendEntry {
  name: string;
  color: string;
  /** A line sample (line charts) or a filled box (bar charts). */
  kind: 'line' | 'box';
  dash?: string;
  marker?: boolean;
}

export const LEGEND_WIDTH = 190;

export function makeLayout(width: number, height: number, legend: boolean, subtitle: boolean): Layout {
  const left = 72;
  const top = subtitle ? 56 : 40;
  const legendSpace = legend ? LEGEND_WIDTH : 20;
  return { width, height, left, top, right: width - legendSpace, bottom: height - 52, legendX: width - legendSpace + 14 };
}

export function titles(layout: Layout, title: string, subtitle?: string): string[] {
  const out = [text(layout.left, 22, title, { 'font-size': 16, 'font-weight': 'bold' })];
  if (subtitle !== undefined) out.push(text(layout.left, 41, subtitle, { 'font-size': 11, fill: '#555' }));
  return out;
}

/** Grid, axis lines, tick labels and axis labels; no x scale for categorical (bar) charts, which label their own bands. */
export function axes(layout: Layout, x: Scale | undefined, y: Scale, xLabel: string, yLabel: string): string[] {
  const { left, right, top, bottom } = layout;
  const out: string[] = [];
  for (const tick of y.ticks) {
    const py = y.map(tick.value);
    out.push(el('line', { x1: left, y1: py, x2: right, y2: py, stroke: '#e3e3e3', 'stroke-width': 1 }));
    out.push(text(left - 6, py + 4, tick.label, { 'text-anchor': 'end', fill: '#333' }));
  }
  if (x !== undefined) {
    for (const tick of x.ticks) {
      const px = x.map(tick.value);
      out.push(el('line', { x1: px, y1: top, x2: px, y2: bottom, stroke: '#efefef', 'stroke-width': 1 }));
      out.push(text(px, bottom + 16, tick.label, { 'text-anchor': 'middle', fill: '#333' }));
    }
  }
  out.push(el('line', { x1: left, y1: bottom, x2: right, y2: bottom, stroke: '#333', 'stroke-width': 1 }));
  out.push(el('line', { x1: left, y1: top, x2: left, y2: bottom, stroke: '#333', 'stroke-width': 1 }));
  out.push(text((left + right) / 2, layout.height - 14, xLabel, { 'text-anchor': 'middle', 'font-size': 13 }));
  const cy = (top + bottom) / 2;
  out.push(text(18, cy, yLabel, { 'text-anchor': 'middle', 'font-size': 13, transform: `rotate(-90 18 ${cy})` }));
  return out;
}

export function legend(layout: Layout, entries: LegendEntry[]): string {
  const rows = entries.map((entry, i) => {
    const y = layout.top + 8 + i * 18;
    const x = layout.legendX;
    const sample =
      entry.kind === 'box'
        ? el('rect', { x, y: y - 9, width: 22, height: 11, fill: entry.color })
        : [
            el('line', { x1: x, y1: y - 4, x2: x + 22, y2: y - 4, stroke: entry.color, 'stroke-width': 2, 'stroke-dasharray': entry.dash }),
            entry.marker ? el('circle', { cx: x + 11, cy: y - 4, r: 3, fill: entry.color }) : '',
          ].join('');
    return sample + text(x + 28, y, entry.name, { fill: '#222' });
  });
  return el('g', { class: 'legend' }, rows);
}
