/**
 * `npm run bench:channel`: the device channel against its floor, all measured in one run (the
 * machine is shared and noisy, so only figures from the same session are compared):
 *
 *   1. ipc floor   — a raw Unix-socket round trip between two Node processes (ipcBench's `raw`);
 *   2. v86 floor   — the kvbench guest in v86 against an in-process backend that answers at once
 *                    (no proxy, no socket): the guest's own cost plus v86's asynchronous completion;
 *   3. get latency — kvbench `-t 1`, 100% gets, through a real proxy on the `memory` engine;
 *   4. throughput  — kvbench `-t 16` and `-t 64` (90% gets) on the same proxy.
 *
 * Each latency figure is the median over `--rounds` interleaved rounds; the ratio is
 * p50(get) / (p50(ipc floor) + p50(v86 floor)), the target being ≤ 1.3; the throughput target
 * is ≥ 20,000 ops/s. Prints a table and one `BENCH_CHANNEL {json}` line.
 *
 * Every guest run first does `--warmup` untimed ops per thread (kvbench -w): v86 compiles guest
 * code to WebAssembly the first times it runs it, and a short run otherwise measures mostly that.
 *
 *   npm run bench:channel -- [--rounds 3] [--ops 4000] [--mt-ops 2000] [--warmup 400]
 *                            [--ipc-n 3000] [--keys 256] [--threads 16,64]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WireOp, WireStatus } from '../../../proxy/src/ipc/protocol.js';
import type { ProxyReply } from '../ipc/proxyClient.js';
import type { KvBackend } from '../kv/device.js';
import { REPO_ROOT } from '../paths.js';
import { connectProxy } from '../proxyLauncher.js';
import { runGuest } from '../vm.js';
import { ipcFloor } from './ipcBench.js';

export interface KvbenchResult {
  threads: number;
  ops: number;
  value_size: number;
  read_pct: number;
  seconds: number;
  ops_per_s: number;
  get_p50_us: number;
  get_p99_us: number;
  put_p50_us: number;
  put_p99_us: number;
  errors: number;
  /** Timed gets and puts, and the latency CDF at cdf_permille (kvbench from issue 6 on). */
  gets?: number;
  puts?: number;
  cdf_permille?: number[];
  get_cdf_us?: number[];
  put_cdf_us?: number[];
}

export interface ChannelBenchOptions {
  /** Interleaved rounds of the latency measurements (1–3); medians are reported. */
  rounds: number;
  /** Gets per latency run (kvbench -t 1 -n). */
  ops: number;
  /** Ops per thread in the throughput runs (kvbench -t 16/64 -n). */
  mtOps: number;
  /** Round trips of the raw-socket floor per round. */
  ipcRoundTrips: number;
  /** kvbench keyspace (-k): preloaded before each run. */
  keys: number;
  /** Untimed ops per thread before each guest run's timed phase (kvbench -w). */
  warmup: number;
  /** Thread counts of the throughput runs. */
  threads: number[];
  log?: (line: string) => void;
}

export interface ChannelBenchResult {
  rounds: number;
  ipc_floor: { p50_us: number; p99_us: number };
  v86_floor: { p50_us: number; p99_us: number };
  floor_p50_us: number;
  get: { p50_us: number; p99_us: number; ops_per_s: number };
  ratio: number;
  throughput: { threads: number; ops_per_s: number; get_p50_us: number; get_p99_us: number; errors: number }[];
  errors: number;
  seconds: number;
}

const KVBENCH_IMAGE = path.join(REPO_ROOT, 'images', 'kvbench.elf');

/** A KvBackend that answers from a Map at once: the guest and v86 alone, no IPC. */
export function inProcessBackend(): KvBackend {
  const data = new Map<string, Buffer>();
  const empty: Buffer = Buffer.alloc(0);
  const reply = (id: number, status: WireStatus, value = empty): Promise<ProxyReply> =>
    Promise.resolve({ kind: 'response', response: { id, status, value } });
  let id = 0;
  return {
    request(op: WireOp, key: Buffer, value: Buffer = empty): Promise<ProxyReply> {
      const k = key.toString('latin1');
      id++;
      switch (op) {
        case WireOp.Put:
          data.set(k, Buffer.from(value));
          return reply(id, WireStatus.Ok);
        case WireOp.Get: {
          const v = data.get(k);
          return v === undefined ? reply(id, WireStatus.NotFound) : reply(id, WireStatus.Ok, v);
        }
        case WireOp.Delete:
          data.delete(k);
          return reply(id, WireStatus.Ok);
        default:
          return reply(id, WireStatus.Invalid);
      }
    },
  };
}

