/**
 * The history checker must catch a store that is not linearizable. The same guest workload and
 * checking the crash test uses runs against a proxy with a deliberately broken engine (it drops
 * some acknowledged writes and serves some stale reads; registered only under
 * HERMITKV_TEST_BROKEN_ENGINE=1) and, as a control, against the correct memory engine. And the
 * crash path itself must catch a store that loses acknowledged writes in a crash: the memory
 * engine, killed and restarted like the log engine in the crash test, forgets everything.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { BROKEN_ENGINE_ENV } from '../../proxy/src/engine/brokenEngine.js';
import { runCrashTest, type CrashTestOptions } from '../src/crash/crashTest.js';
import { requireImage } from './support/runCli.js';

const saved = process.env[BROKEN_ENGINE_ENV];
beforeAll(() => {
  process.env[BROKEN_ENGINE_ENV] = '1'; // inherited by the proxy processes the run starts
});
afterAll(() => {
  if (saved === undefined) delete process.env[BROKEN_ENGINE_ENV];
  else process.env[BROKEN_ENGINE_ENV] = saved;
});

const options = (engine: string): CrashTestOptions => ({
  cycles: 1,
  seed: 7,
  engine,
  image: requireImage('images/kvcrash.elf'),
  threads: 8,
  keys: 8,
  millis: 1200,
  hypervisorKillRate: 0,
  log: () => {},
});

test('a broken engine (lost writes, stale reads) is caught; the memory engine passes', async () => {
  const broken = await runCrashTest(options('broken'));
  expect(broken.acknowledged).toBeGreaterThan(100);
  expect(broken.violations.length).toBeGreaterThan(0);
  expect(broken.violations.join('\n')).toMatch(/no order of the \d+ operations explains them/);

  const correct = await runCrashTest(options('memory'));
  expect(correct.acknowledged).toBeGreaterThan(100);
  expect(correct.violations).toEqual([]);
}, 60_000);

test('a store that forgets acknowledged writes when its proxy is killed is caught by the crash path', async () => {
  const forgetful = await runCrashTest({ ...options('memory'), kill: 'end' });
  expect(forgetful.proxyKills).toBe(1);
  expect(forgetful.acknowledged).toBeGreaterThan(50);
  expect(forgetful.violations.join('\n')).toMatch(/no order of the \d+ operations explains them/);
}, 60_000);
