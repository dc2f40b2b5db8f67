/**
 * The object engine against the embedded S3 endpoint over HTTP (a real s3rver process).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { ObjectEngine } from '../src/engine/objectEngine.js';
import { CorruptObjectError, decodeObject, encodeObject } from '../src/engine/objectFormat.js';
import { DIRECT_KEY_BYTES, objectName, parseObjectName } from '../src/engine/objectNames.js';
import { claimObjectPrefix } from '../src/engine/objectPrefix.js';
import { PrefixClaimError, encodeMarker, readMarker } from '../src/log/marker.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { tempDir, uniquePrefix } from './support/env.js';

const BUCKET = 'hermitkv-test';
let dataDir: string;
let endpoint: EmbeddedEndpoint;
let store: ObjectStore;
let engine: ObjectEngine;
const prefix = uniquePrefix('object');

beforeAll(async () => {
  dataDir = tempDir('objectengine');
  endpoint = await startEmbeddedEndpoint({ dataDir });
  store = new ObjectStore({ bucket: BUCKET, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  await store.ensureBucket();
  engine = new ObjectEngine({ store, prefix });
});

afterAll(async () => {
  await engine?.close();
  store?.close();
  await endpoint?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('object engine', () => {
  test('put, get, overwrite, delete, delete of an absent key', async () => {
    expect(await engine.get(b('k1'))).toBeUndefined();
    await engine.put(b('k1'), b('one'));
    expect(await engine.get(b('k1'))).toEqual(b('one'));
    await engine.put(b('k1'), b('two'));
    expect(await engine.get(b('k1'))).toEqual(b('two'));
    await engine.delete(b('k1'));
    expect(await engine.get(b('k1'))).toBeUndefined();
    await expect(engine.delete(b('never-there'))).resolves.toBeUndefined();
  });

  test('empty key and empty value', async () => {
    await engine.put(Buffer.alloc(0), b('for the empty key'));
    expect(await engine.get(Buffer.alloc(0))).toEqual(b('for the empty key'));
    await engine.put(b('empty-value'), Buffer.alloc(0));
    expect(await engine.get(b('empty-value'))).toEqual(Buffer.alloc(0));
  });

  test('a 1024-byte key with every byte value, and a 4096-byte binary value', async () => {
    const key = Buffer.alloc(1024, 0);
    for (let i = 0; i < key.length; i++) key[i] = i % 256;
    const value = Buffer.alloc(4096, 0);
    for (let i = 0; i < value.length; i += 3) value[i] = (i * 7) % 256; // many zero bytes between
    await engine.put(key, value);
    expect((await engine.get(key))!.equals(value)).toBe(true);
    // A key differing in one byte is another key.
    const other = Buffer.from(key);
    other[1023] = 0;
    expect(await engine.get(other)).toBeUndefined();
  });

  test('path-like keys stay under the prefix', async () => {
    const keys = ['../x', '../../../etc/passwd', 'a//b', '%2F', '/', '.', '..', 'a/../b', '\u0000\u0001', '\uffff'];
    for (const k of keys) await engine.put(b(k), b(`v:${k}`));
    for (const k of keys) expect(await engine.get(b(k))).toEqual(b(`v:${k}`));
    let count = 0;
    for await (const obj of store.list('')) {
      count++;
      expect(obj.name.startsWith(prefix)).toBe(true); // this file's bucket: nothing escaped the prefix
    }
    const ours: string[] = [];
    for await (const obj of store.list(prefix)) ours.push(obj.name);
    expect(count).toBeGreaterThanOrEqual(keys.length);
    for (const k of keys) expect(ours).toContain(engine.objectName(b(k)));
    for (const name of ours) expect(name).toMatch(new RegExp(`^${prefix}k/[0-9a-f~/-]+$`));
  });

  test('a corrupted object is reported, never returned', async () => {
    const key = b('will-be-corrupted');
    await engine.put(key, b('good value'));
    const name = engine.objectName(key);

    await store.put(name, Buffer.from('garbage that is not an object'));
    await expect(engine.get(key)).rejects.toThrow(CorruptObjectError);

    // A well-formed object holding another key under this key's name is corruption too.
    await store.put(name, encodeObject(b('some other key'), b('other value')));
    await expect(engine.get(key)).rejects.toThrow(/different key/);

    // One flipped bit in the value fails the checksum.
    const body = encodeObject(key, b('good value'));
    body[body.length - 1]! ^= 1;
    await store.put(name, body);
    await expect(engine.get(key)).rejects.toThrow(/checksum/);
    expect(engine.stats()['engine.corrupt']).toBe(3);

    // The next put repairs it.
    await engine.put(key, b('fresh'));
    expect(await engine.get(key)).toEqual(b('fresh'));
  });

  test('counts S3 requests and bytes', async () => {
    const before = engine.stats();
    await engine.put(b('counted'), b('12345'));
    await engine.get(b('counted'));
    const after = engine.stats();
    expect(after['s3.put']! - before['s3.put']!).toBe(1);
    expect(after['s3.get']! - before['s3.get']!).toBe(1);
    expect(after['s3.bytesOut']! - before['s3.bytesOut']!).toBe(20 + 7 + 5);
  });
});

describe('object engine range scans', () => {
  const long = (head: string, tail: string): Buffer => Buffer.concat([Buffer.alloc(DIRECT_KEY_BYTES, head), b(tail)]);

  test('names sort as their keys do, and say their key', () => {
    const keys = [
      Buffer.alloc(0),
      b('a'),
      b('a\u0000'),
      b('ab'),
      Buffer.from([0x7f]),
      Buffer.from([0x80]),
      Buffer.from([0xff, 0xff]),
      Buffer.alloc(100, 'q'), // the body's segment boundary
      Buffer.alloc(DIRECT_KEY_BYTES, 'q'),
      long('q', 'x'),
      long('q', 'y'),
      Buffer.concat([Buffer.alloc(DIRECT_KEY_BYTES - 1, 'q'), b('r')]),
      Buffer.alloc(1024, 0xff),
    ].sort(Buffer.compare);
    const names = keys.map((k) => objectName(prefix, k));
    for (let i = 1; i < keys.length; i++) {
      // long('q', …) keys are ordered by hash within their group: only compare them with others
      const bothLong = keys[i]!.length > DIRECT_KEY_BYTES && keys[i - 1]!.length > DIRECT_KEY_BYTES && keys[i]!.subarray(0, 200).equals(keys[i - 1]!.subarray(0, 200));
      if (!bothLong) expect(Buffer.compare(Buffer.from(names[i - 1]!), Buffer.from(names[i]!))).toBe(-1);
    }
    for (const name of names) {
      expect(Buffer.byteLength(name) - prefix.length).toBeLessThanOrEqual(470);
      for (const segment of name.slice(prefix.length).split('/')) expect(segment.length).toBeLessThanOrEqual(200);
    }
    expect(parseObjectName(prefix, objectName(prefix, b('ab')))).toEqual({ kind: 'direct', key: b('ab') });
    expect(parseObjectName(prefix, objectName(prefix, long('q', 'x'))).kind).toBe('long');
    expect(() => parseObjectName(prefix, `${prefix}k/abc-`)).toThrow(CorruptObjectError);
    expect(() => parseObjectName(prefix, `${prefix}k/ab`)).toThrow(/terminator/);
  });

  test('scans ranges in key order with newest values, long keys and groups included', async () => {
    const scanPrefix = `${prefix}scan/`;
    const e = new ObjectEngine({ store, prefix: scanPrefix, scanConcurrency: 4 });
    const model = new Map<string, Buffer>();
    const put = async (key: Buffer, value: Buffer): Promise<void> => {
      await e.put(key, value);
      model.set(key.toString('latin1'), value);
    };
    const keys: Buffer[] = [Buffer.alloc(0), b('a'), b('ab'), Buffer.from([0x80]), Buffer.from([0xff]), Buffer.alloc(DIRECT_KEY_BYTES, 'm')];
    for (const t of ['', 'a', 'b', 'c', 'zz', '\u00ff']) keys.push(long('m', t));
    keys.push(long('m', '').subarray(0, DIRECT_KEY_BYTES - 1), long('n', 'x'), Buffer.alloc(1024, 0xff));
    for (let i = 0; i < 60; i++) keys.push(b(`k${String(i).padStart(3, '0')}`));
    await Promise.all(keys.map((k, i) => put(k, b(`v${i}`))));
    await put(b('k010'), b('overwritten'));
    await e.delete(b('k011'));
    model.delete('k011');
    await e.delete(long('m', 'b'));
    model.delete(long('m', 'b').toString('latin1'));

    const sorted = [...model.keys()].sort();
    const scan = async (start: Buffer, end: Buffer | undefined, stopAfter = Infinity): Promise<string[]> => {
      const seen: string[] = [];
      const n = await e.scan(start, end, (k, v) => {
        expect(v.equals(model.get(k.toString('latin1'))!)).toBe(true);
        seen.push(k.toString('latin1'));
        return seen.length < stopAfter;
      }, { batchKeys: 7 });
      expect(n).toBe(seen.length);
      return seen;
    };
    const want = (start: Buffer, end?: Buffer): string[] => sorted.filter((k) => k >= start.toString('latin1') && (end === undefined || k < end.toString('latin1')));
    expect(await scan(Buffer.alloc(0), undefined)).toEqual(sorted);
    const bounds = [Buffer.alloc(0), b('k05'), Buffer.alloc(DIRECT_KEY_BYTES, 'm'), long('m', 'b'), long('m', 'zz'), long('n', ''), Buffer.from([0xff])];
    for (const start of bounds) {
      for (const end of [undefined, ...bounds]) expect(await scan(start, end)).toEqual(want(start, end));
    }
    expect(await scan(b('k'), undefined, 3)).toEqual(want(b('k')).slice(0, 3));
  });

  test('a format-1 prefix (hashed names) is refused with a clear error, marked or not', async () => {
    const unmarked = `${prefix}v1-unmarked/`;
    await store.put(`${unmarked}o/${'ab'.repeat(32)}`, encodeObject(b('k'), b('v')));
    await expect(claimObjectPrefix(store, unmarked)).rejects.toThrow(PrefixClaimError);
    await expect(claimObjectPrefix(store, unmarked)).rejects.toThrow(/format version 1 .*cannot be listed in key order/);
    const marked = `${prefix}v1-marked/`;
    await store.put(`${marked}ENGINE`, encodeMarker({ engine: 'object', formatVersion: 1 }));
    await expect(claimObjectPrefix(store, marked)).rejects.toThrow(/format version 1/);
    const fresh = `${prefix}v2/`;
    await claimObjectPrefix(store, fresh);
    expect(await readMarker(store, fresh)).toEqual({ engine: 'object', formatVersion: 2 });
  });
});

describe('object format', () => {
  test('round trip and strict checks', () => {
    const body = encodeObject(b('key'), b('value'));
    expect(body.subarray(0, 4).toString('latin1')).toBe('HKVO');
    const { key, value } = decodeObject(body);
    expect(key).toEqual(b('key'));
    expect(value).toEqual(b('value'));
    expect(() => decodeObject(body.subarray(0, body.length - 1))).toThrow(/lengths/);
    expect(() => decodeObject(Buffer.concat([body, Buffer.alloc(1)]))).toThrow(/lengths/);
    expect(() => decodeObject(Buffer.alloc(10))).toThrow(/shorter/);
    const badVersion = Buffer.from(body);
    badVersion[4] = 9;
    expect(() => decodeObject(badVersion)).toThrow(/version/);
  });
});

describe('object store errors', () => {
  test('a missing bucket is an error with a one-line message, not "absent"', async () => {
    const other = new ObjectStore({ bucket: 'no-such-bucket', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
    try {
      expect(await other.checkBucket()).toBe(false);
      await expect(other.get('x')).rejects.toThrow('S3 GET x failed: 404 NoSuchBucket');
    } finally {
      other.close();
    }
  });
});
