/**
 * Credentials and values never appear in logs, statistics or traces, also when S3 fails: a proxy
 * (`npm run proxy`) with AWS credentials in its environment, S3 faults injected and `--stats`,
 * serving both a client that writes recognisable values and a guest (`npm start` with `--trace`
 * and `--stats`); then a proxy that signs with those credentials and is refused by S3. Nothing
 * either prints, and nothing in the trace, may contain the secret, the access key id or a value.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WireOp, WireStatus } from '../../proxy/src/ipc/protocol.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../../proxy/src/s3/embeddedEndpoint.js';
import { ProxyClient } from '../src/ipc/proxyClient.js';
import { requireImage } from './support/runCli.js';

const ACCESS_KEY_ID = 'AKIAHERMITKVTESTONLY';
const SECRET = 'hKv/Secret+Never+Logged/0123456789abcdefXYZ';
const VALUE_MARK = 'VALUE-SENTINEL-7f3a9c';

let dir: string;
let endpoint: EmbeddedEndpoint;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-secrets-'));
  endpoint = await startEmbeddedEndpoint({ dataDir: path.join(dir, 'endpoint') });
});

afterAll(async () => {
  await endpoint?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a user with AWS credentials set (and no endpoint or region). */
function envWithSecrets(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-east-1' };
}

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('latin1')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { output: () => out, exited, kill: (signal) => child.kill(signal) };
}

async function waitFor(what: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectClean(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(ACCESS_KEY_ID);
  expect(text).not.toContain(VALUE_MARK);
  expect(text).not.toContain(Buffer.from(VALUE_MARK).toString('hex'));
  expect(text).not.toContain(Buffer.from(VALUE_MARK).toString('base64').slice(0, 16));
}

test('with S3 faults, --stats and --trace: no credential and no value in any output', async () => {
  const socket = path.join(dir, 'proxy.sock');
  const trace = path.join(dir, 'trace.jsonl');
  const proxy = run(
    'dist/proxy/src/cli.js',
    ['--s3-endpoint', 'embedded', '--data-dir', path.join(dir, 'proxy'), '--socket', socket, '--s3-faults', '0.2', '--s3-fault-seed', '11', '--s3-attempt-timeout', '300', '--stats'],
    envWithSecrets(),
  );
  await waitFor(() => proxy.output().includes('ready on'), 30_000);

  const client = await ProxyClient.connect(socket);
  let answered = 0;
  for (let i = 0; i < 60; i++) {
    const key = Buffer.from(`secrets/${i % 10}`);
    const put = await client.request(WireOp.Put, key, Buffer.from(`${VALUE_MARK}:${i}:${'v'.repeat(i)}`));
    const got = await client.request(WireOp.Get, key);
    if (put.kind === 'response' && put.response.status === WireStatus.Ok) answered++;
    if (got.kind === 'response' && got.response.status === WireStatus.Ok) expect(got.response.value.toString()).toContain(VALUE_MARK);
  }
  client.close();
  expect(answered).toBeGreaterThan(50);

  const guest = run('dist/emulator/src/cli.js', [requireImage('images/kvtest.elf'), '--socket', socket, '--trace', trace, '--stats', '--', 'secrets', '40'], envWithSecrets());
  const status = await guest.exited;
  proxy.kill('SIGTERM');
  await proxy.exited;

  const proxyOut = proxy.output();
  expect(proxyOut).toMatch(/S3 fault injection: 20% of attempts/);
  expect(proxyOut).toMatch(/s3\.faults \d+/); // --stats printed the fault counters
  expect(proxyOut).toMatch(/s3\.retries [1-9]/);
  expectClean(proxyOut);
  expect(status).toBe(0);
  const guestOut = guest.output();
  expect(guestOut).toMatch(/passed, 0 failed/);
  expectClean(guestOut);
  // kvtest's own values: its round-trip strings must not reach the trace or the statistics.
  const traceText = readFileSync(trace, 'latin1');
  expect(traceText.length).toBeGreaterThan(0);
  expectClean(traceText);
  expect(traceText).not.toContain('hello, world');
  expect(traceText).not.toContain(Buffer.from('hello, world').toString('hex'));
}, 90_000);

test('credentials refused by S3: the error says what to check, and shows no credential', async () => {
  const socket = path.join(dir, 'refused.sock');
  const proxy = run('dist/proxy/src/cli.js', ['--s3-endpoint', endpoint.url, '--bucket', 'hermitkv', '--socket', socket, '--s3-deadline', '2000'], envWithSecrets());
  const code = await proxy.exited;
  expect(code).toBe(1);
  expect(proxy.output()).toMatch(/denied \(403 \w+\); check the credentials/);
  expectClean(proxy.output());
}, 30_000);
