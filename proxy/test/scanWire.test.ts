/**
 * SCAN on the wire: the parameter and batch formats, the server's per-key ordering for a range
 * request, and many resumed scans over a real socket checked against a model after random
 * puts, overwrites and deletes (memory engine, and the log engine over the embedded endpoint).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { BrokenEngine } from '../src/engine/brokenEngine.js';
import type { Engine } from '../src/engine/engine.js';
import { MemoryEngine } from '../src/engine/memoryEngine.js';
import { WireOp, WireStatus, ProtocolError } from '../src/ipc/protocol.js';
import { IpcServer } from '../src/ipc/server.js';
import {
  SCAN_BATCH_KEYS,
  SCAN_MAX_BATCH,
  SCAN_MIN_BATCH,
  ScanBatchWriter,
  decodeScanBatch,
  decodeScanParams,
  encodeScanParams,
  scanEntryBytes,
  type ScanEntry,
} from '../src/ipc/scanWire.js';
import { openLogEngine } from '../src/log/logEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { tempDir, uniquePrefix } from './support/env.js';
import { ScriptedEngine } from './support/scriptedEngine.js';
import { WireClient } from './support/wireClient.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Runs fn with a server over engine on a fresh socket, and a connected client. */
async function withServer(engine: Engine, fn: (client: WireClient) => Promise<void>): Promise<void> {
  const dir = tempDir('scanwire');
  const server = await IpcServer.start({ socketPath: path.join(dir, 'proxy.sock'), engine, log: () => undefined });
  const client = await WireClient.connect(server.socketPath);
  try {
    await fn(client);
  } finally {
    client.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One SCAN request, decoded. */
async function scanBatch(client: WireClient, start: Buffer, end: Buffer | undefined, after: boolean, capacity: number): Promise<{ entries: ScanEntry[]; more: boolean }> {
  const res = await client.request(WireOp.Scan, start, encodeScanParams({ capacity, after, end }));
  if (res.status !== WireStatus.Ok) throw new Error(`scan failed: ${res.status} ${res.value.toString('utf8')}`);
  expect(res.value.length).toBeLessThanOrEqual(capacity);
  return decodeScanBatch(res.value);
}

/** What the guest driver does: batches, each resumed after the previous batch's last key. */
async function scanAll(client: WireClient, start: Buffer, end: Buffer | undefined, capacity: number): Promise<{ entries: ScanEntry[]; batches: number }> {
  const entries: ScanEntry[] = [];
  let from = start;
  let after = false;
  for (let batches = 1; ; batches++) {
    const batch = await scanBatch(client, from, end, after, capacity);
    entries.push(...batch.entries.map((e) => ({ key: Buffer.from(e.key), value: Buffer.from(e.value) })));
    if (!batch.more) return { entries, batches };
    expect(batch.entries.length).toBeGreaterThan(0);
    from = entries[entries.length - 1]!.key;
    after = true;
  }
}

describe('scan wire formats', () => {
  test('parameters round-trip and bad ones are refused', () => {
    for (const p of [
      { capacity: SCAN_MIN_BATCH, after: false, end: undefined },
      { capacity: SCAN_MAX_BATCH, after: true, end: Buffer.alloc(0) },
      { capacity: 9000, after: false, end: Buffer.alloc(1024, 0xff) },
    ]) {
      expect(decodeScanParams(encodeScanParams(p))).toEqual(p);
    }
    const good = encodeScanParams({ capacity: SCAN_MIN_BATCH, after: false, end: b('z') });
    const bad = (f: (x: Buffer) => void): Buffer => {
      const x = Buffer.from(good);
      f(x);
      return x;
    };
    expect(() => decodeScanParams(good.subarray(0, 7))).toThrow(ProtocolError);
    expect(() => decodeScanParams(bad((x) => x.writeUInt32LE(SCAN_MIN_BATCH - 1, 0)))).toThrow(/capacity/);
    expect(() => decodeScanParams(bad((x) => x.writeUInt32LE(SCAN_MAX_BATCH + 1, 0)))).toThrow(/capacity/);
    expect(() => decodeScanParams(bad((x) => x.writeUInt8(4, 4)))).toThrow(/flags/);
    expect(() => decodeScanParams(bad((x) => x.writeUInt8(1, 6)))).toThrow(/reserved/);
    expect(() => decodeScanParams(bad((x) => x.writeUInt8(0, 4)))).toThrow(/end key bytes/);
    expect(() => decodeScanParams(Buffer.concat([encodeScanParams({ capacity: SCAN_MIN_BATCH, after: false, end: Buffer.alloc(1024) }), b('x')]))).toThrow(/exceeds/);
  });

  test('a batch keeps to its capacity and key cap, and decodes to what was added', () => {
    const writer = new ScanBatchWriter(SCAN_MIN_BATCH);
    expect(writer.add(Buffer.alloc(1024, 1), Buffer.alloc(4096, 2))).toBe(true); // the largest entry fits a minimal batch
    expect(writer.add(b('k'), b('v'))).toBe(false);
    expect(decodeScanBatch(writer.finish(true))).toEqual({ entries: [{ key: Buffer.alloc(1024, 1), value: Buffer.alloc(4096, 2) }], more: true });

    const many = new ScanBatchWriter(SCAN_MAX_BATCH);
    let n = 0;
    while (many.add(b(`k${String(n).padStart(5, '0')}`), b('v'))) n++;
    expect(n).toBe(SCAN_BATCH_KEYS);
    const batch = many.finish(false);
    expect(batch.length).toBe(8 + n * scanEntryBytes(6, 1));
    expect(decodeScanBatch(batch).entries).toHaveLength(n);
  });

  test('a malformed batch is refused', () => {
    const w = new ScanBatchWriter(SCAN_MIN_BATCH);
    w.add(b('a'), b('1'));
    w.add(b('b'), b('2'));
    const good = w.finish(false);
    const bad = (f: (x: Buffer) => void): Buffer => {
      const x = Buffer.from(good);
      f(x);
      return x;
    };
    expect(() => decodeScanBatch(good.subarray(0, 4))).toThrow(/header/);
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(3, 0)))).toThrow(/past the batch/);
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(1, 0)))).toThrow(/after its last entry/);
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(2, 4)))).toThrow(/flags/);
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(0, 12)))).toThrow(/lengths/); // empty value
    expect(() => decodeScanBatch(bad((x) => x.writeUInt8(0x62, 16)))).toThrow(/ascending/); // "b", "b"
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(4000, 8)))).toThrow(/lengths/);
    expect(() => decodeScanBatch(bad((x) => x.writeUInt32LE(100, 8)))).toThrow(/past the batch/);
  });
});

