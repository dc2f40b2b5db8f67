/**
 * Proxy death under a running guest, as a user runs it: `npm start -- images/kvcrash.elf
 * --own-proxy` (the hypervisor starts its own log engine proxy and the embedded S3 endpoint),
 * and the proxy process is SIGKILLed while guest requests are in flight. Those requests must
 * complete with -1 (IO_ERROR or UNAVAILABLE) within the documented bound, the hypervisor must
 * restart the proxy and reconnect, the application must go on and exit normally, and the whole
 * history — across the restart and recovery from S3 — must be linearizable.
 */
import { afterAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ABI } from '../src/abi.js';
import { ConsoleHistory } from '../src/check/consoleHistory.js';
import { checkLinearizable } from '../src/check/linearizability.js';
import { IN_FLIGHT_BOUND_MS } from '../src/crash/crashTest.js';
import { requireImage } from './support/runCli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-proxydeath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return tasks.split(/\s+/).filter(Boolean).map(Number);
}

test('requests in flight when the proxy dies complete with -1 at once; the proxy is restarted and the guest goes on', async () => {
  const image = requireImage('images/kvcrash.elf');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  const hv = spawn(process.execPath, ['dist/emulator/src/cli.js', image, '--own-proxy', '--engine', 'log', '--data-dir', dir, '--', '1', '6', '8', '5', '3000'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const history = new ConsoleHistory(0);
  const watched = new Map<string, number>(); // in flight at the kill → kill time
  const inFlightStatuses: number[] = [];
  let slowest = 0;
  let answered = 0;
  let answeredAfterKill = 0;
  let killedAt: number | undefined;
  let stderr = '';
  let onAnswered: () => void = () => {};
  const enough = new Promise<void>((resolve) => (onAnswered = () => answered >= 40 && resolve()));
  let rest = '';
  hv.stdout.setEncoding('latin1');
  hv.stdout.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const done = history.line(line);
      if (done === undefined) continue;
      if (done.answered) {
        answered++;
        if (killedAt !== undefined) answeredAfterKill++;
        onAnswered();
      }
      const since = watched.get(done.id);
      if (since !== undefined) {
        watched.delete(done.id);
        slowest = Math.max(slowest, performance.now() - since);
        inFlightStatuses.push(Number(line.split(' ')[3]));
      }
    }
  });
  hv.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => hv.once('exit', (code) => resolve(code)));

  await Promise.race([enough, exited]);
  const proxies = childrenOf(hv.pid!);
  expect(proxies).toHaveLength(1);
  killedAt = performance.now();
  for (const id of history.inFlight()) watched.set(id, killedAt);
  const inFlight = watched.size;
  process.kill(proxies[0]!, 'SIGKILL');

  expect(await exited).toBe(0);
  expect(stderr).toMatch(/the proxy died \(SIGKILL\); restarting it/);
  expect(stderr).toMatch(/reconnected to the proxy/);
  // Every request in flight at the kill completed promptly. "In flight" is seen from the guest's
  // console, so a request the proxy answered just before the kill (the answer still in the pipe)
  // counts too and completes normally; the ones the proxy never answered complete with -1
  // (IO_ERROR or UNAVAILABLE). Log-engine puts spend milliseconds at the proxy, so some must be -1.
  expect(inFlight).toBeGreaterThan(0);
  expect(watched.size).toBe(0);
  const failed = (s: number): boolean => s === ABI.HKV_STATUS_IO_ERROR || s === ABI.HKV_STATUS_UNAVAILABLE;
  expect(inFlightStatuses.filter(failed).length).toBeGreaterThan(0);
  for (const s of inFlightStatuses) expect([ABI.HKV_STATUS_OK, ABI.HKV_STATUS_NOT_FOUND, ABI.HKV_STATUS_IO_ERROR, ABI.HKV_STATUS_UNAVAILABLE]).toContain(s);
  expect(slowest).toBeLessThan(IN_FLIGHT_BOUND_MS);
  // The application went on against the restarted proxy, and nothing it saw breaks linearizability.
  expect(answeredAfterKill).toBeGreaterThan(20);
  const result = checkLinearizable(history.finish());
  expect(result.violations).toEqual([]);
  expect(history.counts.unfinished).toBe(0);
}, 90_000);
