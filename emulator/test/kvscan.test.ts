// Range scans end to end: images/kvscan.elf booted in v86 checks scan() against a sorted model
// kept in the guest (random keys with high bytes, overwrites, deletes, empty ranges, open ends,
// early stops, ranges spanning many batches), through the hypervisor and a real proxy process
// on each engine. The three runs go at once: they share nothing but the machine.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireImage, runCli } from './support/runCli.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-kvscan-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function kvscan(engine: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const run = await runCli(
    [requireImage('images/kvscan.elf'), '--own-proxy', '--data-dir', path.join(dataDir, engine), '--engine', engine, '--timeout', '280', '--stats', '--', ...args],
    300_000,
  );
  expect(run.stdout).not.toMatch(/^FAIL/m);
  expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
  expect(run.status).toBe(0);
  return run;
}

describe('scan() in the guest (kvscan)', () => {
  // 3,000+ keys: the full scan and the wide ranges span many 16 KiB batches.
  it.concurrent('matches the model on the log engine', async () => {
    const run = await kvscan('log', ['1', '3200', '30']);
    expect(Number(/model: (\d+) keys/.exec(run.stdout)?.[1])).toBeGreaterThan(3000);
    const scans = Number(/scan (\d+) \(\d+ keys\)/.exec(run.stderr)?.[1]);
    expect(scans).toBeGreaterThan(34); // scan() reached the host 34 times: more requests are resumed batches
  });

  // The object engine scans with one GET per key: fewer keys, still more than one batch.
  it.concurrent('matches the model on the object engine', async () => {
    const run = await kvscan('object', ['2', '400', '4']);
    // scan() reached the host 8 times (wipe, 2 full scans, 4 ranges, a 1024-byte start):
    // more requests are resumed batches.
    expect(Number(/scan (\d+) \(\d+ keys\)/.exec(run.stderr)?.[1])).toBeGreaterThan(8);
  });

  it.concurrent('matches the model on the memory engine, and times a scan', async () => {
    await kvscan('memory', ['3', '3200', '30']);
    const bench = await kvscan('memory', ['bench', '2000']);
    expect(bench.stdout).toMatch(/^scan \(first\): 2000 keys in \d+ ms, \d+ keys\/s$/m);
  });
});
