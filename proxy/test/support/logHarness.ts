/**
 * What log engine tests share: the embedded S3 endpoint (a real s3rver process) started once per
 * test file with one bucket, fresh stores and engines on it, and everything closed at the end.
 * "Reopen" means a fresh store and engine on the same prefix, which see only what is in S3;
 * "abandon" drops an engine without closing it, as a SIGKILL would.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { rmSync } from 'node:fs';
import { openLogEngine, type LogEngine, type LogEngineOptions } from '../../src/log/logEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../src/s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../../src/s3/embeddedEndpoint.js';
import { ObjectStore } from '../../src/s3/objectStore.js';
import { tempDir } from './env.js';

export interface LogHarness {
  /** The endpoint's URL (valid once the file's tests run). */
  url(): string;
  newStore(): ObjectStore;
  /** A fresh engine on prefix; defaults first, then options; store: a fresh one unless given. */
  open(prefix: string, options?: Partial<LogEngineOptions>, store?: ObjectStore): Promise<LogEngine>;
  abandon(engine: LogEngine): void;
  /** Keeps store to be closed at the end (a store a test built itself). */
  track(store: ObjectStore): void;
}

/** Registers beforeAll/afterAll; call at the top of a test file. */
export function useLogHarness(bucket: string, defaults: Partial<LogEngineOptions> = {}): LogHarness {
  let dataDir: string;
  let endpoint: EmbeddedEndpoint | undefined;
  const stores: ObjectStore[] = [];
  const engines: LogEngine[] = [];

  const newStore = (): ObjectStore => {
    const store = new ObjectStore({ bucket, endpoint: endpoint!.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    dataDir = tempDir(bucket);
    endpoint = await startEmbeddedEndpoint({ dataDir });
    await newStore().ensureBucket();
  });

  afterAll(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    for (const s of stores) s.close();
    await endpoint?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    url: () => endpoint!.url,
    newStore,
    async open(prefix, options = {}, store = newStore()) {
      const engine = await openLogEngine({ store, prefix, ...defaults, ...options });
      engines.push(engine);
      return engine;
    },
    abandon(engine) {
      engines.splice(engines.indexOf(engine), 1);
    },
    track(store) {
      stores.push(store);
    },
  };
}
