/**
 * The smallest SVG writer the charts need: elements as strings, escaped text, short numbers, a
 * colour-blind-safe palette, and the standalone document wrapper. No DOM, no browser: the charts
 * are plain text that diffs well when committed.
 */

export type Attrs = Record<string, string | number | undefined>;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Coordinates to 2 decimals: enough for a pixel grid, and keeps files small and stable. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** `<name a="…">children</name>`, or self-closing without children; undefined attributes are left out. */
export function el(name: string, attrs: Attrs = {}, children?: string | string[]): string {
  const attrText = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? num(v) : String(v))}"`)
    .join('');
  if (children === undefined) return `<${name}${attrText}/>`;
  const body = Array.isArray(children) ? children.join('\n') : children;
  return `<${name}${attrText}>${body}</${name}>`;
}

export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies and in greyscale print. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export const FONT_FAMILY = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** A standalone SVG document (XML declaration, namespace, white background, title for screen readers). */
export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="12">`,
    el('title', {}, escapeXml(title)),
    el('rect', { x: 0, y: 0, width, height, fill: 'white' }),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
