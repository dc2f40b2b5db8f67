// Many guest threads and many requests in flight, booted in v86 against a real proxy on the
// (default) log engine over the embedded S3 endpoint; traces and statistics of those runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireImage, runCli } from './support/runCli.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-threads-'));
const store = ['--own-proxy', '--data-dir', dataDir, '--timeout', '240'];

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('many guest threads', () => {
  const trace = path.join(dataDir, 'kvstress.jsonl');
  let stress: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    stress = await runCli([requireImage('images/kvstress.elf'), ...store, '--stats', '--trace', trace, '--', '32', '150'], 300_000);
  }, 300_000);

  it('kvstress: 32 threads of puts, gets and deletes on the log engine, no failure', () => {
    expect(stress.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(stress.stdout).not.toMatch(/^FAIL/m);
    expect(stress.status).toBe(0);
  });

  it('keeps many requests in flight at once (--stats)', () => {
    expect(Number(/in flight \(max\)\s+(\d+)/.exec(stress.stderr)?.[1])).toBeGreaterThanOrEqual(16);
    expect(stress.stderr).toMatch(/writesPerPutMax (\d+)/);
    // Group commit: concurrent writers share segment PUTs.
    expect(Number(/writesPerPutMax (\d+)/.exec(stress.stderr)?.[1])).toBeGreaterThan(1);
  });

  it('traces one line per KV request with thread ids and no value or key bytes', () => {
    const all = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The closing line carries the proxy's counters: what the run cost in S3 requests.
    const closing = all.pop()!.proxy_stats as Record<string, number>;
    expect(closing['s3.put']).toBeGreaterThan(0);
    expect(closing['log.writesPerPutMax']).toBeGreaterThan(1);
    const lines = all;
    const requests = /kv requests\s+put (\d+), get (\d+), delete (\d+)/.exec(stress.stderr)!.slice(1).map(Number);
    expect(lines.length).toBe(requests.reduce((a, b) => a + b, 0));
    expect(new Set(lines.map((l) => l.thread)).size).toBeGreaterThanOrEqual(32);
    for (const l of lines.slice(0, 200)) {
      expect(Object.keys(l).sort()).toEqual(
        ['done_us', 'key_hash', 'key_len', 'op', 'queue_us', 'seq', 'service_us', 'status', 't', 'thread', 'value_len'].sort(),
      );
      expect(l.done_us as number).toBeGreaterThanOrEqual(l.t as number);
    }
  });

  it('summarises the trace (npm run trace -- FILE --json)', () => {
    const out = execFileSync(process.execPath, ['dist/emulator/src/trace/cli.js', trace, '--json'], { encoding: 'utf8' });
    const summary = JSON.parse(out) as { requests: number; ops: { op: string; count: number; p50_us: number; p99_us: number }[]; concurrency: { max: number } };
    const lines = readFileSync(trace, 'utf8').trim().split('\n').length;
    expect(summary.requests).toBe(lines - 1); // all but the closing proxy_stats line
    expect(summary.ops.map((o) => o.op).sort()).toEqual(['delete', 'get', 'put']);
    for (const o of summary.ops) expect(o.p99_us).toBeGreaterThanOrEqual(o.p50_us);
    expect(summary.concurrency.max).toBeGreaterThanOrEqual(16);
    const text = execFileSync(process.execPath, ['dist/emulator/src/trace/cli.js', trace], { encoding: 'utf8' });
    expect(text).toMatch(/latency histogram/);
    expect(text).toMatch(/slowest requests/);
    expect(text).toMatch(/S3 requests: put \d+/);
  });

  it('reports a thread stack overflow instead of corrupting memory', async () => {
    const run = await runCli([requireImage('images/fault.elf'), ...store, '--', 'stack']);
    expect(run.stdout + run.stderr).toMatch(/stack overflow in thread \d+/);
    expect(run.status).toBe(139);
  });

  it('runs an out-of-tree pthread app (examples/threads) with 16 threads', async () => {
    execFileSync('make', ['--no-print-directory', 'image', 'APP=examples/threads'], { stdio: 'pipe' });
    const run = await runCli([requireImage('images/threads.elf'), ...store]);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
  });
});
