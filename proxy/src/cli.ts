/**
 * `npm run proxy -- [options]`: the proxy as a command. Parses arguments, calls startProxy and
 * waits for a signal (or, when forked by the hypervisor, for the parent to go away).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { strictCli } from './cliArgs.js';
import { DEFAULT_ENGINE, engineNames } from './engine/registry.js';
import { defaultSocketPath } from './ipc/socketPath.js';
import { DEFAULT_DATA_DIR, DEFAULT_MAX_INFLIGHT, startProxy, type RunningProxy } from './proxy.js';
import { DEFAULT_BUCKET, DEFAULT_PREFIX } from './s3/config.js';
import { describeLatencyModel, parseLatencyFlags } from './s3/latencyFlags.js';
import type { LatencyModelOptions } from './s3/latencyModel.js';
import { describeReliability, parseReliabilityFlags, type Reliability } from './s3/reliabilityFlags.js';

const NAME = 'hermitkv-proxy';

function fail(message: string): never {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(1);
}

const args = yargs(hideBin(process.argv))
  .scriptName('npm run proxy --')
  .usage('$0 [options]\n\nThe hermitkv proxy (backend driver): serves key-value requests on a Unix socket and stores them in S3.')
  .option('engine', { type: 'string', default: DEFAULT_ENGINE, describe: `storage engine: ${engineNames().join(' | ')}` })
  .option('s3-endpoint', {
    type: 'string',
    describe:
      'S3 endpoint URL (path-style), "aws" for AWS S3, or "embedded" for the built-in endpoint. Default: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS S3 if AWS_REGION / AWS_PROFILE / AWS_ACCESS_KEY_ID is set, else embedded',
  })
  .option('bucket', { type: 'string', default: DEFAULT_BUCKET, describe: 'S3 bucket (must exist unless the endpoint is embedded)' })
  .option('prefix', { type: 'string', default: DEFAULT_PREFIX, describe: 'prefix of every object name ("" for none; "/" is appended)' })
  .option('data-dir', { type: 'string', default: DEFAULT_DATA_DIR, describe: 'data directory of the embedded S3 endpoint (objects under <dir>/s3)' })
  .option('socket', { type: 'string', describe: `Unix socket to serve (default ${defaultSocketPath()})` })
  .option('max-inflight', { type: 'number', default: DEFAULT_MAX_INFLIGHT, describe: 'engine operations running at once' })
  .option('cache-size', { type: 'string', describe: 'log engine: bytes of values cached in memory, e.g. 64m (default 64 MiB)' })
  .option('s3-latency', {
    type: 'string',
    describe: 'benchmarks: delay each S3 request (log-normal): P50 ms, P50/P99, or put=P50/P99,get=P50/P99[,seed=N]; p99 defaults to 4 x p50',
  })
  .option('s3-rate-limit', { type: 'string', describe: 'benchmarks: cap S3 requests per second per prefix: on (3500 PUT/5500 GET), off, or PUT/GET' })
  .option('s3-faults', { type: 'number', describe: 'tests: make this share (0..1) of S3 attempts fail: 500, 503 SlowDown, throttling, timeouts, resets, corrupt and truncated GET bodies' })
  .option('s3-fault-seed', { type: 'number', describe: 'tests: seed of the fault injection (default 1)' })
  .option('s3-attempt-timeout', { type: 'number', describe: 'abort an S3 attempt with no answer after this many ms (default 2000); it is retried' })
  .option('s3-deadline', { type: 'number', describe: 'an S3 operation, retries included, fails after this many ms (default 5000)' })
  .option('gc-every', { type: 'number', describe: 'log engine: background garbage collection every N segments (0: off; default 256)' })
  .option('compact-every', { type: 'number', describe: 'log engine: background compaction into sorted runs, considered every N segments (0: off; default 256)' })
  .option('stats', { type: 'boolean', default: false, describe: 'print statistics when the proxy stops' });
const argv = strictCli(args, fail).parseSync();

let latency: LatencyModelOptions | undefined;
let reliability: Reliability;
try {
  latency = parseLatencyFlags(argv['s3-latency'], argv['s3-rate-limit']);
  reliability = parseReliabilityFlags({
    s3Faults: argv['s3-faults'],
    s3FaultSeed: argv['s3-fault-seed'],
    s3AttemptTimeout: argv['s3-attempt-timeout'],
    s3Deadline: argv['s3-deadline'],
  });
} catch (err) {
  fail(`${(err as Error).message} (see --help)`);
}

/** "64m" → 67108864; a plain number is bytes. NaN for anything else (startProxy refuses it). */
function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) return Number.NaN;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

let proxy: RunningProxy;
try {
  proxy = await startProxy({
    engine: argv.engine,
    ...(argv['s3-endpoint'] === undefined ? {} : { s3Endpoint: argv['s3-endpoint'] }),
    bucket: argv.bucket,
    prefix: argv.prefix,
    dataDir: argv['data-dir'],
    ...(argv.socket === undefined ? {} : { socketPath: argv.socket }),
    maxInflight: argv['max-inflight'],
    ...(argv['cache-size'] === undefined ? {} : { cacheBytes: parseSize(argv['cache-size']) }),
    ...(argv['gc-every'] === undefined ? {} : { gcEvery: argv['gc-every'] }),
    ...(argv['compact-every'] === undefined ? {} : { compactEvery: argv['compact-every'] }),
    ...(latency === undefined ? {} : { latency }),
    ...reliability,
  });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const { socketPath, engine, endpoint, bucket, prefix } = proxy;
const where = endpoint === 'none' ? 'no S3' : `s3 ${endpoint}/${bucket}/${prefix}`;
process.stdout.write(`${NAME}: ready on ${socketPath} (engine ${engine}, ${where})\n`);
if (latency !== undefined) process.stdout.write(`${NAME}: S3 latency model: ${describeLatencyModel(latency)}\n`);
if (reliability.faults !== undefined || reliability.retry !== undefined) process.stdout.write(`${NAME}: ${describeReliability(reliability)}\n`);
for (const notice of proxy.notices) process.stdout.write(`${NAME}: ${notice}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => fail('did not stop within 30 s'), 30_000);
  timer.unref();
  await proxy.close();
  if (argv.stats) printStats(proxy.stats());
  process.exit(0);
}

function printStats(stats: Record<string, number | string>): void {
  const lines = Object.entries(stats).map(([key, value]) => `  ${key} ${value}`);
  process.stderr.write(`${NAME} stats:\n${lines.join('\n')}\n`);
}

process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
if (process.send !== undefined) {
  // Forked by the hypervisor: report readiness, and end with the parent's run.
  process.send({ type: 'ready', socket: socketPath, engine, endpoint, bucket, prefix });
  process.on('disconnect', () => void stop());
}
