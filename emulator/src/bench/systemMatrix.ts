/**
 * The configurations `npm run bench` measures. The full cross product (3 engines × 4 thread
 * counts × 7 sizes × 3 read ratios) would take an hour at S3 latencies, and most of its cells
 * say nothing the sweeps below do not. So the matrix is three one-dimensional sweeps through
 * one **base point** (64 threads, 256-byte values, 0 % reads: the point of the targets),
 * each run on every engine:
 *
 *   threads sweep  every --threads count   at the base size and read ratio
 *   size sweep     every --sizes value     at the base thread count and read ratio
 *   reads sweep    every --reads ratio     at the base thread count and size
 *
 * The base point belongs to all three and is run once. When a list leaves out the base value,
 * the largest thread count, the first size and the first ratio stand in for it.
 */

export const ENGINES = ['memory', 'log', 'object'] as const;
export type EngineName = (typeof ENGINES)[number];
export type Sweep = 'threads' | 'size' | 'reads';

export interface MatrixOptions {
  engines: EngineName[];
  threads: number[];
  sizes: number[];
  reads: number[];
  /** Timed ops per configuration (all threads together), but at least minOpsPerThread per thread. */
  ops: number;
  /**
   * Each thread's fewest timed ops. At 64 threads, 1,000 ops are 16 per thread: about 16 group
   * commits on the log engine, where one slow PUT of the model's tail moves the result by a
   * tenth. 64 per thread makes the many-thread points long enough to compare.
   */
  minOpsPerThread: number;
  /** Untimed warm-up ops per configuration (all threads together; at least one per thread). */
  warmup: number;
  /** Keyspace of configurations that read (written first, untimed, so that gets hit). */
  keys: number;
}

export interface BenchPoint {
  threads: number;
  sizeBytes: number;
  readPct: number;
}

export interface BenchConfig extends BenchPoint {
  engine: EngineName;
  /** The sweeps this point belongs to (the base point: all three). */
  sweeps: Sweep[];
  opsPerThread: number;
  warmupPerThread: number;
  keys: number;
  /** Write the keyspace before the timed phase: only needed when the configuration reads. */
  preload: boolean;
}

export const PREFERRED_BASE: BenchPoint = { threads: 64, sizeBytes: 256, readPct: 0 };

export function basePoint(o: Pick<MatrixOptions, 'threads' | 'sizes' | 'reads'>): BenchPoint {
  return {
    threads: o.threads.includes(PREFERRED_BASE.threads) ? PREFERRED_BASE.threads : Math.max(...o.threads),
    sizeBytes: o.sizes.includes(PREFERRED_BASE.sizeBytes) ? PREFERRED_BASE.sizeBytes : o.sizes[0]!,
    readPct: o.reads.includes(PREFERRED_BASE.readPct) ? PREFERRED_BASE.readPct : o.reads[0]!,
  };
}

/** The points of the three sweeps, base point first, without duplicates. */
export function sweepPoints(o: Pick<MatrixOptions, 'threads' | 'sizes' | 'reads'>): Array<BenchPoint & { sweeps: Sweep[] }> {
  const base = basePoint(o);
  const points = new Map<string, BenchPoint & { sweeps: Sweep[] }>();
  const add = (p: BenchPoint, sweep: Sweep): void => {
    const key = `${p.threads}/${p.sizeBytes}/${p.readPct}`;
    const known = points.get(key);
    if (known === undefined) points.set(key, { ...p, sweeps: [sweep] });
    else if (!known.sweeps.includes(sweep)) known.sweeps.push(sweep);
  };
  for (const threads of o.threads) add({ ...base, threads }, 'threads');
  for (const sizeBytes of o.sizes) add({ ...base, sizeBytes }, 'size');
  for (const readPct of o.reads) add({ ...base, readPct }, 'reads');
  return [...points.values()];
}

/**
 * Every configuration, point by point with the engines of a point next to each other: the
 * machine is shared, and engines compared at one point should see the same conditions.
 */
export function buildMatrix(o: MatrixOptions): BenchConfig[] {
  return sweepPoints(o).flatMap((p) =>
    o.engines.map((engine) => ({
      ...p,
      engine,
      opsPerThread: Math.max(1, o.minOpsPerThread, Math.ceil(o.ops / p.threads)),
      warmupPerThread: Math.max(1, Math.ceil(o.warmup / p.threads)),
      keys: o.keys,
      preload: p.readPct > 0,
    })),
  );
}

export function configLabel(c: BenchPoint & { engine: EngineName }): string {
  return `${c.engine} t=${c.threads} ${c.sizeBytes} B ${c.readPct}% reads`;
}
