// Smoke test of `npm run bench:channel` (dist/emulator/src/bench/channelBench.js, built by jest's
// globalSetup) with tiny op counts: the output is well formed and every measured run succeeded.
// Speed is not checked here: that is the benchmark's job, on a quiet machine.
import { execFile } from 'node:child_process';
import { requireImage } from './support/runCli.js';

interface BenchChannel {
  rounds: number;
  ipc_floor: { p50_us: number; p99_us: number };
  v86_floor: { p50_us: number; p99_us: number };
  floor_p50_us: number;
  get: { p50_us: number; p99_us: number; ops_per_s: number };
  ratio: number;
  throughput: { threads: number; ops_per_s: number; errors: number }[];
  errors: number;
}

describe('npm run bench:channel', () => {
  it('prints the floor, the get latency, the ratio and ops/s, and a BENCH_CHANNEL line', async () => {
    requireImage('images/kvbench.elf');
    const args = ['--rounds', '1', '--ops', '40', '--mt-ops', '4', '--keys', '16', '--ipc-n', '100', '--threads', '4', '--warmup', '2'];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['dist/emulator/src/bench/channelBench.js', ...args], { timeout: 35_000 }, (err, out, errOut) =>
        err ? reject(new Error(`${err.message}\n${out}\n${errOut}`)) : resolve(out),
      ),
    );
    expect(stdout).toMatch(/^1 ipc floor \(raw Unix socket\)\s+\d+\s+\d+$/m);
    expect(stdout).toMatch(/^2 v86 floor \(in-process, t=1\)\s+\d+\s+\d+$/m);
    expect(stdout).toMatch(/^\s+ratio p50 \/ floor\s+\d+\.\d\d/m);
    expect(stdout).toMatch(/^4\s+4 threads .*\s\d+\s+\(target ≥ 20000\)$/m);
    const r = JSON.parse(/^BENCH_CHANNEL (\{.*\})$/m.exec(stdout)![1]!) as BenchChannel;
    expect(r.rounds).toBe(1);
    expect(r.errors).toBe(0);
    for (const v of [r.ipc_floor.p50_us, r.v86_floor.p50_us, r.get.p50_us, r.get.ops_per_s]) expect(v).toBeGreaterThan(0);
    expect(r.floor_p50_us).toBeCloseTo(r.ipc_floor.p50_us + r.v86_floor.p50_us, 6);
    expect(r.ratio).toBeCloseTo(r.get.p50_us / r.floor_p50_us, 6);
    expect(r.throughput).toEqual([expect.objectContaining({ threads: 4, errors: 0 })]);
    expect(r.throughput[0]!.ops_per_s).toBeGreaterThan(0);
  }, 40_000);
});
