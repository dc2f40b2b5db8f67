/**
 * The IPC server end to end over a real Unix socket (node-ipc in rawBuffer mode), with an engine
 * whose timing the test controls.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { IpcServer } from '../src/ipc/server.js';
import { MAX_FRAME_BYTES, WireOp, WireStatus, encodeRequest } from '../src/ipc/protocol.js';
import { SCAN_MIN_BATCH, encodeScanParams } from '../src/ipc/scanWire.js';
import { ScriptedEngine } from './support/scriptedEngine.js';
import { tempDir } from './support/env.js';
import { WireClient } from './support/wireClient.js';

let dir: string;
let socketPath: string;
let engine: ScriptedEngine;
let server: IpcServer;
let logLines: string[];
const clients: WireClient[] = [];

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(socketPath);
  clients.push(client);
  return client;
}

/** Replaces the server with one that answers IoError to a request unanswered after ms. */
async function restartWithRequestTimeout(ms: number): Promise<void> {
  await server.close();
  server = await IpcServer.start({ socketPath, engine, maxInflight: 8, requestTimeoutMs: ms, log: (line) => logLines.push(line) });
}

beforeEach(async () => {
  dir = tempDir('ipc');
  socketPath = path.join(dir, 'proxy.sock');
  engine = new ScriptedEngine();
  logLines = [];
  server = await IpcServer.start({ socketPath, engine, maxInflight: 8, log: (line) => logLines.push(line) });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IPC server', () => {
  test('the socket is private and a second server cannot steal it', async () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    await expect(IpcServer.start({ socketPath, engine })).rejects.toThrow(/already serving/);
    const client = await connect();
    expect((await client.request(WireOp.Put, 'still', 'mine')).status).toBe(WireStatus.Ok);
  });

  test('put, get, delete, not found, binary bytes, stats', async () => {
    const client = await connect();
    const key = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256));
    const value = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i % 3 === 0 ? 0 : i % 256)));
    expect((await client.request(WireOp.Put, key, value)).status).toBe(WireStatus.Ok);
    const got = await client.request(WireOp.Get, key);
    expect(got.status).toBe(WireStatus.Ok);
    expect(got.value.equals(value)).toBe(true);
    expect((await client.request(WireOp.Delete, key)).status).toBe(WireStatus.Ok);
    expect((await client.request(WireOp.Get, key)).status).toBe(WireStatus.NotFound);
    const stats = await client.request(WireOp.Stats, '');
    const parsed = JSON.parse(stats.value.toString('utf8')) as Record<string, unknown>;
    expect(parsed['engine']).toBe('scripted');
    expect(parsed['ipc.put']).toBe(1);
    expect(parsed['ipc.notFound']).toBe(1);
  });

  test('engine errors come back as IoError with a one-line message', async () => {
    const client = await connect();
    const res = await client.request(WireOp.Put, 'boom-1', 'x');
    expect(res.status).toBe(WireStatus.IoError);
    expect(res.value.toString('utf8')).toBe('engine failure for boom-1');
    expect((await client.request(WireOp.Put, 'fine', 'x')).status).toBe(WireStatus.Ok);
  });

  test('pipelined requests complete out of order', async () => {
    const client = await connect();
    engine.hold('slow');
    const slow = client.send(WireOp.Get, 'slow');
    const fast = client.send(WireOp.Put, 'fast', 'v');
    await fast.response;
    expect(client.arrivals).toEqual([fast.id]);
    engine.release('slow');
    expect((await slow.response).status).toBe(WireStatus.NotFound);
    expect(client.arrivals).toEqual([fast.id, slow.id]);
  });

  test('requests for one key are applied in arrival order; at most maxInflight run at once', async () => {
    const client = await connect();
    engine.randomDelayMs = 10;
    const sent = [];
    for (let i = 0; i < 40; i++) {
      sent.push(client.send(WireOp.Put, 'k', String(i)));
      sent.push(client.send(WireOp.Put, `other-${i}`, String(i)));
    }
    const last = client.send(WireOp.Get, 'k');
    for (const s of sent) expect((await s.response).status).toBe(WireStatus.Ok);
    expect((await last.response).value.toString()).toBe('39');
    const order = engine.applied.filter((a) => a.startsWith('k=')).map((a) => a.slice(2));
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(engine.maxConcurrent).toBeLessThanOrEqual(8);
    expect(engine.maxConcurrent).toBeGreaterThan(1);
    // Responses did not simply come back in request order.
    expect(client.arrivals).not.toEqual([...client.arrivals].sort((a, b) => a - b));
  });

  test('writes to one key wait for each other, unless the engine orders them itself; a get waits for all', async () => {
    const client = await connect();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    // An engine that does not order writes (S3 objects): the second put waits for the first.
    engine.hold('a');
    const serial = [client.send(WireOp.Put, 'a', '1'), client.send(WireOp.Put, 'a', '2')];
    await settle();
    expect(engine.calls).toEqual(['put a=1']);
    engine.release('a');
    for (const s of serial) expect((await s.response).status).toBe(WireStatus.Ok);
    expect(engine.calls).toEqual(['put a=1', 'put a=2']);

    // One that does (a log): both puts and the delete start at once, in arrival order; the get
    // waits for all three, and the put after the get waits for the get.
    engine.ordersWrites = true;
    engine.calls.length = 0;
    engine.hold('k');
    const writes = [client.send(WireOp.Put, 'k', '1'), client.send(WireOp.Delete, 'k'), client.send(WireOp.Put, 'k', '2')];
    const read = client.send(WireOp.Get, 'k');
    const after = client.send(WireOp.Put, 'k', '3');
    await settle();
    expect(engine.calls).toEqual(['put k=1', 'delete k', 'put k=2']);
    engine.release('k');
    for (const w of writes) expect((await w.response).status).toBe(WireStatus.Ok);
    expect((await read.response).value.toString()).toBe('2');
    expect((await after.response).status).toBe(WireStatus.Ok);
    expect(engine.calls).toEqual(['put k=1', 'delete k', 'put k=2', 'get k', 'put k=3']);
    expect(engine.applied.filter((a) => a.startsWith('k='))).toEqual(['k=1', 'k=2', 'k=3']);
  });

  test('garbage, bad, oversize and truncated frames close only their own connection', async () => {
    const good = await connect();
    let stop = false;
    const worker = (async () => {
      let n = 0;
      while (!stop) {
        const res = await good.request(WireOp.Put, `w${n % 5}`, String(n));
        expect(res.status).toBe(WireStatus.Ok);
        n++;
      }
      return n;
    })();

    const garbage = await connect();
    garbage.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await garbage.whenClosed();

    const badOp = await connect();
    const frame = encodeRequest({ id: 1, op: WireOp.Get, key: Buffer.from('k'), value: Buffer.alloc(0) });
    frame.writeUInt8(200, 8);
    badOp.socket.write(frame);
    await badOp.whenClosed();

    const oversize = await connect();
    const head = Buffer.alloc(8);
    head.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
    oversize.socket.write(head);
    await oversize.whenClosed();

    const bigButBounded = await connect();
    const big = Buffer.alloc(4 + 200_000);
    big.writeUInt32LE(200_000, 0);
    big.writeUInt8(WireOp.Put, 8);
    bigButBounded.socket.write(big);
    await bigButBounded.whenClosed();

    // A frame cut short, then the client goes away: nothing to answer, nothing breaks.
    const truncated = await connect();
    truncated.socket.write(encodeRequest({ id: 5, op: WireOp.Put, key: Buffer.from('t'), value: Buffer.from('v') }).subarray(0, 11));
    await new Promise((r) => setTimeout(r, 50));
    truncated.close();

    stop = true;
    expect(await worker).toBeGreaterThan(0);
    expect((await good.request(WireOp.Get, 'w0')).status).toBe(WireStatus.Ok);
    expect(good.closed).toBe(false);
    expect(logLines).toHaveLength(4);
    expect(logLines.every((l) => !l.includes('\n') && l.startsWith('hermitkv-proxy: closed client'))).toBe(true);
    expect(server.stats()['ipc.droppedClients']).toBe(4);
  });

  test('close() answers the requests in flight, then removes the socket', async () => {
    const client = await connect();
    engine.hold('late');
    const late = client.send(WireOp.Put, 'late', 'v');
    await new Promise((r) => setTimeout(r, 20));
    const closing = server.close();
    setTimeout(() => engine.release('late'), 50);
    expect((await late.response).status).toBe(WireStatus.Ok);
    await closing;
    await client.whenClosed();
    expect(() => statSync(socketPath)).toThrow();
  });

  test('a scan batch queued behind a stuck write on a key in its range gets IoError in time and never runs', async () => {
    await restartWithRequestTimeout(300);
    engine.hold('m-slow');
    const client = await connect();
    const started = performance.now();
    const write = client.request(WireOp.Put, 'm-slow', 'running');
    const scan = client.request(WireOp.Scan, 'm', encodeScanParams({ capacity: SCAN_MIN_BATCH, end: Buffer.from('n'), after: false }));
    const outside = client.request(WireOp.Scan, 'a', encodeScanParams({ capacity: SCAN_MIN_BATCH, end: Buffer.from('b'), after: false }));
    expect((await outside).status).toBe(WireStatus.Ok); // a range without the stuck key is not held up
    const [w, sc] = await Promise.all([write, scan]);
    const took = performance.now() - started;
    expect([w.status, sc.status]).toEqual([WireStatus.IoError, WireStatus.IoError]);
    expect(sc.value.toString()).toMatch(/no answer within 300 ms/);
    expect(took).toBeLessThan(1000);
    engine.release('m-slow');
    await client.request(WireOp.Get, 'm-slow');
    const stats = JSON.parse((await client.request(WireOp.Stats, '')).value.toString('utf8')) as Record<string, number>;
    expect(stats['ipc.timedOut']).toBe(2);
    expect(stats['ipc.expiredUnrun']).toBe(1); // the scan
    expect(stats['ipc.scan']).toBe(1); // only the other range's batch ran
  });

  test('a request unanswered within requestTimeoutMs gets IoError; one still queued then is never run', async () => {
    await restartWithRequestTimeout(300);
    engine.hold('slow');
    const client = await connect();
    const started = performance.now();
    const first = client.request(WireOp.Put, 'slow', 'running');
    const second = client.request(WireOp.Put, 'slow', 'queued');
    const other = client.request(WireOp.Put, 'fast', 'free');
    expect((await other).status).toBe(WireStatus.Ok);
    const [a, b] = await Promise.all([first, second]);
    const took = performance.now() - started;
    expect([a.status, b.status]).toEqual([WireStatus.IoError, WireStatus.IoError]);
    expect(a.value.toString()).toMatch(/no answer within 300 ms .*may or may not take effect/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1000);
    engine.release('slow');
    // The running one completes later (IoError allows it); the queued one never runs.
    expect((await client.request(WireOp.Get, 'slow')).value.toString()).toBe('running');
    expect(engine.applied).toEqual(['fast=free', 'slow=running']);
    const stats = JSON.parse((await client.request(WireOp.Stats, '')).value.toString('utf8')) as Record<string, number>;
    expect(stats['ipc.timedOut']).toBe(2);
    expect(stats['ipc.expiredUnrun']).toBe(1);
  });
});
