/**
 * The proxy as a command, run as real processes: `npm run proxy`, a proxy forked by a parent (as
 * the hypervisor does), and start-up errors.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, fork, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WireOp, WireStatus } from '../src/ipc/protocol.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { PROXY_CLI, REPO_ROOT, envWithoutAws, tempDir, uniquePrefix } from './support/env.js';
import { WireClient } from './support/wireClient.js';

let dir: string;
let endpoint: EmbeddedEndpoint;

beforeAll(async () => {
  dir = tempDir('cli');
  endpoint = await startEmbeddedEndpoint({ dataDir: path.join(dir, 'shared') });
});

afterAll(async () => {
  await endpoint?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PROXY_CLI, ...args], { env, cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

async function endpointAnswers(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

describe('proxy command', () => {
  test('npm run proxy starts, answers over the socket, and stops cleanly on SIGTERM', async () => {
    const socket = path.join(dir, 'npm', 'proxy.sock');
    const child = spawn('npm', ['run', '--silent', 'proxy', '--', '--socket', socket, '--data-dir', path.join(dir, 'npm-data'), '--prefix', uniquePrefix('cli'), '--stats'], {
      cwd: REPO_ROOT,
      env: envWithoutAws(),
      detached: true, // its own process group, so the test can signal npm and the proxy together
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // 'close': npm and everything holding its pipes (the proxy, the endpoint) are gone.
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('hermitkv-proxy: ready on')) resolve();
        });
        void exited.then((code) => reject(new Error(`npm run proxy exited with ${code}: ${stderr}`)));
      });
      const ready = stdout.split('\n').find((l) => l.startsWith('hermitkv-proxy: ready on'))!;
      expect(ready).toMatch(new RegExp(`^hermitkv-proxy: ready on ${socket} \\(engine log, s3 http://127\\.0\\.0\\.1:\\d+/hermitkv/test-cli-.*/\\)$`));

      const client = await WireClient.connect(socket);
      const value = Buffer.from([0, 1, 2, 0, 255]);
      expect((await client.request(WireOp.Put, 'a//b', value)).status).toBe(WireStatus.Ok);
      const got = await client.request(WireOp.Get, 'a//b');
      expect(got.status).toBe(WireStatus.Ok);
      expect(got.value.equals(value)).toBe(true);
      expect((await client.request(WireOp.Get, 'absent')).status).toBe(WireStatus.NotFound);
      // Concurrent puts to one key: the last one sent wins.
      const puts = Array.from({ length: 20 }, (_, i) => client.request(WireOp.Put, 'hot', String(i)));
      for (const p of puts) expect((await p).status).toBe(WireStatus.Ok);
      expect((await client.request(WireOp.Get, 'hot')).value.toString()).toBe('19');
      client.close();
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    await exited; // npm itself dies of the signal; the proxy's clean exit shows in its stats and socket
    expect(stderr).toMatch(/hermitkv-proxy stats:[\s\S]* engine\.puts 21\n/);
    expect(existsSync(socket)).toBe(false);
  });

  test('a forked proxy reports ready to its parent and ends with it, embedded endpoint included', async () => {
    const socket = path.join(dir, 'forked', 'proxy.sock');
    const child = fork(PROXY_CLI, ['--socket', socket, '--data-dir', path.join(dir, 'fork-data')], {
      cwd: dir,
      env: envWithoutAws(),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<Record<string, unknown>>((resolve) => child.on('message', (m) => resolve(m as Record<string, unknown>)));
    expect(ready).toMatchObject({ type: 'ready', socket, engine: 'log', bucket: 'hermitkv', prefix: 'kv/' });
    const url = String(ready['endpoint']);
    expect(await endpointAnswers(url)).toBe(true);

    child.disconnect();
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
    // The embedded endpoint noticed its parent (the proxy) went away.
    const deadline = Date.now() + 5000;
    while ((await endpointAnswers(url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await endpointAnswers(url)).toBe(false);
  });

  test('--engine memory starts no S3 endpoint', async () => {
    const socket = path.join(dir, 'memory', 'proxy.sock');
    const child = fork(PROXY_CLI, ['--engine', 'memory', '--socket', socket], { cwd: dir, env: envWithoutAws(), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<unknown>((resolve) => child.on('message', resolve));
    expect(ready).toMatchObject({ type: 'ready', engine: 'memory', endpoint: 'none' });
    const client = await WireClient.connect(socket);
    expect((await client.request(WireOp.Put, 'k', 'v')).status).toBe(WireStatus.Ok);
    expect((await client.request(WireOp.Get, 'k')).value.toString()).toBe('v');
    client.close();
    child.disconnect();
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dir, '.data'))).toBe(false);
  });

  test('a missing bucket on an explicit endpoint is a one-line error, exit 1', async () => {
    const env = envWithoutAws({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
    const res = await runCli(['--s3-endpoint', endpoint.url, '--bucket', 'no-such-bucket', '--socket', path.join(dir, 'b', 'p.sock')], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`hermitkv-proxy: bucket "no-such-bucket" does not exist at ${endpoint.url}; create it or pass --bucket\n`);
  });

  test('other start-up errors are one line too', async () => {
    const env = envWithoutAws({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' });
    const socket = ['--socket', path.join(dir, 'e', 'p.sock')];
    const cases: [string[], RegExp][] = [
      [['--engine', 'nope', ...socket], /^hermitkv-proxy: unknown engine "nope" \(known: log, object, memory\)\n$/],
      [['--s3-endpoint', 'http://127.0.0.1:1', ...socket], /^hermitkv-proxy: cannot reach S3 at http:\/\/127\.0\.0\.1:1: ECONNREFUSED.*\n$/],
      [['--bucket', 'Bad_Name', ...socket], /^hermitkv-proxy: bucket name "Bad_Name" is not valid.*\n$/],
      [['--prefix', '../up', ...socket], /^hermitkv-proxy: prefix "\.\.\/up" is not valid.*\n$/],
      [['--bogus'], /^hermitkv-proxy: Unknown argument: bogus \(see --help\)\n$/],
    ];
    for (const [args, expected] of cases) {
      const res = await runCli(args, env);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(expected);
    }
  });
});
