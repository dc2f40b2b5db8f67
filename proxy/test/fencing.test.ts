/**
 * Writer fencing (proxy/src/log/fencing.ts) against the embedded S3 endpoint over HTTP: a second
 * log engine on the same bucket and prefix fences the first, which stops; nothing the first
 * acknowledged is lost, also when it is fenced in the middle of a concurrent write load. And the
 * startup probe tells an endpoint that honours conditional creates from one that ignores them.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { FencedError, probeConditionalWrites } from '../src/log/fencing.js';
import { openLogEngine, type LogEngine } from '../src/log/logEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../src/s3/objectStore.js';
import { tempDir, uniquePrefix } from './support/env.js';

const BUCKET = 'hermitkv-fencing';
let dataDir: string;
let endpoint: EmbeddedEndpoint;
let plain: EmbeddedEndpoint;
const stores: ObjectStore[] = [];
const engines: LogEngine[] = [];

beforeAll(async () => {
  dataDir = tempDir('fencing');
  endpoint = await startEmbeddedEndpoint({ dataDir: `${dataDir}/a` });
  plain = await startEmbeddedEndpoint({ dataDir: `${dataDir}/b`, ignoreConditionalWrites: true });
  await newStore().ensureBucket();
  await newStore(plain).ensureBucket();
});

afterAll(async () => {
  for (const e of engines) await e.close().catch(() => undefined);
  for (const s of stores) s.close();
  await endpoint?.stop();
  await plain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function newStore(at: EmbeddedEndpoint = endpoint): ObjectStore {
  const store = new ObjectStore({ bucket: BUCKET, endpoint: at.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  stores.push(store);
  return store;
}

async function open(prefix: string, at: EmbeddedEndpoint = endpoint, log: (line: string) => void = () => {}): Promise<LogEngine> {
  const engine = await openLogEngine({ store: newStore(at), prefix, log });
  engines.push(engine);
  return engine;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('writer fencing', () => {
  test('the startup probe tells an endpoint with conditional creates from one without, and says what is in force', async () => {
    expect(await probeConditionalWrites(newStore(), 'probe-a/')).toBe('honoured');
    expect(await probeConditionalWrites(newStore(plain), 'probe-b/')).toBe('ignored');
    const on = await open(uniquePrefix('notice-on'));
    expect(on.notices()).toEqual([expect.stringMatching(/^writer fencing: on \(epoch 1;/)]);
    const off = await open(uniquePrefix('notice-off'), plain);
    expect(off.notices()).toEqual([expect.stringMatching(/^writer fencing: OFF .* not stopped/)]);
    expect(off.stats()['log.conditionalWrites']).toBe(0);
  });

  test('a second writer fences the first, which stops; nothing the first acknowledged is lost', async () => {
    const prefix = uniquePrefix('fence');
    const lines: string[] = [];
    const first = await open(prefix, endpoint, (l) => lines.push(l));
    await Promise.all(Array.from({ length: 200 }, (_, i) => first.put(b(`k${i}`), b(`first-${i}`))));
    await first.delete(b('k7'));

    const second = await open(prefix);
    expect(second.writer.epoch).toBe(first.writer.epoch + 1);
    // The first writer's next write lands on a segment number the second one took: it stops.
    await expect(first.put(b('k1'), b('stale'))).rejects.toThrow(/segment .* may or may not have been stored/);
    await expect(first.put(b('k2'), b('stale'))).rejects.toThrow(FencedError);
    await expect(first.get(b('k3'))).rejects.toThrow(/fenced: a newer writer \(epoch 2\)/);
    expect(first.stats()['log.fenced']).toBe(1);
    expect(lines).toEqual([expect.stringMatching(/fenced: a newer writer \(epoch 2\) opened this prefix; this one \(epoch 1\) has stopped/)]);

    for (let i = 0; i < 200; i++) expect(await second.get(b(`k${i}`))).toEqual(i === 7 ? undefined : b(`first-${i}`));
    await second.put(b('k1'), b('second'));
    await second.close();
    const third = await open(prefix);
    expect(await third.get(b('k1'))).toEqual(b('second'));
    expect(await third.get(b('k2'))).toEqual(b('first-2'));
    expect(await third.get(b('k7'))).toBeUndefined();
  });

  test('fenced in the middle of a concurrent write load: every acknowledged write survives, none after the fence', async () => {
    const prefix = uniquePrefix('fence-load');
    const first = await open(prefix);
    const writers = 16;
    const acked = new Map<string, number>(); // key -> last acknowledged counter
    const attempted = new Map<string, number>(); // key -> last attempted counter
    let fenced = 0;
    const load = Array.from({ length: writers }, async (_, w) => {
      for (let n = 1; ; n++) {
        const key = `w${w}-${n % 10}`;
        attempted.set(key, n);
        try {
          await first.put(b(key), b(String(n)));
          acked.set(key, n);
        } catch (err) {
          if (err instanceof FencedError || (err instanceof Error && err.cause instanceof FencedError)) {
            fenced++;
            return;
          }
          throw err;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const second = await open(prefix);
    await Promise.all(load);
    expect(fenced).toBe(writers);
    expect(acked.size).toBeGreaterThan(0);
    // What the second writer sees: for each key, the last acknowledged value, or the one attempted
    // after it (a write whose segment failed may have landed) — never anything older.
    for (const [key, n] of acked) {
      const got = Number((await second.get(b(key)))?.toString());
      expect([key, got === n || got === attempted.get(key)]).toEqual([key, true]);
    }
  });
});
