/**
 * Starting and stopping a whole proxy: S3 location, embedded endpoint when needed, bucket check,
 * engine, IPC server. The CLI only parses arguments and calls startProxy; tests and the
 * hypervisor can call it directly.
 */
import path from 'node:path';
import { DEFAULT_ENGINE, engineEntry, engineNames, type EngineEntry } from './engine/registry.js';
import type { Engine } from './engine/engine.js';
import { IpcServer } from './ipc/server.js';
import { defaultSocketPath, prepareSocketDir, socketIsLive } from './ipc/socketPath.js';
import { endpointLabel, prepareBucket, resolveS3Config, storeOptions, type S3Config } from './s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from './s3/embeddedEndpoint.js';
import type { FaultOptions } from './s3/faultInjection.js';
import type { LatencyModelOptions } from './s3/latencyModel.js';
import { DEFAULT_RETRY_POLICY, requestBudgetMs, type RetryPolicy } from './s3/retryPolicy.js';
import { ObjectStore } from './s3/objectStore.js';
import { StartupError } from './startupError.js';

export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_MAX_INFLIGHT = 64;

export interface ProxyOptions {
  engine?: string;
  /** A URL, `aws` or `embedded`; see s3/config.ts for what applies when absent. */
  s3Endpoint?: string;
  bucket?: string;
  prefix?: string;
  /** The embedded endpoint keeps its objects under `<dataDir>/s3`; default `.data`. */
  dataDir?: string;
  /** Default: defaultSocketPath(). */
  socketPath?: string;
  maxInflight?: number;
  /** Bytes of values the engine may cache (`--cache-size`); engine default when absent. */
  cacheBytes?: number;
  /** Log engine: background garbage collection / compaction every this many segments (0: off). */
  gcEvery?: number;
  compactEvery?: number;
  /** Benchmarks: delay S3 requests as real S3 would (s3/latencyModel.ts); absent: no delay. */
  latency?: LatencyModelOptions;
  /** Tests: make a share of S3 attempts fail (s3/faultInjection.ts); absent: none. */
  faults?: FaultOptions;
  /** Attempt timeout and deadline of S3 operations (s3/retryPolicy.ts); defaults when absent. */
  retry?: Partial<RetryPolicy>;
  /** Environment for the S3 configuration (default process.env). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface RunningProxy {
  socketPath: string;
  engine: string;
  /** The S3 endpoint in use: a URL, `aws`/`aws:<region>`, or `none` (an engine without S3). */
  endpoint: string;
  bucket: string;
  prefix: string;
  /** Lines the engine wants said at start (the writer fencing in force). */
  notices: string[];
  stats(): Record<string, number | string>;
  /** Stops accepting, finishes requests in flight, closes the engine, stops the embedded endpoint. */
  close(): Promise<void>;
}

/** Starts a proxy; every start-up failure rejects with a one-line StartupError. */
export async function startProxy(options: ProxyOptions = {}): Promise<RunningProxy> {
  const engineName = options.engine ?? DEFAULT_ENGINE;
  const entry = engineEntry(engineName);
  if (entry === undefined) throw new StartupError(`unknown engine "${engineName}" (known: ${engineNames().join(', ')})`);
  const maxInflight = options.maxInflight ?? DEFAULT_MAX_INFLIGHT;
  if (!Number.isInteger(maxInflight) || maxInflight < 1) throw new StartupError(`--max-inflight must be a positive integer`);
  if (options.cacheBytes !== undefined && (!Number.isInteger(options.cacheBytes) || options.cacheBytes < 0)) {
    throw new StartupError('--cache-size must be a whole number of bytes (suffixes k, m, g allowed)');
  }
  for (const [flag, v] of [['--gc-every', options.gcEvery], ['--compact-every', options.compactEvery]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new StartupError(`${flag} must be a whole number of segments (0: off)`);
  }
  const config = resolveS3Config(options, options.env);
  const socketPath = path.resolve(options.socketPath ?? defaultSocketPath(options.env));
  prepareSocketDir(socketPath, options.socketPath === undefined);
  // Fail before starting anything else if another proxy owns the socket.
  if (await socketIsLive(socketPath)) throw new StartupError(`a proxy is already serving ${socketPath}; stop it or pass --socket`);

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Shutting down: nothing useful to do with a second failure.
      }
    }
  };
  try {
    const { engine, endpoint } = await openEngine(entry, config, options, cleanups);
    cleanups.push(() => engine.close());
    const server = await IpcServer.start({
      socketPath,
      engine,
      maxInflight,
      requestTimeoutMs: requestBudgetMs({ ...DEFAULT_RETRY_POLICY, ...options.retry }),
      ...(options.log === undefined ? {} : { log: options.log }),
      extraStats: () => ({ endpoint, bucket: config.bucket, prefix: config.prefix }),
    });
    cleanups.push(() => server.close());
    let closing: Promise<void> | undefined;
    return {
      socketPath,
      engine: engine.name,
      endpoint,
      bucket: config.bucket,
      prefix: config.prefix,
      notices: engine.notices?.() ?? [],
      stats: () => server.stats(),
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The engine, over S3 when it uses S3 (starting the embedded endpoint if that is where S3 is). */
async function openEngine(
  entry: EngineEntry,
  config: S3Config,
  options: ProxyOptions,
  cleanups: (() => Promise<void> | void)[],
): Promise<{ engine: Engine; endpoint: string }> {
  if (!entry.usesS3) return { engine: await entry.create(), endpoint: 'none' };
  let embedded: EmbeddedEndpoint | undefined;
  if (config.location.kind === 'embedded') {
    const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    embedded = await startEmbeddedEndpoint({ dataDir }).catch((err: unknown) => {
      throw new StartupError(err instanceof Error ? err.message : String(err));
    });
    cleanups.push(() => embedded!.stop());
  }
  const endpoint = endpointLabel(config.location, embedded?.url);
  const store = new ObjectStore({
    ...storeOptions(config, embedded?.url),
    // The SDK's HTTP agent allows 50 sockets by default: let every engine operation have one.
    maxSockets: Math.max(50, options.maxInflight ?? DEFAULT_MAX_INFLIGHT),
    ...(options.latency === undefined ? {} : { latency: options.latency }),
    ...(options.faults === undefined ? {} : { faults: options.faults }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
  cleanups.push(() => store.close());
  await prepareBucket(store, config, endpoint);
  const tuning = {
    ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
    ...(options.gcEvery === undefined ? {} : { gcEvery: options.gcEvery }),
    ...(options.compactEvery === undefined ? {} : { compactEvery: options.compactEvery }),
  };
  return { engine: await entry.create({ store, prefix: config.prefix, ...tuning }), endpoint };
}
