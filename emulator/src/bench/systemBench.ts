/**
 * `npm run bench -- [options]`: the system end to end, measured from inside the guest. For each
 * engine (object, log, and memory as the floor of the channel) and each configuration of the
 * matrix (systemMatrix.ts: a threads, a size and a read-ratio sweep through 64 threads, 256 B,
 * 0 % reads), boots the kvbench guest in v86 against a proxy of its own, with the S3 latency
 * model on (p50 20 ms / p99 80 ms, S3 Standard's per-prefix rate limits) unless --no-latency,
 * and reports guest-measured ops/s and latency, S3 requests per operation counted by the proxy,
 * bytes to S3 per byte written and dollars per million operations; then the targets.
 *
 * Output: progress on stderr, the table and targets on stdout, JSON (default
 * docs/results/bench.json) and charts beside it (systemOutput.ts). Exit status 1 when a
 * configuration had errors; unmet targets are reported, not fatal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { describeMachine, machineFacts } from '../../../proxy/src/bench/machine.js';
import { S3_PRICES } from '../../../proxy/src/bench/prices.js';
import { Progress } from '../../../proxy/src/bench/progress.js';
import { strictCli } from '../../../proxy/src/cliArgs.js';
import { describeLatencyModel, parseLatencyFlags } from '../../../proxy/src/s3/latencyFlags.js';
import { REPO_ROOT } from '../paths.js';
import { basePoint, buildMatrix, ENGINES, type EngineName, type MatrixOptions } from './systemMatrix.js';
import { configResult, RESULT_CDF_LEVELS, type ConfigResult } from './systemMetrics.js';
import { ceilingText, resultTable, targetsText, writeCharts, type SystemBenchResult } from './systemOutput.js';
import { runConfig } from './systemRun.js';
import { closedLoopCeiling, evaluateTargets } from './systemTargets.js';

const NAME = 'bench';
export const DEFAULT_OUT = path.join('docs', 'results', 'bench.json');
const KVBENCH_IMAGE = path.join(REPO_ROOT, 'images', 'kvbench.elf');

const FULL = { threads: [1, 4, 16, 64], sizes: [32, 256, 1024, 4096], reads: [0, 50, 95], ops: 1000, minOpsPerThread: 64, warmup: 128 };
const QUICK = { threads: [1, 64], sizes: [256, 4096], reads: [0, 95], ops: 300, minOpsPerThread: 16, warmup: 64 };

const DESIGN =
  'three sweeps through the base point, on every engine: all thread counts at the base size and read ratio; ' +
  'all sizes at the base thread count and read ratio; all read ratios at the base thread count and size. ' +
  'Ops and warm-up are per configuration (all threads together, at least one per thread); ' +
  'the keyspace is written before the timed phase only when the configuration reads.';

function list(name: string, allowed: (n: number) => boolean) {
  return (value: string | undefined): number[] | undefined => {
    if (value === undefined) return undefined;
    const items = String(value).split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || !allowed(n))) throw new Error(`--${name}: "${value}" is not a list like 1,4,16`);
    return items;
  };
}

function parseArgs(argv: string[]) {
  const args = yargs(argv)
    .scriptName('npm run bench --')
    .usage('$0 [options]\n\nThe whole system from the guest: kvbench in v86 → hypervisor → proxy → S3, per engine and configuration.')
    .option('quick', { type: 'boolean', default: false, describe: `a small matrix (threads ${QUICK.threads}, sizes ${QUICK.sizes}, reads ${QUICK.reads}, ${QUICK.ops} ops): under 3 minutes` })
    .option('engines', { type: 'string', default: ENGINES.join(','), describe: 'engines to run: memory, log, object' })
    .option('threads', { type: 'string', describe: `guest thread counts (default ${FULL.threads})` })
    .option('sizes', { type: 'string', describe: `value sizes in bytes, 1..4096 (default ${FULL.sizes})` })
    .option('reads', { type: 'string', describe: `read percentages (default ${FULL.reads})` })
    .option('ops', { type: 'number', describe: `timed ops per configuration (default ${FULL.ops} and at least ${FULL.minOpsPerThread} per thread; ${QUICK.ops} and ${QUICK.minOpsPerThread} with --quick; given: exactly this many)` })
    .option('warmup', { type: 'number', describe: `untimed ops per configuration before the clock starts (default ${FULL.warmup}, ${QUICK.warmup} with --quick)` })
    .option('rounds', { type: 'number', default: 1, describe: 'run the whole matrix this many times; each configuration reports its median round by ops/s' })
    .option('keys', { type: 'number', default: 512, describe: 'keyspace of configurations that read' })
    .option('latency', { type: 'boolean', default: true, describe: 'the S3 latency model (--no-latency: plain loopback S3)' })
    .option('s3-latency', { type: 'string', default: '20/80', describe: 'the model: P50[/P99] ms, put=…,get=…[,seed=N] (see npm run proxy -- --help)' })
    .option('s3-rate-limit', { type: 'string', default: 'on', describe: 'per-prefix rate limit: on (3500 PUT/5500 GET per s), off, PUT/GET' })
    .option('out', { type: 'string', default: DEFAULT_OUT, describe: 'JSON results; charts are written beside it' });
  return strictCli(args, (message) => {
    throw new Error(message);
  }).parseSync();
}

function matrixOptions(args: ReturnType<typeof parseArgs>): MatrixOptions {
  const defaults = args.quick ? QUICK : FULL;
  const engines = args.engines.split(',').map((e) => e.trim());
  const unknown = engines.filter((e) => !(ENGINES as readonly string[]).includes(e));
  if (engines.length === 0 || unknown.length > 0) throw new Error(`--engines: unknown engine ${unknown.join(', ')} (memory, log, object)`);
  const positive = (name: string, v: number | undefined, d: number, min = 1): number => {
    const n = v ?? d;
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    engines: engines as EngineName[],
    threads: list('threads', (n) => n >= 1 && n <= 255)(args.threads) ?? defaults.threads,
    sizes: list('sizes', (n) => n >= 1 && n <= 4096)(args.sizes) ?? defaults.sizes,
    reads: list('reads', (n) => n >= 0 && n <= 100)(args.reads) ?? defaults.reads,
    ops: positive('ops', args.ops, defaults.ops),
    // An explicit --ops is taken as it is (at least one per thread).
    minOpsPerThread: args.ops === undefined ? defaults.minOpsPerThread : 1,
    warmup: positive('warmup', args.warmup, defaults.warmup),
    keys: positive('keys', args.keys, 512),
  };
}

/**
 * One configuration's rounds → the round with the median ops/s, whole (its latencies and S3
 * counts belong together), with every round's ops/s beside it.
 */
