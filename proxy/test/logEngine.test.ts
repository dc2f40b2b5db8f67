/**
 * The log engine against the embedded S3 endpoint over HTTP (a real s3rver process). Every test
 * uses its own prefix; "reopen" means a fresh ObjectStore and engine on the same prefix, which
 * sees only what is in S3.
 */
import { describe, expect, test } from '@jest/globals';
import { ObjectEngine } from '../src/engine/objectEngine.js';
import { CorruptionError, segmentName } from '../src/log/format.js';
import { claimPrefix, PrefixClaimError } from '../src/log/marker.js';
import { decodeSegment } from '../src/log/segmentReader.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { ObjectStore, S3Failure, type PutOptions } from '../src/s3/objectStore.js';
import { uniquePrefix } from './support/env.js';
import { useLogHarness } from './support/logHarness.js';

const BUCKET = 'hermitkv-test';
const { url, newStore, open, abandon, track } = useLogHarness(BUCKET);

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A real store over HTTP whose next PUTs can be made to report failure after they landed. */
class FlakyStore extends ObjectStore {
  failAfterLanding = 0;
  override async put(name: string, body: Buffer, options?: PutOptions): Promise<void> {
    await super.put(name, body, options);
    if (this.failAfterLanding > 0) {
      this.failAfterLanding--;
      throw new S3Failure('PUT', name, 500, 'InternalError', 'injected after the object landed');
    }
  }
}