/** One kvbench guest run against `backend`; resolves with its KVBENCH line. */
export async function runKvbench(kernel: Uint8Array, backend: KvBackend, args: string[], log: (line: string) => void, timeoutMs = 120_000): Promise<KvbenchResult> {
  let out = '';
  const result = await runGuest({
    kernel,
    argv: ['kvbench', ...args],
    memorySize: 64 * 1024 * 1024,
    backend,
    console: (_fd, bytes) => {
      out += bytes.toString('utf8');
    },
    log,
    timeoutMs,
  });
  const line = /^KVBENCH (\{.*\})$/m.exec(out)?.[1];
  if (result.exitStatus !== 0 || line === undefined) {
    throw new Error(`kvbench ${args.join(' ')} failed (exit status ${result.exitStatus}): ${out.trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(line) as KvbenchResult;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function channelBench(options: ChannelBenchOptions): Promise<ChannelBenchResult> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const kernel = readFileSync(KVBENCH_IMAGE);
  const problems: string[] = [];
  const hostLog = (line: string): void => void problems.push(line);
  const link = await connectProxy({ ownProxy: true, proxyArgs: ['--engine', 'memory'], log: hostLog });
  const ipc: { p50: number; p99: number }[] = [];
  const v86: KvbenchResult[] = [];
  const gets: KvbenchResult[] = [];
  const throughput: KvbenchResult[] = [];
  const warmup = ['-w', String(options.warmup)];
  const latencyArgs = ['-t', '1', '-n', String(options.ops), '-s', '64', '-r', '100', '-k', String(options.keys), ...warmup];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const floor = await ipcFloor(options.ipcRoundTrips);
      ipc.push(floor);
      log(`round ${round}: ipc floor p50 ${floor.p50.toFixed(0)} µs`);
      const local = await runKvbench(kernel, inProcessBackend(), latencyArgs, hostLog);
      v86.push(local);
      log(`round ${round}: v86 floor p50 ${local.get_p50_us.toFixed(0)} µs`);
      const real = await runKvbench(kernel, link.backend, latencyArgs, hostLog);
      gets.push(real);
      log(`round ${round}: get p50 ${real.get_p50_us.toFixed(0)} µs`);
    }
    for (const t of options.threads) {
      const r = await runKvbench(kernel, link.backend, ['-t', String(t), '-n', String(options.mtOps), '-s', '64', '-r', '90', '-k', String(options.keys), ...warmup], hostLog);
      throughput.push(r);
      log(`${t} threads: ${r.ops_per_s} ops/s`);
    }
  } finally {
    await link.close();
  }
  for (const p of problems.slice(0, 5)) log(`host: ${p}`);
  const ipcP50 = median(ipc.map((r) => r.p50));
  const v86P50 = median(v86.map((r) => r.get_p50_us));
  const getP50 = median(gets.map((r) => r.get_p50_us));
  const errors = [...v86, ...gets, ...throughput].reduce((n, r) => n + r.errors, 0);
  return {
    rounds: options.rounds,
    ipc_floor: { p50_us: ipcP50, p99_us: median(ipc.map((r) => r.p99)) },
    v86_floor: { p50_us: v86P50, p99_us: median(v86.map((r) => r.get_p99_us)) },
    floor_p50_us: ipcP50 + v86P50,
    get: { p50_us: getP50, p99_us: median(gets.map((r) => r.get_p99_us)), ops_per_s: median(gets.map((r) => r.ops_per_s)) },
    ratio: getP50 / (ipcP50 + v86P50),
    throughput: throughput.map((r) => ({ threads: r.threads, ops_per_s: r.ops_per_s, get_p50_us: r.get_p50_us, get_p99_us: r.get_p99_us, errors: r.errors })),
    errors,
    seconds: (performance.now() - started) / 1000,
  };
}

export function formatChannelBench(r: ChannelBenchResult): string {
  const us = (v: number): string => v.toFixed(0).padStart(8);
  const rows = [
    `measure (median of ${r.rounds})           p50 µs   p99 µs   ops/s`,
    `1 ipc floor (raw Unix socket)   ${us(r.ipc_floor.p50_us)} ${us(r.ipc_floor.p99_us)}`,
    `2 v86 floor (in-process, t=1)   ${us(r.v86_floor.p50_us)} ${us(r.v86_floor.p99_us)}`,
    `  floor = 1 + 2                 ${us(r.floor_p50_us)}`,
    `3 get via proxy (memory, t=1)   ${us(r.get.p50_us)} ${us(r.get.p99_us)} ${r.get.ops_per_s.toFixed(0).padStart(7)}`,
    `  ratio p50 / floor             ${r.ratio.toFixed(2).padStart(8)}   (target ≤ 1.30)`,
    ...r.throughput.map(
      (t) => `4 ${String(t.threads).padStart(2)} threads (memory, 90% get) ${us(t.get_p50_us)} ${us(t.get_p99_us)} ${t.ops_per_s.toFixed(0).padStart(7)}   (target ≥ 20000)`,
    ),
  ];
  return rows.join('\n');
}

function parseArgs(argv: string[]): ChannelBenchOptions {
  const options: ChannelBenchOptions = { rounds: 3, ops: 4000, mtOps: 2000, warmup: 400, ipcRoundTrips: 3000, keys: 256, threads: [16, 64] };
  const names: Record<string, keyof ChannelBenchOptions> = { '--rounds': 'rounds', '--ops': 'ops', '--mt-ops': 'mtOps', '--ipc-n': 'ipcRoundTrips', '--keys': 'keys', '--warmup': 'warmup' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') {
      const threads = (argv[i + 1] ?? '').split(',').map(Number);
      if (threads.some((t) => !Number.isInteger(t) || t < 1 || t > 255)) throw new Error(`--threads takes thread counts like 16,64 (got ${argv[i + 1] ?? ''})`);
      options.threads = threads;
      i++;
      continue;
    }
    const name = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (name === undefined || !Number.isInteger(value) || value < (name === 'warmup' ? 0 : 1)) {
      throw new Error(`usage: bench:channel [--rounds N] [--ops N] [--mt-ops N] [--ipc-n N] [--keys N] [--warmup N] [--threads A,B] (got ${argv[i]} ${argv[i + 1] ?? ''})`);
    }
    (options as unknown as Record<string, number>)[name] = value;
    i++;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  console.log(
    `device channel vs floor: ${options.rounds} rounds; t=1: ${options.ops} gets of 64 B; t=${options.threads.join('/')}: ${options.mtOps} ops per thread after ${options.warmup} untimed; keyspace ${options.keys}`,
  );
  const result = await channelBench({ ...options, log: (line) => console.log(`  ${line}`) });
  console.log(formatChannelBench(result));
  console.log(`BENCH_CHANNEL ${JSON.stringify(result)}`);
  if (result.errors > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main();
}