export function medianRound(rounds: ConfigResult[]): ConfigResult {
  const sorted = [...rounds].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  const median = sorted[(sorted.length - 1) >> 1]!;
  return { ...median, opsPerSecondRounds: rounds.map((r) => r.opsPerSecond) };
}

/** What produced the figures: the commit and the versions of what is on the path. */
function versions(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout: the version alone.
  }
  return {
    hermitkv: pkg.version,
    commit,
    node: process.version,
    v86: pkg.dependencies['v86'] ?? '?',
    '@aws-sdk/client-s3': pkg.dependencies['@aws-sdk/client-s3'] ?? '?',
    s3rver: pkg.dependencies['s3rver'] ?? '?',
    'node-ipc': pkg.dependencies['node-ipc'] ?? '?',
    typescript: pkg.devDependencies['typescript'] ?? '?',
  };
}

export async function main(argv: string[]): Promise<number> {
  const started = performance.now();
  const args = parseArgs(argv);
  const matrix = matrixOptions(args);
  const latencyArgs = args.latency ? ['--s3-latency', args['s3-latency'], '--s3-rate-limit', args['s3-rate-limit']] : [];
  const model = args.latency ? parseLatencyFlags(args['s3-latency'], args['s3-rate-limit']) : undefined;
  if (!existsSync(KVBENCH_IMAGE)) throw new Error(`no guest image at ${KVBENCH_IMAGE}; build the images with \`make image\``);
  const kernel = readFileSync(KVBENCH_IMAGE);
  const configs = buildMatrix(matrix);
  const machine = machineFacts();
  const rounds = args.rounds;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  const progress = new Progress(configs.length * rounds);
  const problems: string[] = [];
  process.stderr.write(`${NAME}: ${configs.length} configurations × ${rounds} round${rounds === 1 ? '' : 's'} on ${describeMachine(machine)}; S3 latency model: ${describeLatencyModel(model)}\n`);

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-bench-'));
  // Whole rounds one after another, not one configuration N times: load from elsewhere on a
  // shared machine then spreads over every configuration instead of landing on one.
  const byConfig: ConfigResult[][] = configs.map(() => []);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, config] of configs.entries()) {
        const run = await runConfig(config, round * configs.length + i, { kernel, workDir, latencyArgs, progress, log: (line) => void problems.push(line) });
        const r = configResult(run);
        byConfig[i]!.push(r);
        const put = r.puts > 0 ? `, put p50 ${r.latencyMs.putP50} ms p99 ${r.latencyMs.putP99} ms` : '';
        progress.end(`${Math.round(r.opsPerSecond)} ops/s${put}, ${r.s3RequestsPerOp.toPrecision(3)} S3 req/op (${r.wallSeconds.toFixed(1)} s)`);
      }
    }
  } finally {
    progress.finish();
    rmSync(workDir, { recursive: true, force: true });
  }
  const results = byConfig.map(medianRound);
  for (const p of problems.slice(0, 10)) process.stderr.write(`host: ${p}\n`);

  const result: SystemBenchResult = {
    benchmark: 'system-end-to-end',
    schemaVersion: 1,
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    machine: { ...machine, loadAverage1mAfter: machineFacts().loadAverage1m },
    versions: versions(),
    matrix: { ...matrix, base: basePoint(matrix), design: DESIGN, quick: args.quick, rounds },
    latencyModel: model === undefined ? null : { ...model, description: describeLatencyModel(model) },
    endpoint: 'embedded (s3rver on 127.0.0.1, its own process and a fresh data directory per configuration)',
    prices: S3_PRICES,
    cdfLevels: RESULT_CDF_LEVELS,
    configs: results,
    targets: evaluateTargets(results, model?.put),
    ceiling: closedLoopCeiling(results),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const out = path.resolve(args.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const charts = writeCharts(result, out);
  process.stdout.write(`S3 latency model: ${result.latencyModel?.description ?? 'off'}\n\n${resultTable(result)}\n\n${targetsText(result.targets)}\n${ceilingText(result.ceiling)}\n\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), out)}\ncharts: ${charts.map((c) => path.relative(process.cwd(), c)).join(', ')}\ntook ${result.seconds} s\n`);
  return results.some((r) => r.errors > 0) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    process.exitCode = await main(hideBin(process.argv));
  } catch (err) {
    process.stderr.write(`${NAME}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
