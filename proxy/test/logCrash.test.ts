/**
 * Crash recovery: a separate process runs a concurrent write/delete load on the log engine
 * against the embedded endpoint (its own process, as S3 is) and prints every operation it begins
 * and every acknowledgement (loadModel.ts). The test SIGKILLs it mid-load, opens a fresh engine
 * on the same prefix and checks each key against what was acknowledged: the value of its last
 * acknowledged operation, or of an operation after it that may or may not have taken effect.
 * Three rounds on one prefix, each recovering what the previous crashes left.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { allowedValues, keyFor, parseLoad, sameValue } from '../src/log/bench/loadModel.js';
import { parseNumberedName, RUN_DIR, SEGMENT_DIR } from '../src/log/format.js';
import { openLogEngine } from '../src/log/logEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { REPO_ROOT, tempDir, uniquePrefix } from './support/env.js';

const BUCKET = 'hermitkv-crash';
const LOAD = path.join(REPO_ROOT, 'dist', 'proxy', 'src', 'log', 'bench', 'loadMain.js');
const KEYS = 1500;
const VALUE_SIZE = 200;
let dataDir: string;
let endpoint: EmbeddedEndpoint;
const stores: ObjectStore[] = [];

beforeAll(async () => {
  dataDir = tempDir('logcrash');
  endpoint = await startEmbeddedEndpoint({ dataDir });
});

afterAll(async () => {
  for (const s of stores) s.close();
  await endpoint?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function newStore(): ObjectStore {
  const store = new ObjectStore({ bucket: BUCKET, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  stores.push(store);
  return store;
}

/** Runs the load until `acks` acknowledgements were printed, SIGKILLs it, returns its lines. */
function loadUntilKilled(prefix: string, acks: number, extra: string[] = []): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [LOAD, '--endpoint', endpoint.url, '--bucket', BUCKET, '--prefix', prefix, '--writers', '64', '--keys', String(KEYS), '--value-size', String(VALUE_SIZE), '--delete-percent', '25', '--checkpoint-every', '6', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    let acked = 0;
    let stderr = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
      acked += chunk.split('\nA ').length - 1;
      if (acked >= acks && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`load exited with ${signal ?? code}: ${stderr}`));
      // Complete lines only (each line is written whole before the next step).
      const lines = text.split('\n');
      lines.pop();
      // Give the endpoint a moment to finish requests the dead process left behind, as a
      // restarted proxy would take to start.
      setTimeout(() => resolve(lines), 300);
    });
  });
}

/** Three SIGKILL rounds on one prefix; `extra` load flags (garbage collection). */
async function crashRounds(name: string, rounds: ReadonlyArray<readonly [number, number]>, extra: string[] = []): Promise<string> {
  const prefix = uniquePrefix(name);
  const setup = newStore();
  await setup.ensureBucket();
  let state = new Map<number, Buffer | undefined>();
  for (const [round, acks] of rounds) {
    const lines = await loadUntilKilled(prefix, acks, extra);
    const ops = parseLoad(lines);
    const engine = await openLogEngine({ store: newStore(), prefix, checkpointOnClose: false });
    const stats = engine.stats();
    let checked = 0;
    let inFlightTookEffect = 0;
    const next = new Map(state);
    const entries = [...ops];
    // Reads in parallel (each is a ranged GET: the fresh engine's cache is empty).
    for (let at = 0; at < entries.length; at += 64) {
      const slice = entries.slice(at, at + 64);
      const values = await Promise.all(slice.map(([i]) => engine.get(keyFor(i))));
      slice.forEach(([i, keyOps], n) => {
        const actual = values[n];
        const allowed = allowedValues(i, keyOps, VALUE_SIZE, state.get(i));
        if (!allowed.some((v) => sameValue(v, actual))) {
          throw new Error(`round ${round}: key ${i} holds ${actual === undefined ? 'nothing' : 'an unexpected value'}; ops: ${JSON.stringify(keyOps)}`);
        }
        if (!sameValue(actual, allowed[0])) inFlightTookEffect++;
        next.set(i, actual);
        checked++;
      });
    }
    // Keys this round did not touch still hold what the previous recovery found.
    for (const [i, value] of state) if (!ops.has(i)) expect(sameValue(await engine.get(keyFor(i)), value)).toBe(true);
    state = next;
    const acked = lines.filter((l) => l.startsWith('A ')).length;
    console.log(
      `crash round ${round}: ${acked} acknowledged ops on ${checked} keys checked; ${inFlightTookEffect} unacknowledged ops took effect; ` +
        `recovery ${stats['log.recoveryMs']} ms from checkpoint ${stats['log.recoveryCheckpoint']} (${stats['log.recoveryCheckpointEntries']} entries) ` +
        `+ ${stats['log.recoverySegmentsReplayed']} segments, ${stats['log.recoverySegmentsAbandoned']} abandoned, ${stats['log.recoveryCheckpointsDiscarded']} checkpoints discarded`,
    );
    expect(acked).toBeGreaterThanOrEqual(acks);
    await engine.close();
  }
  return prefix;
}

test('SIGKILL during a concurrent write/delete load loses no acknowledged write', async () => {
  await crashRounds('log-crash', [[1, 2500], [2, 1200], [3, 3000]]);
});

// Garbage collection runs in the background after every second segment, so the kills land
// inside GC runs (copies pending, checkpoint written, old checkpoints or segments half deleted).
test('SIGKILL while garbage collection runs loses no acknowledged write and revives no delete', async () => {
  const prefix = await crashRounds('log-crash-gc', [[1, 2000], [2, 2000]], ['--gc-every', '2']);
  // The collector really ran in the killed processes: segments were deleted from the chain.
  const numbers: number[] = [];
  for await (const o of newStore().list(prefix + SEGMENT_DIR)) {
    const n = parseNumberedName(prefix, SEGMENT_DIR, o.name);
    if (n !== undefined) numbers.push(n);
  }
  expect(numbers.length).toBeLessThan(Math.max(...numbers) - 5); // how many depends on the machine's speed
});

// Compaction into small sorted runs starts after every fourth segment, so the kills land inside
// compactions (runs half written, keys half moved, checkpoint written, objects half deleted).
test('SIGKILL while compaction runs loses no acknowledged write and revives no delete', async () => {
  const prefix = await crashRounds('log-crash-compact', [[1, 2000], [2, 2000]], ['--compact-every', '4']);
  // Compaction really ran in the killed processes: sorted runs exist and segments were deleted.
  let runs = 0;
  for await (const o of newStore().list(prefix + RUN_DIR)) if (parseNumberedName(prefix, RUN_DIR, o.name) !== undefined) runs++;
  expect(runs).toBeGreaterThan(0);
  const numbers: number[] = [];
  for await (const o of newStore().list(prefix + SEGMENT_DIR)) {
    const n = parseNumberedName(prefix, SEGMENT_DIR, o.name);
    if (n !== undefined) numbers.push(n);
  }
  expect(numbers.length).toBeLessThan(Math.max(...numbers) - 5); // how many depends on the machine's speed
});
