/**
 * SVG → PNG without a browser: @resvg/resvg-js (Rust's resvg, prebuilt per platform inside its
 * npm packages, so `npm ci` fetches nothing else). Text needs a font: the system's fonts are
 * loaded (Debian's fonts-dejavu-core gives "DejaVu Sans", the charts' first choice). Without
 * any font the PNG is still written, with the text missing; the SVG is the primary output.
 */
import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

/** Renders at `scale` × the SVG's own size (2 for crisp figures in reports). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return Buffer.from(resvg.render().asPng());
}

/** Writes `<base>.svg` and `<base>.png`; returns both paths. */
export function writeChart(base: string, svg: string): { svg: string; png: string } {
  const paths = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileSync(paths.svg, svg);
  writeFileSync(paths.png, svgToPng(svg));
  return paths;
}
