/**
 * The object engine against the embedded S3 endpoint over HTTP (a real s3rver process).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { ObjectEngine } from '../src/engine/objectEngine.js';
import { CorruptObjectError, decodeObject, encodeObject } from '../src/engine/objectFormat.js';
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
    for (const name of ours) expect(name).toMatch(new RegExp(`^${prefix}o/[0-9a-f]{64}$`));
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
