/**
 * The measurement of `npm run bench:s3`: for each arm (without / with the S3 latency model),
 * value size and concurrency, PUT `ops` objects of that size, one PUT each, through ObjectStore
 * with `concurrency` requests in flight, and record per-request latency and the cell's
 * throughput. The objects of a cell share one prefix (`…/<arm>/<size>B/c<concurrency>/`), which
 * is also the latency model's rate-limit prefix.
 */
import { randomBytes } from 'node:crypto';
import type { ObjectStore } from '../s3/objectStore.js';
import { summarizeLatencies, type LatencySummary } from './latencyStats.js';
import { dollarsPerMillionPuts, S3_PRICES } from './prices.js';
import type { Progress } from './progress.js';

export type Arm = 'plain' | 'model';

export interface CellSpec {
  arm: Arm;
  sizeBytes: number;
  concurrency: number;
  ops: number;
}

export interface CellResult extends CellSpec {
  seconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  /** One PUT per write, so these depend on the size only. */
  dollarsPerMillionWrites: { s3Standard: number; s3ExpressOneZone: number };
  /** Mean delay the latency model added per PUT (its own counter, not a clock reading). */
  modelDelayMsPerPut: number;
  /** PUTs the model's rate limit held back. */
  throttled: number;
}

export interface ArmStores {
  /** The store each arm measures through. */
  stores: Record<Arm, ObjectStore | undefined>;
  /** Deletes objects afterwards (no model: cleanup is not measured); undefined: nothing to delete. */
  cleanup: ObjectStore | undefined;
}

/** ops per cell: at least 2 × concurrency, so every worker does more than one request. */
export function opsForCell(ops: number, concurrency: number): number {
  return Math.max(ops, 2 * concurrency);
}

export function cellSpecs(arms: Arm[], sizes: number[], concurrencies: number[], ops: number): CellSpec[] {
  return arms.flatMap((arm) => sizes.flatMap((sizeBytes) => concurrencies.map((concurrency) => ({ arm, sizeBytes, concurrency, ops: opsForCell(ops, concurrency) }))));
}

export function cellLabel(cell: CellSpec): string {
  return `${cell.arm === 'model' ? 'model' : 'plain'} ${cell.sizeBytes} B c=${cell.concurrency}`;
}

/** Runs every cell in order; `namePrefix` is where objects go (ends with `/`). */
export async function runCells(cells: CellSpec[], stores: ArmStores, namePrefix: string, progress: Progress, warmupOps: number): Promise<CellResult[]> {
  const results: CellResult[] = [];
  const warmed = new Set<Arm>();
  for (const cell of cells) {
    const store = stores.stores[cell.arm];
    if (store === undefined) throw new Error(`no store for arm ${cell.arm}`);
    if (!warmed.has(cell.arm) && warmupOps > 0) {
      // Connections, the JIT and s3rver's first-request costs would otherwise land in cell one.
      warmed.add(cell.arm);
      const names = await putMany(store, `${namePrefix}warmup/${cell.arm}/`, 64, warmupOps, 4);
      await deleteAll(stores.cleanup, names.names);
    }
    progress.begin(cellLabel(cell), cell.ops);
    const before = modelCounters(store);
    const run = await putMany(store, `${namePrefix}${cell.arm}/${cell.sizeBytes}B/c${cell.concurrency}/`, cell.sizeBytes, cell.ops, cell.concurrency, () => progress.tick());
    const after = modelCounters(store);
    const result = cellResult(cell, run.seconds, run.latencies, after.delayMs - before.delayMs, after.throttled - before.throttled);
    results.push(result);
    progress.end(`${Math.round(result.opsPerSecond)} ops/s, p50 ${result.latency.p50Ms.toFixed(1)} ms, p99 ${result.latency.p99Ms.toFixed(1)} ms`);
    await deleteAll(stores.cleanup, run.names);
  }
  return results;
}

export function cellResult(cell: CellSpec, seconds: number, latencies: number[], modelDelayMs: number, throttled: number): CellResult {
  return {
    ...cell,
    seconds: Math.round(seconds * 1000) / 1000,
    opsPerSecond: Math.round((cell.ops / seconds) * 10) / 10,
    latency: summarizeLatencies(latencies),
    dollarsPerMillionWrites: {
      s3Standard: dollarsPerMillionPuts(S3_PRICES.s3Standard, cell.sizeBytes),
      s3ExpressOneZone: dollarsPerMillionPuts(S3_PRICES.s3ExpressOneZone, cell.sizeBytes),
    },
    modelDelayMsPerPut: Math.round((modelDelayMs / cell.ops) * 1000) / 1000,
    throttled,
  };
}

interface PutRun {
  names: string[];
  latencies: number[];
  seconds: number;
}

/** PUTs `ops` objects of `size` bytes under `prefix` with `concurrency` workers. */
async function putMany(store: ObjectStore, prefix: string, size: number, ops: number, concurrency: number, onDone?: () => void): Promise<PutRun> {
  // Random bytes: nothing on the way (compression, dedup) can make one value cheaper than another.
  const body = randomBytes(size);
  const names = Array.from({ length: ops }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
  const latencies = new Array<number>(ops);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ops; i = next++) {
      const t0 = performance.now();
      await store.put(names[i]!, body);
      latencies[i] = performance.now() - t0;
      onDone?.();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker));
  return { names, latencies, seconds: (performance.now() - t0) / 1000 };
}

/** Deletes names, 16 at a time; a store of undefined means the caller removes everything at once. */
export async function deleteAll(store: ObjectStore | undefined, names: string[]): Promise<void> {
  if (store === undefined) return;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < names.length; i = next++) await store.delete(names[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(16, names.length) }, worker));
}

function modelCounters(store: ObjectStore): { delayMs: number; throttled: number } {
  const stats = store.stats();
  return { delayMs: stats['s3.model.putDelayMs'] ?? 0, throttled: stats['s3.model.throttled'] ?? 0 };
}