describe('SCAN in the IPC server', () => {
  test('a scan batch waits for writes in its range that arrived before it, not for others', async () => {
    const engine = new ScriptedEngine();
    await withServer(engine, async (client) => {
      await client.request(WireOp.Put, 'a', 'old');
      engine.hold('m');
      engine.hold('zz');
      const inRange = client.request(WireOp.Put, 'm', 'new');
      const outside = client.request(WireOp.Put, 'zz', 'held');
      const scan = scanBatch(client, b('a'), b('z'), false, SCAN_MIN_BATCH);
      // The put on m is held: the scan cannot have run yet; releasing m lets it run and see m.
      engine.release('m');
      const batch = await scan; // answered while zz is still held: the scan did not wait for it
      expect(batch.entries.map((e) => `${e.key.toString('latin1')}=${e.value.toString('latin1')}`)).toEqual(['a=old', 'm=new']);
      expect(batch.more).toBe(false);
      expect((await inRange).status).toBe(WireStatus.Ok);
      engine.release('zz');
      expect((await outside).status).toBe(WireStatus.Ok);
    });
  });

  test('bad parameters get Invalid; an engine without scan gets Invalid; the connection lives on', async () => {
    await withServer(new BrokenEngine(), async (client) => {
      const unsupported = await client.request(WireOp.Scan, '', encodeScanParams({ capacity: SCAN_MIN_BATCH, after: false, end: undefined }));
      expect(unsupported.status).toBe(WireStatus.Invalid);
      expect(unsupported.value.toString('utf8')).toMatch(/does not support range scans/);
      const tooSmall = await client.request(WireOp.Scan, '', encodeScanParams({ capacity: 100, after: false, end: undefined }));
      expect(tooSmall.status).toBe(WireStatus.Invalid);
      expect(tooSmall.value.toString('utf8')).toMatch(/capacity 100/);
      expect((await client.request(WireOp.Put, 'k', 'v')).status).toBe(WireStatus.Ok);
    });
  });
});

