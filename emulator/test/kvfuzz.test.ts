// The hostile-guest fuzzer (guest-c/apps/kvfuzz) booted in v86 through the real hypervisor and a
// real proxy on the memory engine: 100,000 mostly malformed hypercalls must all be refused with an
// error status, counted as rejected by the host, and leave the device healthy and canaries intact.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireImage, runCli } from './support/runCli.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-kvfuzz-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface FuzzCounts { count: number; malformed: number; valid: number; ok: number; invalid: number; other: number; raw_busy: number }

describe('kvfuzz: a hostile guest', () => {
  it('gets an error for every malformed hypercall and a healthy device afterwards', async () => {
    const run = await runCli([requireImage('images/kvfuzz.elf'), '--own-proxy', '--engine', 'memory', '--data-dir', dataDir,
      '--timeout', '100', '--stats', '--', '7', '100000'], 110_000);
    expect(run.stdout).not.toMatch(/^FAIL/m);
    expect(run.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/TypeError|RangeError|uncaught|unhandled/i);

    const line = /^KVFUZZ (\{.*\})$/m.exec(run.stdout);
    expect(line).not.toBeNull();
    const counts = JSON.parse(line![1]) as FuzzCounts;
    expect(counts.count).toBe(100000);
    expect(counts.ok).toBe(0); // no malformed request may ever be answered OK
    expect(counts.other).toBe(0);
    expect(counts.invalid).toBeGreaterThan(50000);

    // The host's own count must cover every INVALID answer the guest saw.
    const rejected = Number(/rejected\s+(\d+)/.exec(run.stderr)?.[1]);
    expect(rejected).toBeGreaterThanOrEqual(counts.invalid);
    const invalidCompletions = Number(/kv completions.*invalid (\d+)/.exec(run.stderr)?.[1]);
    expect(invalidCompletions).toBe(counts.invalid);
    // Floods past the queue bound were refused with BUSY, and the host counted each one.
    expect(counts.raw_busy).toBeGreaterThan(0);
    expect(Number(/busy (\d+)/.exec(run.stderr)?.[1])).toBe(counts.raw_busy);
  }, 120_000);
});