describe('log engine', () => {
  test('put, get, overwrite, delete, empty key and value', async () => {
    const engine = await open(uniquePrefix('log-basic'));
    expect(await engine.get(b('k'))).toBeUndefined();
    await engine.put(b('k'), b('one'));
    expect(await engine.get(b('k'))).toEqual(b('one'));
    await engine.put(b('k'), b('two'));
    expect(await engine.get(b('k'))).toEqual(b('two'));
    await engine.delete(b('k'));
    expect(await engine.get(b('k'))).toBeUndefined();
    await engine.delete(b('never-there'));
    await engine.put(Buffer.alloc(0), Buffer.alloc(0));
    expect(await engine.get(Buffer.alloc(0))).toEqual(Buffer.alloc(0));
    expect(engine.name).toBe('log');
  });

  test('group commit: 64 concurrent writers share PUTs; a lone writer gets one PUT per write', async () => {
    const engine = await open(uniquePrefix('log-group'), { checkpointEvery: 1_000_000 });
    const store = (engine as unknown as { store: ObjectStore }).store;
    const putsBefore = store.stats()['s3.put']!;
    const writers = 64;
    const perWriter = 20;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await engine.put(b(`w${w}-${i}`), Buffer.alloc(256, w));
      }),
    );
    const puts = store.stats()['s3.put']! - putsBefore;
    const writes = writers * perWriter;
    const stats = engine.stats();
    expect(puts).toBe(stats['log.segmentsWritten']);
    expect(puts).toBeLessThanOrEqual(writes / 8);
    expect(stats['log.writesPerPutMax']).toBeGreaterThanOrEqual(32);
    console.log(`group commit: ${writes} writes by ${writers} writers in ${puts} PUTs (${(puts / writes).toFixed(3)} PUTs per write, max ${stats['log.writesPerPutMax']} per PUT, flush p50 ${stats['log.flushP50Ms']} ms)`);

    const lone = store.stats()['s3.put']!;
    for (let i = 0; i < 10; i++) await engine.put(b(`lone-${i}`), b('v'));
    expect(store.stats()['s3.put']! - lone).toBe(10);
  });

  test('writes to one key take effect in call order while earlier ones are in flight (ordersWrites)', async () => {
    const prefix = uniquePrefix('log-order');
    const engine = await open(prefix);
    expect(engine.ordersWrites).toBe(true);
    const segmentsBefore = engine.stats()['log.segmentsWritten']!;
    // Called together: one batch, applied in call order.
    await Promise.all([engine.put(b('k'), b('1')), engine.delete(b('k')), engine.put(b('k'), b('2')), engine.put(b('j'), b('1'))]);
    expect(engine.stats()['log.segmentsWritten']! - segmentsBefore).toBe(1);
    expect(await engine.get(b('k'))).toEqual(b('2'));
    // Called while the previous write of the key is in its flush: the next batch, applied after.
    const first = engine.put(b('k'), b('3'));
    await new Promise((resolve) => setTimeout(resolve, 2));
    const second = engine.delete(b('j'));
    const third = engine.put(b('j'), b('4'));
    const fourth = engine.put(b('k'), b('5'));
    await Promise.all([first, second, third, fourth]);
    expect(await engine.get(b('k'))).toEqual(b('5'));
    expect(await engine.get(b('j'))).toEqual(b('4'));
    abandon(engine);
    const again = await open(prefix);
    expect(await again.get(b('k'))).toEqual(b('5'));
    expect(await again.get(b('j'))).toEqual(b('4'));
  });

  test('a size cap closes a batch early', async () => {
    const engine = await open(uniquePrefix('log-cap'), { segmentCapBytes: 10_000 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => engine.put(b(`k${i}`), Buffer.alloc(4096, i))));
    // 4,120-byte records, at most two per 10,000-byte segment (the first batch holds one).
    expect(engine.stats()['log.segmentsWritten']).toBeGreaterThanOrEqual(10);
    expect(engine.stats()['log.writesPerPutMax']).toBe(2);
    for (let i = 0; i < 20; i++) expect(await engine.get(b(`k${i}`))).toEqual(Buffer.alloc(4096, i));
  });

  test('durability before ack: the segment exists when put resolves, and no dirty reads', async () => {
    const prefix = uniquePrefix('log-durable');
    const engine = await open(prefix);
    await engine.put(b('k'), b('v1'));
    const other = newStore();
    for (let i = 0; i < 5; i++) {
      const value = b(`v${i + 2}`);
      const pending = engine.put(b('k'), value);
      // Not durable yet, so not visible: the old value is what a get returns now.
      expect(await engine.get(b('k'))).toEqual(b(`v${i + 1}`));
      await pending;
      // Resolved: the segment is in S3, checked through another client.
      const head = engine.chainHead.number;
      const body = await other.get(segmentName(prefix, head));
      expect(body).toBeDefined();
      const records = decodeSegment(body!, head).records;
      expect(records.some((r) => r.key.equals(b('k')) && r.value.equals(value))).toBe(true);
      expect(await engine.get(b('k'))).toEqual(value);
    }
    // A second engine opened right now sees the newest acknowledged value.
    const reopened = await open(prefix, { checkpointOnClose: false });
    expect(await reopened.get(b('k'))).toEqual(b('v6'));
  });

  test('1024-byte keys and 4096-byte values with every byte value, through ranged GETs', async () => {
    const prefix = uniquePrefix('log-big');
    const engine = await open(prefix);
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    for (let n = 0; n < 8; n++) {
      const key = Buffer.alloc(1024);
      for (let i = 0; i < key.length; i++) key[i] = (i + n) % 256;
      const value = Buffer.alloc(4096);
      for (let i = 0; i < value.length; i++) value[i] = (i * 7 + n) % 256;
      keys.push(key);
      values.push(value);
    }
    await Promise.all(keys.map((k, i) => engine.put(k, values[i]!)));
    for (let i = 0; i < keys.length; i++) expect((await engine.get(keys[i]!))!.equals(values[i]!)).toBe(true);
    const near = Buffer.from(keys[0]!);
    near[1023] ^= 1;
    expect(await engine.get(near)).toBeUndefined();

    // A fresh engine with no cache reads each value with one ranged GET of its record.
    const cold = await open(prefix, { cacheBytes: 0 });
    const gets = cold.stats()['s3.get']!;
    const bytesIn = cold.stats()['s3.bytesIn']!;
    for (let i = 0; i < keys.length; i++) expect((await cold.get(keys[i]!))!.equals(values[i]!)).toBe(true);
    expect(cold.stats()['log.rangedGets']).toBe(keys.length);
    expect(cold.stats()['s3.get']! - gets).toBe(keys.length);
    expect(cold.stats()['s3.bytesIn']! - bytesIn).toBe(keys.length * (21 + 1024 + 4096));

    // With a cache, the second read is a hit.
    const warm = await open(prefix);
    await warm.get(keys[0]!);
    await warm.get(keys[0]!);
    expect(warm.stats()['log.cacheHits']).toBe(1);
    expect(warm.stats()['log.rangedGets']).toBe(1);
  });

  test('tombstones stay deleted across reopen, with and without a checkpoint', async () => {
    const prefix = uniquePrefix('log-tomb');
    const engine = await open(prefix, { checkpointEvery: 3 });
    for (let i = 0; i < 10; i++) await engine.put(b(`k${i}`), b(`v${i}`));
    for (let i = 0; i < 10; i += 2) await engine.delete(b(`k${i}`));
    await engine.close(); // writes a checkpoint covering everything
    const again = await open(prefix, { checkpointOnClose: false, checkpointEvery: 1000 });
    // The head is one past the checkpoint: the fence segment written at open (fencing.ts).
    expect(again.stats()['log.recoveryCheckpoint']).toBe(again.chainHead.number - 1);
    expect(again.stats()['log.recoverySegmentsReplayed']).toBe(1);
    for (let i = 0; i < 10; i++) expect(await again.get(b(`k${i}`))).toEqual(i % 2 === 0 ? undefined : b(`v${i}`));
    // Deletes after the checkpoint: replayed from segments.
    await again.delete(b('k1'));
    await again.put(b('k0'), b('back'));
    abandon(again);
    const third = await open(prefix, { checkpointOnClose: false });
    expect(third.stats()['log.recoverySegmentsReplayed']).toBe(4); // two fences and two writes
    expect(await third.get(b('k1'))).toBeUndefined();
    expect(await third.get(b('k0'))).toEqual(b('back'));
    expect(await third.get(b('k2'))).toBeUndefined();
    expect(await third.get(b('k3'))).toEqual(b('v3'));
  });

  test('recovery matches a model after random concurrent puts, overwrites and deletes', async () => {
    const prefix = uniquePrefix('log-model');
    const engine = await open(prefix, { checkpointEvery: 7 });
    const model = new Map<string, Buffer | undefined>();
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      // Concurrent operations on distinct keys (per key order is the IPC server's job).
      const keys = new Set<number>();
      while (keys.size < 16) keys.add(random(300));
      await Promise.all(
        [...keys].map(async (k) => {
          const key = `key-${k}`;
          if (random(4) === 0) {
            await engine.delete(b(key));
            model.set(key, undefined);
          } else {
            const value = Buffer.alloc(1 + random(600), random(256));
            await engine.put(b(key), value);
            model.set(key, value);
          }
        }),
      );
    }
    const written = engine.stats()['log.segmentsWritten']!;
    await new Promise((r) => setTimeout(r, 300)); // let a background checkpoint finish
    expect(engine.stats()['log.checkpointsWritten']).toBeGreaterThan(0);
    abandon(engine);
    const again = await open(prefix, { checkpointOnClose: false });
    const s = again.stats();
    expect(s['log.recoveryCheckpoint']).toBeGreaterThan(0);
    expect(s['log.recoverySegmentsReplayed']).toBeLessThan(written);
    for (const [key, value] of model) expect(await again.get(b(key))).toEqual(value);
    // The checkpointer keeps the newest two checkpoints.
    const ckpts: string[] = [];
    for await (const o of newStore().list(`${prefix}ckpt/`)) ckpts.push(o.name);
    expect(ckpts.length).toBeLessThanOrEqual(2);
  });

  test('a failed segment PUT fails exactly its writes; if it landed after all, its number is not skipped and its writes take effect', async () => {
    const prefix = uniquePrefix('log-fail');
    const store = new FlakyStore({ bucket: BUCKET, endpoint: url(), region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
    track(store);
    const engine = await open(prefix, { checkpointOnClose: false }, store);
    await engine.put(b('k'), b('v1'));
    store.failAfterLanding = 1;
    const failed = await Promise.allSettled([engine.put(b('k'), b('v2')), engine.put(b('j'), b('x'))]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((failed[0] as PromiseRejectedResult).reason.message)).toMatch(/may or may not/);
    expect(await engine.get(b('k'))).toEqual(b('v1'));
    // The next flush tries the same number, finds the failed segment there byte for byte, takes
    // it as landed ("may or may not have taken effect": it did) and goes on at the next number.
    await engine.put(b('other'), b('o'));
    expect(engine.stats()['log.flushFailures']).toBe(1);
    expect(await engine.get(b('k'))).toEqual(b('v2'));
    expect(await engine.get(b('j'))).toEqual(b('x'));
    abandon(engine);
    const again = await open(prefix);
    expect(again.stats()['log.recoverySegmentsAbandoned']).toBe(0);
    expect(await again.get(b('k'))).toEqual(b('v2'));
    expect(await again.get(b('j'))).toEqual(b('x'));
    expect(await again.get(b('other'))).toEqual(b('o'));
    await again.put(b('k'), b('v3'));
    expect(await again.get(b('k'))).toEqual(b('v3'));
  });

  test('checksum failures are detected and reported, never returned as data', async () => {
    const prefix = uniquePrefix('log-corrupt');
    const engine = await open(prefix, { cacheBytes: 0, checkpointOnClose: false });
    await engine.put(b('a'), b('value-a'));
    const segA = engine.chainHead.number;
    await engine.put(b('b'), b('value-b'));
    const store = newStore();
    const name = segmentName(prefix, segA);
    const good = (await store.get(name))!;
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0x01; // last byte of a's value
    await store.put(name, bad);

    // The ranged GET of a's record fails its checksum: an error, counted, not the wrong bytes.
    await expect(engine.get(b('a'))).rejects.toThrow(CorruptionError);
    await expect(engine.get(b('a'))).rejects.toThrow(/segment \d+ at offset 44.*checksum/);
    expect(engine.stats()['log.corruptionDetected']).toBe(2);
    expect(await engine.get(b('b'))).toEqual(b('value-b'));

    // Recovery refuses: the damaged segment is on the chain.
    await expect(open(prefix)).rejects.toThrow(/segment \d+ is damaged.*checksum.*was written after it was durable/);

    // Damage to the newest segment is not mistaken for a torn write either.
    await store.put(name, good);
    const last = segmentName(prefix, engine.chainHead.number);
    const lastGood = (await store.get(last))!;
    const lastBad = Buffer.from(lastGood);
    lastBad[50] ^= 0x20;
    await store.put(last, lastBad);
    await expect(open(prefix)).rejects.toThrow(/damaged .* (no intact segment follows it|refusing to guess)/);

    // A truncated newest segment is what a crash during its PUT leaves: it was never
    // acknowledged, so recovery drops it and carries on.
    await store.put(last, lastGood.subarray(0, lastGood.length - 3));
    const again = await open(prefix);
    expect(again.stats()['log.recoverySegmentsAbandoned']).toBe(1);
    expect(await again.get(b('a'))).toEqual(b('value-a'));
    expect(await again.get(b('b'))).toBeUndefined();
    await again.put(b('c'), b('value-c'));
    abandon(again);
    const third = await open(prefix);
    expect(await third.get(b('c'))).toEqual(b('value-c'));
  });

  test('a damaged newest checkpoint falls back to the previous one', async () => {
    const prefix = uniquePrefix('log-ckpt-bad');
    const engine = await open(prefix, { checkpointEvery: 2 });
    for (let i = 0; i < 9; i++) {
      await engine.put(b(`k${i}`), b(`v${i}`));
      await new Promise((r) => setTimeout(r, 30));
    }
    await engine.close();
    const store = newStore();
    const ckpts: string[] = [];
    for await (const o of store.list(`${prefix}ckpt/`)) ckpts.push(o.name);
    expect(ckpts.length).toBe(2);
    const newest = ckpts[1]!;
    const body = (await store.get(newest))!;
    await store.put(newest, body.subarray(0, body.length - 1));
    const again = await open(prefix, { checkpointOnClose: false });
    expect(again.stats()['log.recoveryCheckpointsDiscarded']).toBe(1);
    expect(again.stats()['log.recoveryCheckpoint']).toBe(Number(ckpts[0]!.slice(-20)));
    for (let i = 0; i < 9; i++) expect(await again.get(b(`k${i}`))).toEqual(b(`v${i}`));
  });

  test('the engine marker: a prefix of another engine, or of a newer format, is refused', async () => {
    // Object-engine data written before markers existed.
    const legacy = uniquePrefix('log-legacy');
    const store = newStore();
    await new ObjectEngine({ store, prefix: legacy }).put(b('x'), b('y'));
    await expect(open(legacy)).rejects.toThrow(PrefixClaimError);
    await expect(open(legacy)).rejects.toThrow(/holds data of the object engine; refusing to open it with the log engine/);
    await claimPrefix(store, legacy, 'object'); // the object engine adopts it, and marks it
    await expect(open(legacy)).rejects.toThrow(/belongs to the object engine/);

    // A prefix the log engine claimed is refused to the object engine.
    const logPrefix = uniquePrefix('log-claimed');
    await (await open(logPrefix)).put(b('k'), b('v'));
    await expect(claimPrefix(store, logPrefix, 'object')).rejects.toThrow(/belongs to the log engine; refusing to open it with the object engine/);
    await claimPrefix(store, logPrefix, 'log'); // idempotent

    // A newer format of the log engine.
    const newer = uniquePrefix('log-newer');
    await claimPrefix(store, newer, 'log', 2);
    await expect(open(newer)).rejects.toThrow(/format version 2, newer than this build reads \(1\)/);
  });

  test('close flushes pending writes; later writes are refused', async () => {
    const prefix = uniquePrefix('log-close');
    const engine = await open(prefix);
    const writes = Array.from({ length: 30 }, (_, i) => engine.put(b(`k${i}`), b(`v${i}`)));
    await engine.close();
    await Promise.all(writes);
    await expect(engine.put(b('late'), b('x'))).rejects.toThrow(/closed/);
    const again = await open(prefix);
    for (let i = 0; i < 30; i++) expect(await again.get(b(`k${i}`))).toEqual(b(`v${i}`));
    expect(again.stats()['log.recoverySegmentsReplayed']).toBe(1); // the close wrote a checkpoint; then the fence
  });
});