/** A seeded xorshift generator: the same keys every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

function randomKey(r: () => number): Buffer {
  const n = Math.floor(r() * 12); // the empty key too
  return Buffer.from(Array.from({ length: n }, () => (r() < 0.5 ? 0x61 + Math.floor(r() * 4) : Math.floor(r() * 256))));
}

/** Random puts, overwrites and deletes through the wire, checked by resumed scans against a model. */
async function checkAgainstModel(engine: Engine, seed: number): Promise<void> {
  const r = rng(seed);
  const model = new Map<string, Buffer>();
  await withServer(engine, async (client) => {
    // Two rounds: the second round's puts (only puts: a delete alone may make an engine drop a
    // cached view) land after scans have run; an engine that keeps a sorted view between scans
    // must notice the new keys.
    for (const [writesThisRound, deleteShare] of [[2500, 0.2], [500, 0]] as const) {
      // Concurrent writes, but each key's writes in order: per-key ordering keeps the model exact.
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < writesThisRound; i++) {
        const key = randomKey(r);
        const k = key.toString('latin1');
        if (r() < deleteShare) {
          model.delete(k);
          writes.push(client.request(WireOp.Delete, key));
        } else {
          const value = Buffer.alloc(r() < 0.03 ? 1 + Math.floor(r() * 4096) : 1 + Math.floor(r() * 40), i % 251);
          model.set(k, value);
          writes.push(client.request(WireOp.Put, key, value));
        }
      }
      for (const res of (await Promise.all(writes)) as { status: WireStatus }[]) expect(res.status).toBe(WireStatus.Ok);

      const sorted = [...model.keys()].sort();
      const expected = (start: Buffer, end: Buffer | undefined): string[] =>
        sorted.filter((k) => k >= start.toString('latin1') && (end === undefined || k < end.toString('latin1')));
      const show = (entries: ScanEntry[]): string[] => entries.map((e) => e.key.toString('latin1'));

      const full = await scanAll(client, Buffer.alloc(0), undefined, SCAN_MIN_BATCH);
      expect(show(full.entries)).toEqual(sorted);
      for (const e of full.entries) expect(e.value.equals(model.get(e.key.toString('latin1'))!)).toBe(true);
      expect(full.batches).toBeGreaterThan(2);

      for (let i = 0; i < 40; i++) {
        const start = randomKey(r);
        const end = r() < 0.25 ? undefined : r() < 0.1 ? start : randomKey(r);
        const capacity = r() < 0.5 ? SCAN_MIN_BATCH : SCAN_MIN_BATCH + Math.floor(r() * (SCAN_MAX_BATCH - SCAN_MIN_BATCH));
        const got = await scanAll(client, start, end, capacity);
        expect(show(got.entries)).toEqual(expected(start, end));
      }
    }
  });
}

describe('resumed scans over the wire against a model', () => {
  let dataDir: string;
  let endpoint: EmbeddedEndpoint;
  let store: ObjectStore;

  beforeAll(async () => {
    dataDir = tempDir('scanwire-s3');
    endpoint = await startEmbeddedEndpoint({ dataDir });
    store = new ObjectStore({ bucket: 'hermitkv-test', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
    await store.ensureBucket();
  });

  afterAll(async () => {
    store?.close();
    await endpoint?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('memory engine', async () => {
    await checkAgainstModel(new MemoryEngine(), 7);
  });

  test('log engine', async () => {
    const engine = await openLogEngine({ store, prefix: uniquePrefix('scanwire') });
    try {
      await checkAgainstModel(engine, 11);
    } finally {
      await engine.close();
    }
  });
});
