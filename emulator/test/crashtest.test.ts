/**
 * `npm run crashtest` in small: 10 cycles of the kvcrash guest workload in v86 against a real log
 * engine proxy that is SIGKILLed at random moments (and in some cycles the hypervisor too),
 * recovered from the embedded S3 endpoint, read back and checked for linearizability. Every
 * cycle must be free of violations, every request in flight at a proxy kill must have completed
 * within the documented bound, and the application must have gone on after restarts.
 */
import { expect, test } from '@jest/globals';
import { IN_FLIGHT_BOUND_MS, runCrashTest } from '../src/crash/crashTest.js';
import { requireImage } from './support/runCli.js';

test('10 crash cycles: no acknowledged write lost, no delete undone, nothing invented, no hang', async () => {
  const lines: string[] = [];
  const report = await runCrashTest({
    cycles: 10,
    seed: 20261122,
    engine: 'log',
    image: requireImage('images/kvcrash.elf'),
    threads: 8,
    keys: 16,
    millis: 2000,
    hypervisorKillRate: 0.3,
    log: (line) => lines.push(line),
  });
  const context = lines.join('\n');
  expect({ violations: report.violations, context }).toEqual({ violations: [], context });
  expect(report.cycles).toBe(10);
  expect(report.proxyKills).toBeGreaterThanOrEqual(10);
  expect(report.hypervisorKills).toBeGreaterThanOrEqual(1);
  expect(report.acknowledged).toBeGreaterThan(500);
  expect(report.finalReads).toBe(10 * 16);
  expect(report.undecidedKeys).toBe(0);
  // Requests in flight at a kill completed with -1, promptly.
  expect(report.inFlightAtKill).toBeGreaterThan(0);
  expect(report.maxInFlightCompletionMs).toBeLessThan(IN_FLIGHT_BOUND_MS);
  // The hypervisor reconnected and the guest went on in most cycles (a late kill leaves no time).
  expect(report.cyclesWentOn).toBeGreaterThanOrEqual(3);
}, 150_000);
