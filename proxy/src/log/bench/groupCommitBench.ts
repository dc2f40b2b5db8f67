/**
 * S3 PUTs per write with many concurrent writers, log engine against object engine, in one run
 * on a fresh embedded endpoint (its own process).
 *
 *   npm run build && node dist/proxy/src/log/bench/groupCommitBench.js [--writers 64] [--writes 50] [--value-size 256]
 *
 * Each of `writers` async writers puts `writes` distinct keys one after another. Prints one line
 * per engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../../engine/engine.js';
import { ObjectEngine } from '../../engine/objectEngine.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../s3/config.js';
import { startEmbeddedEndpoint } from '../../s3/embeddedEndpoint.js';
import { ObjectStore } from '../../s3/objectStore.js';
import { openLogEngine } from '../logEngine.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

async function run(label: string, engine: Engine, store: ObjectStore, writers: number, writes: number, valueSize: number): Promise<void> {
  const putsBefore = store.stats()['s3.put']!;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < writes; i++) await engine.put(Buffer.from(`w${w}-k${i}`), Buffer.alloc(valueSize, w));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const puts = store.stats()['s3.put']! - putsBefore;
  const total = writers * writes;
  const s = engine.stats();
  const flush = s['log.flushP50Ms'] === undefined ? '' : `, flush p50 ${s['log.flushP50Ms']} ms p99 ${s['log.flushP99Ms']} ms, max ${s['log.writesPerPutMax']} writes per PUT`;
  console.log(`${label}: ${writers} writers x ${writes} puts of ${valueSize} B: ${puts} S3 PUTs for ${total} writes = ${(puts / total).toFixed(4)} PUTs per write, ${(total / seconds).toFixed(0)} writes/s${flush}`);
}

async function main(): Promise<void> {
  const writers = flag('--writers', 64);
  const writes = flag('--writes', 50);
  const valueSize = flag('--value-size', 256);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-groupbench-'));
  const endpoint = await startEmbeddedEndpoint({ dataDir });
  const store = new ObjectStore({ bucket: 'hermitkv-bench', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  try {
    await store.ensureBucket();
    const log = await openLogEngine({ store, prefix: 'log/' });
    await run('log   ', log, store, writers, writes, valueSize);
    await log.close();
    await run('object', new ObjectEngine({ store, prefix: 'object/' }), store, writers, writes, valueSize);
  } finally {
    store.close();
    await endpoint.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`groupCommitBench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
