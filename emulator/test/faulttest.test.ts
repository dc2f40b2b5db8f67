/**
 * `npm run faulttest` in small: the kvcrash guest workload in v86 against a real log engine
 * proxy whose S3 attempts fail 10% of the time (proxy/src/s3/faultInjection.ts), the proxy
 * killed before each read-back, the history checked for linearizability; then cycles in which the
 * S3 endpoint is stopped (SIGSTOP) for longer than the S3 deadline: calls caught by the outage
 * must come back (with -1) within the bound, the application must go on once S3 is back, and
 * nothing acknowledged may be lost.
 */
import { expect, test } from '@jest/globals';
import { outageBoundMs, runCrashTest, type CrashTestOptions } from '../src/crash/crashTest.js';
import { requireImage } from './support/runCli.js';

const base = (): Omit<CrashTestOptions, 'cycles' | 'seed' | 'log'> => ({
  engine: 'log',
  image: requireImage('images/kvcrash.elf'),
  threads: 8,
  keys: 16,
  millis: 2000,
  hypervisorKillRate: 0,
  kill: 'end',
  attemptTimeoutMs: 500,
});

test('10% of S3 attempts failing: every kind injected, retried, 0 violations', async () => {
  const lines: string[] = [];
  const report = await runCrashTest({ ...base(), cycles: 3, seed: 2026, s3Faults: 0.1, log: (line) => lines.push(line) });
  const context = lines.join('\n');
  expect({ violations: report.violations, context }).toEqual({ violations: [], context });
  expect(report.acknowledged).toBeGreaterThan(300);
  expect(report.finalReads).toBe(3 * 16);
  expect(report.undecidedKeys).toBe(0);
  expect(report.s3['s3.faults']).toBeGreaterThan(20);
  expect(report.s3['s3.retries']).toBeGreaterThan(0);
  // Faults are retried: few, if any, guest calls fail.
  expect(report.failed).toBeLessThan(report.acknowledged / 20);
}, 90_000);

test('an S3 outage longer than the deadline: calls return -1 within the bound, then succeed; nothing acknowledged lost', async () => {
  const lines: string[] = [];
  const deadlineMs = 1000;
  const report = await runCrashTest({
    ...base(),
    cycles: 2,
    seed: 7,
    outageRate: 1,
    outageMs: 2500,
    deadlineMs,
    log: (line) => lines.push(line),
  });
  const context = lines.join('\n');
  expect({ violations: report.violations, context }).toEqual({ violations: [], context });
  expect(report.outages).toBe(2);
  expect(report.outageCalls).toBeGreaterThan(0);
  expect(report.outageFailed).toBeGreaterThan(0);
  expect(report.maxOutageCallMs).toBeLessThanOrEqual(outageBoundMs(deadlineMs));
  expect(report.finalReads).toBe(2 * 16);
}, 90_000);
