// Smoke test of `npm run bench` (dist/emulator/src/bench/systemBench.js, built by jest's
// globalSetup): a tiny matrix on the memory and log engines without the latency model, output to
// a temporary directory. Checks that the JSON is well formed, the S3 counts come from the proxy
// (none on memory, some on log) and the charts exist. Speed is not checked: that is the
// benchmark's job.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigResult } from '../src/bench/systemMetrics.js';
import { closedLoopCeiling, evaluateTargets } from '../src/bench/systemTargets.js';
import { requireImage } from './support/runCli.js';

interface Config {
  engine: string;
  threads: number;
  sizeBytes: number;
  readPct: number;
  ops: number;
  gets: number;
  puts: number;
  opsPerSecond: number;
  latencyMs: { putP50: number; getP50: number };
  putCdfMs: number[];
  s3: { put: number };
  s3RequestsPerOp: number;
  s3PutsPerPut: number | null;
  bytesToS3PerByteWritten: number | null;
  dollarsPerMillionOps: { s3Standard: number; s3ExpressOneZone: number };
  errors: number;
}

interface Bench {
  benchmark: string;
  machine: { cpus: number };
  versions: Record<string, string>;
  latencyModel: unknown;
  cdfLevels: number[];
  configs: Config[];
  targets: { name: string; met: boolean | null }[];
  ceiling: unknown;
}

describe('npm run bench', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-bench-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a tiny matrix and writes the JSON and the charts', async () => {
    requireImage('images/kvbench.elf');
    const out = path.join(dir, 'bench.json');
    const args = ['--engines', 'memory,log', '--threads', '4', '--sizes', '64', '--reads', '50', '--ops', '40', '--warmup', '8', '--keys', '16', '--no-latency', '--out', out];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['dist/emulator/src/bench/systemBench.js', ...args], { timeout: 50_000 }, (err, o, e) => (err ? reject(new Error(`${err.message}\n${o}\n${e}`)) : resolve(o))),
    );
    expect(stdout).toMatch(/^engine\s+thr\s+size B/m);
    expect(stdout).toMatch(/^targets \(log vs object engine, this run\):$/m);
    const r = JSON.parse(readFileSync(out, 'utf8')) as Bench;
    expect(r.benchmark).toBe('system-end-to-end');
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.versions['node']).toBe(process.version);
    expect(r.latencyModel).toBeNull();
    expect(r.configs.map((c) => c.engine)).toEqual(['memory', 'log']);
    for (const c of r.configs) {
      expect(c).toMatchObject({ threads: 4, sizeBytes: 64, readPct: 50, ops: 40, errors: 0 });
      expect(c.gets + c.puts).toBe(c.ops);
      expect(c.opsPerSecond).toBeGreaterThan(0);
      expect(c.putCdfMs).toHaveLength(r.cdfLevels.length);
    }
    const [memory, log] = r.configs as [Config, Config];
    expect(memory.s3RequestsPerOp).toBe(0);
    expect(memory.dollarsPerMillionOps.s3Standard).toBe(0);
    // The log engine's puts reached S3 (counted by the proxy), at most one PUT per put.
    expect(log.s3.put).toBeGreaterThan(0);
    expect(log.s3PutsPerPut).toBeLessThanOrEqual(1);
    expect(log.bytesToS3PerByteWritten).toBeGreaterThan(1); // records carry keys and headers
    expect(log.dollarsPerMillionOps.s3Standard).toBeGreaterThan(0);
    // No object engine in this run: the targets cannot be evaluated.
    expect(r.targets.map((t) => t.met)).toEqual([null, null, null, null]);
    expect(r.ceiling).toBeNull();
    expect(stdout).toMatch(/^throughput ceiling: n\/a/m);
    for (const chart of ['throughput', 'latency-cdf', 's3-requests', 'cost']) {
      const svg = readFileSync(path.join(dir, `bench-${chart}.svg`), 'utf8');
      expect(svg).toMatch(/<svg [\s\S]*<\/svg>\s*$/);
      const png = path.join(dir, `bench-${chart}.png`);
      expect(existsSync(png) && statSync(png).size).toBeGreaterThan(1000);
      expect(readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  }, 60_000);

  it('derives the targets and the closed-loop ceiling from the base point and the 1-thread point', () => {
    // Only the fields the targets read; the rest of a result does not enter them.
    const result = (engine: 'log' | 'object', threads: number, opsPerSecond: number, putP50: number, putP99: number, s3PutsPerPut: number): ConfigResult =>
      ({ engine, threads, sizeBytes: 256, readPct: 0, opsPerSecond, latencyMs: { getP50: 0, getP99: 0, putP50, putP99 }, s3PutsPerPut }) as ConfigResult;
    const results = [result('log', 1, 40, 25, 90, 1), result('object', 1, 41, 24, 80, 1), result('log', 64, 2000, 31, 120, 1 / 64), result('object', 64, 400, 160, 400, 1)];
    // 64 threads ÷ 25 ms = 2,560 ops/s, 6.4× the object engine's 400.
    expect(closedLoopCeiling(results)).toEqual({ segmentPutMs: 25, logOpsPerSecond: 2560, objectOpsPerSecond: 400, ratio: 6.4 });
    expect(closedLoopCeiling(results.filter((r) => r.threads === 64))).toBeNull();
    const targets = evaluateTargets(results, { p50Ms: 20, p99Ms: 80 });
    expect(targets.map((t) => [t.measured, t.met])).toEqual([
      [64, true],
      [5, true],
      [1.5, true],
      [1.042, true],
    ]);
    expect(evaluateTargets(results.map((r) => (r.engine === 'log' && r.threads === 64 ? { ...r, opsPerSecond: 1900 } : r)), undefined)[1]).toMatchObject({ measured: 4.75, met: false });
  });
});
