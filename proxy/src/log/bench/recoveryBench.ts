/**
 * Time-to-ready after a SIGKILL: a load process (loadMain.ts --fill) writes KEYS distinct keys
 * through the log engine on a fresh embedded endpoint, keeps overwriting for a moment, and is
 * SIGKILLed mid-load; then a fresh engine is opened on the same prefix and timed.
 *
 *   npm run build && node dist/proxy/src/log/bench/recoveryBench.js [--keys 200000] [--value-size 256] [--writers 256]
 *
 * Prints one line. The endpoint runs in its own process, as in `npm start`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../s3/config.js';
import { startEmbeddedEndpoint } from '../../s3/embeddedEndpoint.js';
import { ObjectStore } from '../../s3/objectStore.js';
import { openLogEngine } from '../logEngine.js';
import { keyFor } from './loadModel.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

async function main(): Promise<void> {
  const keys = flag('--keys', 200_000);
  const valueSize = flag('--value-size', 256);
  const writers = flag('--writers', 256);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-recoverybench-'));
  const endpoint = await startEmbeddedEndpoint({ dataDir });
  const bucket = 'hermitkv-bench';
  const prefix = 'bench/';
  try {
    const loadScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loadMain.js');
    const fillStarted = performance.now();
    let fillSeconds = 0;
    const child = spawn(
      process.execPath,
      [loadScript, '--endpoint', endpoint.url, '--bucket', bucket, '--prefix', prefix, '--fill', '--quiet', '--keys', String(keys), '--writers', String(writers), '--value-size', String(valueSize), '--delete-percent', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        if (chunk.includes('FILLED') && fillSeconds === 0) {
          fillSeconds = (performance.now() - fillStarted) / 1000;
          // Keep the load running (overwrites) a little, then kill it mid-flight.
          setTimeout(() => child.kill('SIGKILL'), 1000);
        }
      });
      child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`load exited without being killed (${signal})`))));
    });
    await new Promise((r) => setTimeout(r, 300));

    const store = new ObjectStore({ bucket, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
    const started = performance.now();
    const engine = await openLogEngine({ store, prefix, checkpointOnClose: false });
    const readyMs = performance.now() - started;
    const s = engine.stats();
    let present = 0;
    for (let i = 0; i < keys; i += Math.max(1, Math.floor(keys / 2000))) if ((await engine.get(keyFor(i)))?.length === valueSize) present++;
    let segments = 0;
    for await (const _o of store.list(`${prefix}log/`)) segments++;
    console.log(
      `recovery after SIGKILL: ${keys} keys written (fill ${fillSeconds.toFixed(1)} s, ${segments} segments), ${s['log.indexEntries']} index entries recovered, ` +
        `ready in ${readyMs.toFixed(0)} ms (checkpoint ${s['log.recoveryCheckpoint']}: ${s['log.recoveryCheckpointEntries']} entries; ` +
        `${s['log.recoverySegmentsReplayed']} segments replayed, ${s['log.recoverySegmentsAbandoned']} abandoned; ${(s['log.recoveryBytesRead']! / 1e6).toFixed(1)} MB read); ` +
        `sampled ${present} keys present`,
    );
    store.close();
  } finally {
    await endpoint.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`recoveryBench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
