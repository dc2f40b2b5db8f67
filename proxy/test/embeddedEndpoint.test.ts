/** The embedded S3 endpoint as its own process: standalone mode and listings past 1,000 keys. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { tempDir } from './support/env.js';

let dataDir: string;
let endpoint: EmbeddedEndpoint;
let store: ObjectStore;

beforeAll(async () => {
  dataDir = tempDir('endpoint');
  // Standalone: it would outlive this process (crash tests rely on that); stop() still ends it.
  endpoint = await startEmbeddedEndpoint({ dataDir, detached: true });
  store = new ObjectStore({ bucket: 'listing', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  await store.ensureBucket();
});

afterAll(async () => {
  store?.close();
  await endpoint?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded endpoint', () => {
  test('lists more than 1,000 objects (paginated ListObjectsV2 needs the legacy OpenSSL provider)', async () => {
    const names = Array.from({ length: 1010 }, (_, i) => `p/${String(i).padStart(5, '0')}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < names.length) await store.put(names[next++]!, Buffer.from('x'));
      }),
    );
    const listed: string[] = [];
    for await (const obj of store.list('p/')) listed.push(obj.name);
    expect(listed).toEqual(names);
    const after: string[] = [];
    for await (const obj of store.list('p/', 'p/01000')) after.push(obj.name);
    expect(after).toEqual(names.slice(1001));
    expect(store.stats()['s3.list']).toBe(2 + 1);
  });

  test('stop() ends a standalone endpoint', async () => {
    const other = await startEmbeddedEndpoint({ dataDir, detached: true });
    expect((await fetch(other.url)).status).toBe(200);
    await other.stop();
    await expect(fetch(other.url)).rejects.toThrow();
  });
});
