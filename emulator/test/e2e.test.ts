// End to end: real guest images booted in v86, the hypervisor relaying over node-ipc to a real
// proxy process, which stores into the embedded S3 endpoint (s3rver, its own process) over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireImage, runCli } from './support/runCli.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-e2e-'));
const store = ['--own-proxy', '--data-dir', dataDir, '--timeout', '240'];

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a guest using the KV store through the split driver', () => {
  it.each(['log', 'object'])('passes the seed-API checker (kvtest) on the %s engine', async (engine) => {
    const run = await runCli([requireImage('images/kvtest.elf'), ...store, '--engine', engine, '--prefix', `kvtest-${engine}/`, '--stats'], 300_000);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/kv requests\s+put \d+/);
  });

  it('keeps the demo boot counter across runs (persistence in S3)', async () => {
    const counter = (out: string): number => Number(/boot number (\d+)/.exec(out)?.[1]);
    const first = await runCli([requireImage('images/demo.elf'), ...store]);
    const second = await runCli([requireImage('images/demo.elf'), ...store]);
    expect(first.status).toBe(0);
    expect(second.status).toBe(0);
    expect(counter(second.stdout)).toBe(counter(first.stdout) + 1);
  });

  it('answers hostile descriptors with an error status and keeps running (badcall)', async () => {
    const run = await runCli([requireImage('images/badcall.elf'), ...store, '--stats']);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/kv: invalid request/);
    expect(Number(/rejected\s+(\d+)/.exec(run.stderr)?.[1])).toBeGreaterThan(5);
  });

  it('reports a guest CPU fault and exits with 128 + vector instead of dying', async () => {
    const run = await runCli([requireImage('images/fault.elf'), ...store]);
    const out = run.stdout + run.stderr;
    expect(out).toMatch(/guest fault: Divide Error/);
    expect(out).toMatch(/Divide Error \(vector 0/);
    expect(out).toMatch(/eip 0x[0-9a-f]{8}/);
    expect(run.status).toBe(128);
  });

  it('passes app arguments to main(argc, argv)', async () => {
    const run = await runCli([requireImage('images/demo.elf'), ...store, '--', 'alpha', 'two words']);
    expect(run.stdout).toContain('alpha');
    expect(run.stdout).toContain('two words');
  });

  it('fails KV calls with -1, and says why, when the proxy cannot be reached', async () => {
    const run = await runCli([requireImage('images/demo.elf'), '--socket', path.join(dataDir, 'nobody-listens.sock'), '--timeout', '60']);
    expect(run.stderr).toMatch(/no proxy: cannot reach the proxy/);
    expect(run.status).not.toBe(124);
    expect(run.status).not.toBe(0);
  });

  it('refuses to open one engine\'s data with another, saying why', async () => {
    const prefix = ['--prefix', 'switch/'];
    const first = await runCli([requireImage('images/demo.elf'), ...store, ...prefix, '--engine', 'log']);
    expect(first.status).toBe(0);
    const other = await runCli([requireImage('images/demo.elf'), ...store, ...prefix, '--engine', 'object']);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('belongs to the log engine');
    expect(other.stdout).toBe('');
  });

  it('says to run make image when the image is missing', async () => {
    const run = await runCli(['images/no-such-app.elf']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('make image');
  });
});

describe('an out-of-tree app built with make image APP=<dir>', () => {
  it('builds from examples/hello-kv and runs with its arguments', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('make', ['--no-print-directory', 'image', 'APP=examples/hello-kv'], { stdio: 'pipe' });
    const run = await runCli([requireImage('images/hello-kv.elf'), ...store, '--', 'one', 'two']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/hello-kv: got ".+" for ".+"/);
    expect(run.stdout).toContain('one two');
  });
});
