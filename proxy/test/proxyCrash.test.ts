/**
 * Recovery after SIGKILL of the real proxy process (`npm run proxy`'s entry point, log engine)
 * in the middle of a concurrent write load sent over its socket, as the hypervisor sends it.
 * The S3 endpoint runs in its own process and survives, as S3 would. After each kill a new proxy
 * starts on the same prefix, and every key must hold the value of its last acknowledged
 * operation — or of one after it that was still in flight (it may or may not have taken effect).
 * Acknowledged deletes stay deleted; nothing that was never written appears.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { WireOp, WireStatus } from '../src/ipc/protocol.js';
import { allowedValues, keyFor, sameValue, valueFor, type Op } from '../src/log/bench/loadModel.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { PROXY_CLI, envWithoutAws, tempDir, uniquePrefix } from './support/env.js';
import { WireClient } from './support/wireClient.js';

const BUCKET = 'hermitkv-proxycrash';
const KEYS = 512;
const WRITERS = 64;
const VALUE_SIZE = 256;
const prefix = uniquePrefix('proxycrash');
let dir: string;
let endpoint: EmbeddedEndpoint;

beforeAll(async () => {
  dir = tempDir('proxycrash');
  endpoint = await startEmbeddedEndpoint({ dataDir: dir });
  const store = new ObjectStore({ bucket: BUCKET, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  await store.ensureBucket();
  store.close();
});

afterAll(async () => {
  await endpoint?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startProxy(socket: string): Promise<ChildProcess> {
  const env = envWithoutAws({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
  const child = spawn(process.execPath, [PROXY_CLI, '--engine', 'log', '--s3-endpoint', endpoint.url, '--bucket', BUCKET, '--prefix', prefix, '--socket', socket], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('ready on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`proxy exited (${code}) during start-up: ${stderr}`)));
  });
  return child;
}

/** 64 writers, each owning the keys ≡ w (mod 64), one operation at a time, until killed. */
function runLoad(client: WireClient, history: Map<number, Op[]>, round: number, killAfterAcks: number, kill: () => void): Promise<void> {
  let acks = 0;
  let stop = false;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const key = w + WRITERS * ((n * 7 + round) % (KEYS / WRITERS));
      const op: Op = { op: n % 4 === 3 ? 'D' : 'P', tag: `${round}.${w}.${n}`, state: 'begun' };
      const ops = history.get(key) ?? [];
      history.set(key, [...ops, op]);
      const response =
        op.op === 'P'
          ? client.request(WireOp.Put, keyFor(key), valueFor(key, op.tag, VALUE_SIZE))
          : client.request(WireOp.Delete, keyFor(key));
      const res = await Promise.race([response, client.whenClosed().then(() => undefined)]);
      if (res === undefined) return; // the proxy died with this operation in flight
      op.state = res.status === WireStatus.Ok ? 'acked' : 'failed';
      if (op.state === 'acked' && ++acks === killAfterAcks) {
        stop = true;
        kill();
      }
    }
  };
  return Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))).then(() => undefined);
}

test('every acknowledged write survives SIGKILL of the proxy mid-load; no deleted key comes back', async () => {
  const socket = path.join(dir, 'proxy.sock');
  const history = new Map<number, Op[]>();
  const initial = new Map<number, Buffer | undefined>();
  for (let round = 1; round <= 3; round++) {
    const proxy = await startProxy(socket);
    const client = await WireClient.connect(socket);
    const exited = new Promise<void>((resolve) => proxy.once('exit', () => resolve()));
    await runLoad(client, history, round, 400 + 300 * round, () => proxy.kill('SIGKILL'));
    await exited;
    client.close();
    // s3rver does not enforce If-None-Match: let the killed proxy's last PUTs settle first.
    await new Promise((r) => setTimeout(r, 300));

    const restarted = await startProxy(socket);
    const checker = await WireClient.connect(socket);
    let checked = 0;
    for (let key = 0; key < KEYS; key++) {
      const res = await checker.request(WireOp.Get, keyFor(key));
      expect([WireStatus.Ok, WireStatus.NotFound]).toContain(res.status);
      const actual = res.status === WireStatus.Ok ? res.value : undefined;
      const allowed = allowedValues(key, history.get(key) ?? [], VALUE_SIZE, initial.get(key));
      if (!allowed.some((v) => sameValue(v, actual))) {
        throw new Error(`round ${round}: key ${key} holds ${actual ? `${actual.length} bytes` : 'nothing'}, which no acknowledged or in-flight operation wrote`);
      }
      initial.set(key, actual);
      checked++;
    }
    // What was checked is the new starting point: earlier operations are settled.
    history.clear();
    expect(checked).toBe(KEYS);
    checker.close();
    restarted.kill('SIGTERM');
    await new Promise<void>((resolve) => restarted.once('exit', () => resolve()));
  }
}, 180_000);
