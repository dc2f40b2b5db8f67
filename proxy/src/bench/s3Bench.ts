/**
 * `npm run bench:s3 -- [options]`: the seed's small-object benchmark. PUTs key-value pairs of
 * 32 B – 1 KiB straight to S3 (one PUT each, through ObjectStore) at concurrency 1, 4, 16 and 64,
 * without and with the S3 latency model, and reports ops/s, latency p50/p99 and dollars per
 * million writes at S3 Standard and S3 Express One Zone request prices.
 *
 * S3 is the embedded endpoint (s3rver, in its own process, in a temporary directory) unless
 * `--s3-endpoint` names another one (a URL, or `aws`); AWS_* variables alone do not switch it, so
 * that nobody pays for a benchmark by accident. Objects are written under
 * `<prefix>s3bench/<run id>/` and deleted afterwards.
 *
 * Output: progress on stderr, the table on stdout, JSON (default docs/results/s3-bench.json)
 * and charts beside it (see s3BenchOutput.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { strictCli } from '../cliArgs.js';
import { DEFAULT_BUCKET, DEFAULT_PREFIX, endpointLabel, prepareBucket, resolveS3Config, storeOptions } from '../s3/config.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../s3/embeddedEndpoint.js';
import { describeLatencyModel, parseLatencyFlags } from '../s3/latencyFlags.js';
import type { LatencyModelOptions } from '../s3/latencyModel.js';
import { ObjectStore } from '../s3/objectStore.js';
import { StartupError } from '../startupError.js';
import { CDF_LEVELS_RECORDED } from './latencyStats.js';
import { machineFacts } from './machine.js';
import { S3_PRICES } from './prices.js';
import { Progress } from './progress.js';
import { resultPreamble, resultTable, writeCharts, type S3BenchResult } from './s3BenchOutput.js';
import { cellSpecs, runCells, type Arm, type ArmStores } from './s3BenchRun.js';

export const SIZES = [32, 64, 128, 256, 512, 1024];
export const CONCURRENCIES = [1, 4, 16, 64];
export const DEFAULT_OPS = 500;
export const QUICK_OPS = 24;
export const DEFAULT_OUT = path.join('docs', 'results', 's3-bench.json');

const NAME = 'bench:s3';

const MODEL_SEMANTICS =
  'each request is held for a log-normal sample (seeded) before it is sent, after waiting for its ' +
  'per-prefix rate-limit token; measured latency = that delay + the endpoint\'s own time (proxy/src/s3/latencyModel.ts)';

/** The model arm's model, or null when the delays are off (then only the plain arm runs). */
function benchModel(latency: string, rateLimit: string): { options: LatencyModelOptions; description: string } | null {
  let options: LatencyModelOptions | undefined;
  try {
    options = parseLatencyFlags(latency, rateLimit);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  if (options === undefined || (options.put === undefined && options.get === undefined)) return null;
  return { options, description: describeLatencyModel(options) };
}

function parseArgs(argv: string[]) {
  const args = yargs(argv)
    .scriptName('npm run bench:s3 --')
    .usage('$0 [options]\n\nPUTs 32 B – 1 KiB objects to S3 at concurrency 1/4/16/64, without and with the S3 latency model.')
    .option('quick', { type: 'boolean', default: false, describe: `a small run (${QUICK_OPS} PUTs per cell, at least 2 × concurrency)` })
    .option('ops', { type: 'number', describe: `PUTs per cell (at least 2 × concurrency); default ${DEFAULT_OPS}, ${QUICK_OPS} with --quick` })
    .option('s3-endpoint', { type: 'string', default: 'embedded', describe: 'S3 endpoint URL, "aws", or "embedded" (a temporary s3rver)' })
    .option('bucket', { type: 'string', default: DEFAULT_BUCKET, describe: 'bucket (must exist unless embedded)' })
    .option('prefix', { type: 'string', default: DEFAULT_PREFIX, describe: 'objects go under <prefix>s3bench/<run id>/' })
    .option('s3-latency', { type: 'string', default: '20/80', describe: 'the model arm\'s delays: P50[/P99] ms, put=…,get=…[,seed=N], or "off" (plain arm only)' })
    .option('s3-rate-limit', { type: 'string', default: 'on', describe: 'the model arm\'s per-prefix rate limit: on (3500 PUT/5500 GET per s), off, PUT/GET' })
    .option('out', { type: 'string', default: DEFAULT_OUT, describe: 'JSON results; charts are written beside it' });
  return strictCli(args, (message) => {
    throw new StartupError(message);
  }).parseSync();
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const ops = args.ops ?? (args.quick ? QUICK_OPS : DEFAULT_OPS);
  if (!Number.isInteger(ops) || ops < 1) throw new StartupError('--ops must be a positive integer');
  const model = benchModel(args['s3-latency'], args['s3-rate-limit']);
  const arms: Arm[] = model === null ? ['plain'] : ['plain', 'model'];
  const config = resolveS3Config({ s3Endpoint: args['s3-endpoint'], bucket: args.bucket, prefix: args.prefix });

  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    let embedded: EmbeddedEndpoint | undefined;
    if (config.location.kind === 'embedded') {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-s3bench-'));
      // Removing the endpoint's directory removes every object: no DELETEs needed (see below).
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      embedded = await startEmbeddedEndpoint({ dataDir });
      cleanups.push(() => embedded!.stop());
    }
    const label = endpointLabel(config.location, embedded?.url);
    const base = { ...storeOptions(config, embedded?.url), maxSockets: Math.max(...CONCURRENCIES) };
    const plain = new ObjectStore(base);
    cleanups.push(() => plain.close());
    await prepareBucket(plain, config, label);
    const stores: ArmStores = { stores: { plain, model: undefined }, cleanup: embedded === undefined ? plain : undefined };
    if (model !== null) {
      stores.stores.model = new ObjectStore({ ...base, latency: model.options });
      cleanups.push(() => stores.stores.model!.close());
    }

    const machine = machineFacts();
    const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${process.pid}`;
    const cells = cellSpecs(arms, SIZES, CONCURRENCIES, ops);
    const progress = new Progress(cells.length);
    process.stderr.write(`${NAME}: ${cells.length} cells, ≥${ops} PUTs each, against ${label}\n`);
    const results = await runCells(cells, stores, `${config.prefix}s3bench/${runId}/`, progress, Math.min(ops, 32));
    progress.finish();

    const result: S3BenchResult = {
      benchmark: 's3-small-object-put',
      schemaVersion: 1,
      command: `npm run bench:s3 -- ${argv.join(' ')}`.trim(),
      machine: { ...machine, loadAverage1mAfter: machineFacts().loadAverage1m },
      endpoint: { kind: config.location.kind, label: embedded === undefined ? label : 'embedded (s3rver on 127.0.0.1)', bucket: config.bucket, prefix: config.prefix },
      settings: { sizes: SIZES, concurrencies: CONCURRENCIES, opsPerCell: ops, opsRule: 'max(opsPerCell, 2 × concurrency)', quick: args.quick, warmupOps: Math.min(ops, 32) },
      latencyModel: model === null ? null : { ...model.options, description: model.description, semantics: MODEL_SEMANTICS },
      prices: S3_PRICES,
      cdfLevels: CDF_LEVELS_RECORDED,
      cells: results,
    };
    const out = path.resolve(args.out);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const charts = writeCharts(result, out);
    process.stdout.write(`${resultPreamble(result)}\n\n${resultTable(result)}\n\n`);
    process.stdout.write(`results: ${path.relative(process.cwd(), out)}\ncharts: ${charts.map((c) => path.relative(process.cwd(), c)).join(', ')}\n`);
  } finally {
    for (const step of cleanups.reverse()) await step();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    await main(hideBin(process.argv));
  } catch (err) {
    process.stderr.write(`${NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
