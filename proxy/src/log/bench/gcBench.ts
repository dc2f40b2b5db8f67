/**
 * Range scans and garbage collection of the log engine, engine level, on a fresh embedded
 * endpoint (its own process, as S3 is):
 *   - scan throughput over N sequential keys (written in shuffled order, so records of
 *     neighbouring keys sit in different segments), cold cache after a reopen, against the
 *     baseline of reading the same keys one get at a time (measured on a sample in the same run),
 *     then again after a compaction into sorted runs;
 *   - an overwrite workload (every other key overwritten R times): stored bytes vs live bytes
 *     before and after garbage collection, and the write amplification GC adds; then after a
 *     compaction too.
 *
 *   npm run bench:gc [-- --keys 100000 --value-size 100 --rounds 6 --runs 3 --batch-keys 4096]
 *
 * Medians over --runs scans.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../s3/config.js';
import { startEmbeddedEndpoint } from '../../s3/embeddedEndpoint.js';
import { ObjectStore } from '../../s3/objectStore.js';
import { RECORD_HEADER_BYTES } from '../format.js';
import { openLogEngine, type LogEngine } from '../logEngine.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const keyOf = (i: number): Buffer => Buffer.from(`seq${String(i).padStart(8, '0')}`, 'latin1');

/** A deterministic shuffle (mulberry32 driven Fisher-Yates). */
function shuffled(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const r = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function writeAll(engine: LogEngine, order: readonly number[], value: (i: number) => Buffer): Promise<void> {
  for (let at = 0; at < order.length; at += 4096) {
    await Promise.all(order.slice(at, at + 4096).map((i) => engine.put(keyOf(i), value(i))));
  }
}

async function storedBytes(store: ObjectStore, prefix: string): Promise<number> {
  let total = 0;
  for await (const o of store.list(prefix)) total += o.size;
  return total;
}

async function main(): Promise<void> {
  const keys = flag('--keys', 100_000);
  const valueSize = flag('--value-size', 100);
  const rounds = flag('--rounds', 6);
  const runs = flag('--runs', 3);
  const batchKeys = flag('--batch-keys', 4096);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-gcbench-'));
  const endpoint = await startEmbeddedEndpoint({ dataDir });
  const store = new ObjectStore({ bucket: 'hermitkv-bench', endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  try {
    await store.ensureBucket();
    // 1. Scans.
    const prefix = 'scan/';
    let engine = await openLogEngine({ store, prefix });
    await writeAll(engine, shuffled(keys, 1), () => Buffer.alloc(valueSize, 7));
    await engine.close();
    /** Median keys/s of full scans on a cold cache, and the GETs of one scan. */
    const measureScans = async (): Promise<{ rate: number; gets: number }> => {
      const scanRates: number[] = [];
      let scanGets = 0;
      for (let r = 0; r < runs; r++) {
        const reader = await openLogEngine({ store, prefix, cacheBytes: 0, checkpointOnClose: false });
        const gets = store.stats()['s3.get'] ?? 0;
        const started = performance.now();
        let count = 0;
        let last = '';
        await reader.scan(Buffer.alloc(0), undefined, (k) => {
          const s = k.toString('latin1');
          if (s <= last) throw new Error(`scan out of order: ${s} after ${last}`);
          last = s;
          count++;
        }, { batchKeys });
        const ms = performance.now() - started;
        if (count !== keys) throw new Error(`scan visited ${count} keys, expected ${keys}`);
        scanRates.push((count / ms) * 1000);
        scanGets = (store.stats()['s3.get'] ?? 0) - gets;
        await reader.close();
      }
      return { rate: median(scanRates), gets: scanGets };
    };
    const scanBefore = await measureScans();
    engine = await openLogEngine({ store, prefix, cacheBytes: 0, checkpointOnClose: false });
    const sample = Math.min(2000, keys);
    const getStarted = performance.now();
    for (let at = 0; at < sample; at += 64) {
      await Promise.all(Array.from({ length: Math.min(64, sample - at) }, (_, j) => engine.get(keyOf(at + j))));
    }
    const getRate = (sample / (performance.now() - getStarted)) * 1000;
    await engine.close();
    console.log(
      `scan: ${keys} sequential keys (${valueSize} B values, written shuffled, cold cache, batches of ${batchKeys}): median ${Math.round(scanBefore.rate)} keys/s over ${runs} runs, ` +
        `${scanBefore.gets} GETs per scan; baseline gets (64 concurrent): ${Math.round(getRate)} keys/s; ratio ${(scanBefore.rate / getRate).toFixed(1)}x`,
    );
    engine = await openLogEngine({ store, prefix });
    const compaction = await engine.compact();
    await engine.close();
    const scanAfter = await measureScans();
    console.log(
      `scan after compaction (${compaction.runsWritten} sorted runs, ${(compaction.ms / 1000).toFixed(1)} s): median ${Math.round(scanAfter.rate)} keys/s, ${scanAfter.gets} GETs per scan; ` +
        `${(scanAfter.rate / scanBefore.rate).toFixed(1)}x the scan before compaction, ${(scanAfter.rate / getRate).toFixed(1)}x the gets baseline`,
    );

    // 2. Garbage collection under an overwrite workload.
    const gcPrefix = 'gc/';
    engine = await openLogEngine({ store, prefix: gcPrefix, segmentCapBytes: 256 * 1024 });
    const all = Array.from({ length: keys }, (_, i) => i);
    await writeAll(engine, all, (i) => Buffer.alloc(valueSize, i));
    const half = all.filter((i) => i % 2 === 0);
    for (let r = 0; r < rounds; r++) await writeAll(engine, half, (i) => Buffer.alloc(valueSize, i + r));
    const userBytes = engine.stats()['log.bytesWritten']!;
    const live = (): number => {
      let n = 0;
      for (let i = 0; i < keys; i++) n += RECORD_HEADER_BYTES + keyOf(i).length + valueSize;
      return n;
    };
    const liveBytes = live();
    const before = await storedBytes(store, gcPrefix);
    const started = performance.now();
    let rewritten = 0;
    for (let i = 0; i < 3; i++) rewritten += (await engine.collectGarbage()).bytesRewritten;
    const gcMs = performance.now() - started;
    const after = await storedBytes(store, gcPrefix);
    const afterSegments = await storedBytes(store, `${gcPrefix}log/`);
    console.log(
      `gc: ${keys} keys, every other one overwritten ${rounds} times: stored/live before ${(before / 1e6).toFixed(2)}/${(liveBytes / 1e6).toFixed(2)} MB = ${(before / liveBytes).toFixed(2)}x, ` +
        `after ${(after / 1e6).toFixed(2)} MB = ${(after / liveBytes).toFixed(2)}x (segments alone ${(afterSegments / liveBytes).toFixed(2)}x, the rest is checkpoints) (3 runs, ${gcMs.toFixed(0)} ms); ` +
        `GC rewrote ${(rewritten / 1e6).toFixed(2)} MB for ${(userBytes / 1e6).toFixed(2)} MB written by users: write amplification ${((userBytes + rewritten) / userBytes).toFixed(3)}`,
    );
    const compacted = await engine.compact();
    const afterCompaction = await storedBytes(store, gcPrefix);
    console.log(
      `compaction after GC: ${compacted.runsWritten} sorted runs, stored ${(afterCompaction / 1e6).toFixed(2)} MB = ${(afterCompaction / liveBytes).toFixed(2)}x live ` +
        `(runs ${((await storedBytes(store, `${gcPrefix}run/`)) / liveBytes).toFixed(2)}x, checkpoints ${((await storedBytes(store, `${gcPrefix}ckpt/`)) / liveBytes).toFixed(2)}x); ` +
        `compaction wrote ${(compacted.bytesWritten / 1e6).toFixed(2)} MB`,
    );
    await engine.close();
  } finally {
    store.close();
    await endpoint.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`gcBench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
