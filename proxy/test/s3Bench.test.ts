/**
 * Smoke test of `npm run bench:s3`: the compiled command, in its smallest mode, against the
 * embedded endpoint. Checks that the results are complete and well-formed, never how fast.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { S3BenchResult } from '../src/bench/s3BenchOutput.js';
import { envWithoutAws, REPO_ROOT, tempDir } from './support/env.js';
import { allElements, parseXml } from './support/xml.js';

const SCRIPT = path.join(REPO_ROOT, 'dist', 'proxy', 'src', 'bench', 's3Bench.js');
const SIZES = [32, 64, 128, 256, 512, 1024];
const CONCURRENCIES = [1, 4, 16, 64];

let dir: string;
let run: { code: number | null; stdout: string; stderr: string };
let result: S3BenchResult;

beforeAll(async () => {
  dir = tempDir('s3bench');
  run = await new Promise((resolve, reject) => {
    // --ops 4: every cell still runs max(4, 2 × concurrency) PUTs; stderr is a pipe, so the
    // progress comes as one line per cell.
    const child = spawn(process.execPath, [SCRIPT, '--quick', '--ops', '4', '--out', path.join(dir, 'bench.json')], {
      cwd: dir,
      env: envWithoutAws(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  if (run.code === 0) result = JSON.parse(readFileSync(path.join(dir, 'bench.json'), 'utf8')) as S3BenchResult;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench:s3 --quick', () => {
  test('exits 0, one progress line per cell on a non-TTY stderr, and a table on stdout', () => {
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stderr.split('\n').filter((l) => /^\[\d+\/48\] /.test(l))).toHaveLength(48);
    expect(run.stdout).toMatch(/size B\s+conc\s+ops\s+ops\/s\s+p50 ms\s+p99 ms/);
    expect(run.stdout.split('\n').filter((l) => /^(no model|latency model)\s/.test(l))).toHaveLength(48);
  });

  test('the JSON has every cell, each sane', () => {
    expect(result.benchmark).toBe('s3-small-object-put');
    expect(result.machine.cpus).toBeGreaterThan(0);
    expect(result.machine.node).toBe(process.version);
    expect(Number.isNaN(Date.parse(result.machine.date))).toBe(false);
    expect(result.endpoint.kind).toBe('embedded');
    expect(result.latencyModel).toMatchObject({ put: { p50Ms: 20, p99Ms: 80 }, rateLimit: { putPerSecond: 3500 } });
    for (const arm of ['plain', 'model'] as const) {
      for (const size of SIZES) {
        for (const conc of CONCURRENCIES) {
          const cells = result.cells.filter((c) => c.arm === arm && c.sizeBytes === size && c.concurrency === conc);
          expect(cells).toHaveLength(1);
          const c = cells[0]!;
          expect(c.ops).toBe(Math.max(4, 2 * conc));
          expect(c.opsPerSecond).toBeGreaterThan(0);
          expect(c.latency.count).toBe(c.ops);
          expect(c.latency.p50Ms).toBeGreaterThan(0);
          expect(c.latency.p99Ms).toBeGreaterThanOrEqual(c.latency.p50Ms);
          expect(c.latency.maxMs).toBeGreaterThanOrEqual(c.latency.p99Ms);
          expect(c.latency.cdfMs).toHaveLength(result.cdfLevels.length);
          // One PUT per write: $/million = 1,000 × the price per 1,000 (+ Express's per-GB upload).
          const p = result.prices;
          expect(c.dollarsPerMillionWrites.s3Standard).toBeCloseTo(1000 * p.s3Standard.putPer1000, 9);
          expect(c.dollarsPerMillionWrites.s3ExpressOneZone).toBeCloseTo(
            1000 * p.s3ExpressOneZone.putPer1000 + ((1e6 * size) / 2 ** 30) * p.s3ExpressOneZone.uploadPerGB,
            9,
          );
          // The model arm's delays come from the model's own counters; the plain arm has none.
          if (arm === 'model') expect(c.modelDelayMsPerPut).toBeGreaterThan(0);
          else expect(c.modelDelayMsPerPut).toBe(0);
        }
      }
    }
    expect(result.cells).toHaveLength(48);
  });

  test('the XML check has teeth: malformed documents are refused', () => {
    for (const bad of ['<svg><g></svg>', '<svg a="1" a="2"/>', '<svg>&nbsp;</svg>', '<svg x=1/>', '<svg/><svg/>', '<svg>a & b</svg>']) {
      expect(() => parseXml(bad)).toThrow(/XML|entity|bare &/);
    }
    expect(parseXml('<?xml version="1.0"?>\n<svg a="&lt;&#65;"><g/>t</svg>\n').attrs.a).toBe('<A');
  });

  test.each([
    ['throughput', SIZES.length * 2],
    ['latency-cdf', CONCURRENCIES.length * 2],
    ['cost', 2],
  ])('the %s chart is well-formed SVG with %i series, and has a PNG', (name, series) => {
    const svg = parseXml(readFileSync(path.join(dir, `bench-${name}.svg`), 'utf8'));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const groups = allElements(svg).filter((e) => e.attrs.class === 'series');
    expect(groups).toHaveLength(series);
    expect(new Set(groups.map((g) => g.attrs['data-name'])).size).toBe(series);
    const legend = allElements(svg).find((e) => e.attrs.class === 'legend');
    expect(legend?.children.filter((e) => e.name === 'text')).toHaveLength(series);
    const png = readFileSync(path.join(dir, `bench-${name}.png`));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  });
});
