/**
 * One configuration of `npm run bench`, through the whole stack: a proxy of its own (the
 * engine under test, the S3 latency model, an embedded S3 endpoint in a fresh data directory,
 * so nothing of an earlier configuration is in the way), the kvbench guest in v86, and the
 * proxy's S3 counters read at the two moments kvbench marks (`--mark`): just before its clock
 * starts and just after it stops. S3 requests per op are therefore counted by the proxy over
 * exactly the timed ops, not derived from a model of the engine.
 */
import path from 'node:path';
import { WireOp, WireStatus } from '../../../proxy/src/ipc/protocol.js';
import type { Progress } from '../../../proxy/src/bench/progress.js';
import type { ProxyReply } from '../ipc/proxyClient.js';
import type { KvBackend } from '../kv/device.js';
import { connectProxy } from '../proxyLauncher.js';
import { runKvbench, type KvbenchResult } from './channelBench.js';
import { configLabel, type BenchConfig } from './systemMatrix.js';

/** The keys of kvbench's --mark (guest-c/apps/kvbench/kvbench.c). */
export const MARK_START = Buffer.from('\x7fkvbench:mark:start', 'latin1');
export const MARK_END = Buffer.from('\x7fkvbench:mark:end', 'latin1');

/** The proxy's S3 request counters (ObjectStore.stats(), `s3.*`) that the results use. */
export const S3_COUNTERS = ['put', 'get', 'head', 'delete', 'list', 'bucket', 'bytesOut', 'bytesIn', 'errors', 'model.throttled'] as const;
export type S3CounterName = (typeof S3_COUNTERS)[number];
export type S3Counts = Record<S3CounterName, number>;

export interface RunSettings {
  kernel: Uint8Array;
  /** Where each configuration's embedded endpoint gets a fresh data directory. */
  workDir: string;
  /** Proxy flags of the latency model (--s3-latency, --s3-rate-limit). */
  latencyArgs: string[];
  progress: Progress;
  /** Host-side diagnostics (proxy trouble, rejected requests). */
  log: (line: string) => void;
}

export interface RawRun {
  config: BenchConfig;
  kvbench: KvbenchResult;
  /** S3 requests the proxy made during the timed phase. */
  s3: S3Counts;
  /** The timed phase on the host's clock (between the two marks): a check on the guest's. */
  hostSeconds: number;
  /** The whole configuration: proxy and endpoint start, boot, preload, warm-up, run, stop. */
  wallSeconds: number;
}

export async function runConfig(config: BenchConfig, index: number, settings: RunSettings): Promise<RawRun> {
  const started = performance.now();
  const proxyArgs = [
    '--engine', config.engine,
    // Always the embedded endpoint, whatever AWS_* says: nobody pays for a benchmark by accident.
    '--s3-endpoint', 'embedded',
    '--data-dir', path.join(settings.workDir, `config-${index}`),
    '--prefix', `bench/config-${index}/`,
    ...settings.latencyArgs,
  ];
  const link = await connectProxy({ ownProxy: true, proxyArgs, log: settings.log });
  const marks: Array<Record<string, unknown> | undefined> = [];
  const markTimes: number[] = [];
  const total = config.threads * (config.opsPerThread + config.warmupPerThread) + (config.preload ? config.keys : 0);
  settings.progress.begin(configLabel(config), total);
  const backend = markingBackend(link.backend, async () => {
    markTimes.push(performance.now());
    marks.push(await link.proxyStats());
  }, () => settings.progress.tick());
  let kvbench: KvbenchResult;
  try {
    const args = [
      '-t', String(config.threads),
      '-n', String(config.opsPerThread),
      '-w', String(config.warmupPerThread),
      '-s', String(config.sizeBytes),
      '-r', String(config.readPct),
      '-k', String(config.keys),
      '-p', 'bench',
      config.preload ? '--preload' : '--no-preload',
      '--mark',
    ];
    kvbench = await runKvbench(settings.kernel, backend, args, settings.log, 900_000);
  } finally {
    await link.close();
  }
  if (marks.length !== 2) throw new Error(`${configLabel(config)}: expected 2 phase marks from kvbench, saw ${marks.length}`);
  const s3 = countersBetween(marks[0], marks[1]);
  return { config, kvbench, s3, hostSeconds: (markTimes[1]! - markTimes[0]!) / 1000, wallSeconds: (performance.now() - started) / 1000 };
}

/**
 * The guest's backend with kvbench's phase marks answered here (never sent on: they would cost
 * an S3 GET of their own) after `onMark` has run, and every other completion reported.
 */
export function markingBackend(inner: KvBackend, onMark: () => Promise<void>, onCompleted: () => void): KvBackend {
  let id = 0;
  return {
    async request(op: WireOp, key: Buffer, value?: Buffer): Promise<ProxyReply> {
      if (op === WireOp.Get && (key.equals(MARK_START) || key.equals(MARK_END))) {
        await onMark();
        return { kind: 'response', response: { id: ++id, status: WireStatus.NotFound, value: Buffer.alloc(0) } };
      }
      const reply = await inner.request(op, key, value);
      onCompleted();
      return reply;
    },
  };
}

/** after − before for each S3 counter; an engine without S3 (memory) has none: zeros. */
export function countersBetween(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): S3Counts {
  const read = (stats: Record<string, unknown> | undefined, name: string): number => {
    const v = stats?.[`s3.${name}`];
    return typeof v === 'number' ? v : 0;
  };
  if (before === undefined || after === undefined) throw new Error('the proxy did not return its statistics');
  return Object.fromEntries(S3_COUNTERS.map((name) => [name, Math.round((read(after, name) - read(before, name)) * 1000) / 1000])) as S3Counts;
}
