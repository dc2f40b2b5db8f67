/**
 * The crash test: cycles of a concurrent guest workload (kvcrash in v86, under a real hypervisor
 * process) against a real proxy process that is SIGKILLed at a random moment and restarted, and in
 * some cycles the hypervisor (and with it the guest) killed as well. After each cycle the proxy is
 * killed once more and restarted, so the store is read back as recovery from S3 alone rebuilt it,
 * and the cycle's history — the guest's record of every operation plus these final reads — is
 * checked for linearizability key by key (check/linearizability.ts), starting from what the
 * previous cycle's final reads saw.
 *
 * That check covers what a crash must not do: an acknowledged put missing or replaced by an older
 * value, an acknowledged delete undone, a value nobody wrote, a torn value. Operations that
 * returned -1 or never returned may or may not have taken effect, and are checked as such.
 *
 * It also measures the proxy-death bound: how long requests in flight when the proxy was killed
 * took to complete (with -1) in the guest, and whether the application went on after the restart.
 */
import { rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WireOp, WireStatus } from '../../../proxy/src/ipc/protocol.js';
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../../proxy/src/s3/config.js';
import { ObjectStore } from '../../../proxy/src/s3/objectStore.js';
import { startEmbeddedEndpoint, type EmbeddedEndpoint } from '../../../proxy/src/s3/embeddedEndpoint.js';
import { seededRandom } from '../../../proxy/src/s3/latencyModel.js';
import { ConsoleHistory } from '../check/consoleHistory.js';
import { checkLinearizable, type KvOperation, type RegisterValue } from '../check/linearizability.js';
import { ProxyClient } from '../ipc/proxyClient.js';
import { HypervisorProcess, ProxyProcess, track } from './processes.js';
import { addFaultStats, OutageWatch } from './s3Trouble.js';
import { keyName, valueId } from './valueFormat.js';

export interface CrashTestOptions {
  cycles: number;
  seed: number;
  engine: string;
  image: string;
  threads: number;
  keys: number;
  /** How long each cycle's guest workload runs. */
  millis: number;
  /** Share of cycles in which the hypervisor is killed too. */
  hypervisorKillRate: number;
  /**
   * Which proxy kills to make: 'all' (under load and before the read-back), 'end' (only before
   * the read-back), 'none'. Default: 'all' for engines whose data survives a restart, else
   * 'none'. 'end' on the memory engine is how a test shows that a store losing acknowledged
   * writes in a crash is caught (under-load kills would leave failed deletes that may explain it).
   */
  kill?: 'all' | 'end' | 'none';
  /** Where the embedded S3 endpoint keeps its data (default: a temporary directory, removed). */
  dataDir?: string;
  /** Share (0..1) of the proxies' S3 attempts that fail (proxy/src/s3/faultInjection.ts); default 0. */
  s3Faults?: number;
  /** Share of cycles in which the S3 endpoint is stopped (SIGSTOP) for outageMs mid-run; default 0. */
  outageRate?: number;
  /** How long an outage lasts; default 3000 ms. */
  outageMs?: number;
  /** The proxies' S3 attempt timeout and operation deadline (ms); proxy defaults when absent. */
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  log: (line: string) => void;
}

export interface CrashTestReport {
  cycles: number;
  /** Operations the checker verified: the guest's (acknowledged, failed, unfinished) and the final reads. */
  operationsChecked: number;
  acknowledged: number;
  failed: number;
  unfinished: number;
  finalReads: number;
  proxyKills: number;
  hypervisorKills: number;
  /** Requests in flight at a proxy kill, and the longest any took to complete in the guest. */
  inFlightAtKill: number;
  maxInFlightCompletionMs: number;
  /** Cycles whose guest had operations acknowledged after the proxy came back. */
  cyclesWentOn: number;
  undecidedKeys: number;
  violations: string[];
  wallMs: number;
  /** Fault and retry counters of the proxies (s3.faults.<kind>, s3.retries, s3.gaveUp, …). */
  s3: Record<string, number>;
  /** S3 outages made, the guest calls they caught, how many returned -1, the slowest. */
  outages: number;
  outageCalls: number;
  outageFailed: number;
  maxOutageCallMs: number;
  /** Bound on a call caught by an outage (outageBoundMs). */
  outageBoundMs: number;
}

/** The longest a request in flight when the proxy dies may take to complete (docs/reliability.md). */
export const IN_FLIGHT_BOUND_MS = 5000;
const BUCKET = 'hermitkv-crashtest';
const SETTLE_MS = 300; // let a killed proxy's last S3 PUTs land before the next one recovers
const DEFAULT_DEADLINE_MS = 5000; // proxy/src/s3/retryPolicy.ts

/**
 * The longest a guest call may take when S3 stops answering: its own S3 operation's deadline,
 * after waiting (log engine) for the group commit in flight, which has a deadline too; plus 1 s
 * for everything else.
 */
export function outageBoundMs(deadlineMs = DEFAULT_DEADLINE_MS): number {
  return 2 * deadlineMs + 1000;
}

/** Engines whose data survives a proxy restart; on the others nothing is killed. */
function persistent(engine: string): boolean {
  return engine === 'log' || engine === 'object';
}

export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestReport> {
  const started = performance.now();
  const rng = seededRandom(options.seed); // a run's kill schedule repeats with --seed
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-crashtest-'));
  const socket = path.join(dir, 'proxy.sock');
  const prefix = `crashtest-${process.pid}-${Date.now().toString(36)}/`;
  const report: CrashTestReport = {
    cycles: 0, operationsChecked: 0, acknowledged: 0, failed: 0, unfinished: 0, finalReads: 0, proxyKills: 0,
    hypervisorKills: 0, inFlightAtKill: 0, maxInFlightCompletionMs: 0, cyclesWentOn: 0, undecidedKeys: 0, violations: [], wallMs: 0,
    s3: {}, outages: 0, outageCalls: 0, outageFailed: 0, maxOutageCallMs: 0, outageBoundMs: outageBoundMs(options.deadlineMs),
  };
  let endpoint: EmbeddedEndpoint | undefined;
  let proxy: ProxyProcess | undefined;
  let untrack = (): void => {};
  try {
    const args = ['--engine', options.engine, '--socket', socket];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (persistent(options.engine)) {
      endpoint = await startEmbeddedEndpoint({ dataDir: options.dataDir ?? dir });
      untrack = track(endpoint.pid);
      const store = new ObjectStore({ bucket: BUCKET, endpoint: endpoint.url, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
      await store.ensureBucket();
      store.close();
      args.push('--s3-endpoint', endpoint.url, '--bucket', BUCKET, '--prefix', prefix);
      Object.assign(env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
      for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete env[k];
    }
    if (options.attemptTimeoutMs !== undefined) args.push('--s3-attempt-timeout', String(options.attemptTimeoutMs));
    if (options.deadlineMs !== undefined) args.push('--s3-deadline', String(options.deadlineMs));
    let starts = 0;
    // Each proxy its own fault sequence (a restarted one would otherwise repeat the first's).
    const faultArgs = (): string[] =>
      (options.s3Faults ?? 0) > 0 ? ['--s3-faults', String(options.s3Faults), '--s3-fault-seed', String((options.seed + 7919 * starts++) % 2 ** 31)] : [];
    const startProxy = (): Promise<ProxyProcess> => ProxyProcess.start([...args, ...faultArgs()], env);
    proxy = await startProxy();
    let state = new Map<string, RegisterValue>();
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const ctx: Cycle = { cycle, options, rng, socket, proxy, startProxy, report, ...(endpoint === undefined ? {} : { endpointPid: endpoint.pid }) };
      state = await runCycle(ctx, state);
      proxy = ctx.proxy;
      report.cycles++;
    }
    await addFaultStats(socket, report.s3);
  } finally {
    await proxy?.stop().catch(() => {});
    await endpoint?.stop().catch(() => {});
    untrack();
    rmSync(dir, { recursive: true, force: true });
  }
  report.wallMs = performance.now() - started;
  return report;
}

interface Cycle {
  cycle: number;
  options: CrashTestOptions;
  rng: () => number;
  socket: string;
  proxy: ProxyProcess;
  startProxy: () => Promise<ProxyProcess>;
  report: CrashTestReport;
  /** The S3 endpoint process (persistent engines), for outages. */
  endpointPid?: number;
}

async function runCycle(ctx: Cycle, initial: Map<string, RegisterValue>): Promise<Map<string, RegisterValue>> {
  const { options, rng, report } = ctx;
  const killMode = options.kill ?? (persistent(options.engine) ? 'all' : 'none');
  // An outage cycle has no kills under load: a proxy restarted while S3 is stopped could not recover.
  const outage = (options.outageRate ?? 0) > 0 && ctx.endpointPid !== undefined && rng() < options.outageRate!;
  const kills = killMode === 'all' && !outage;
  const killHypervisor = kills && rng() < options.hypervisorKillRate;
  const watch = new OutageWatch();
  const violations: string[] = [];
  const history = new ConsoleHistory(0, `c${ctx.cycle}.`);
  const watched = new Map<string, number>(); // in flight at the proxy kill → kill time
  let restartedAt: number | undefined;
  let ackedAfterRestart = 0;
  let booted!: () => void;
  const boot = new Promise<void>((resolve) => (booted = resolve));
  const guestArgs = [ctx.cycle, options.threads, options.keys, Math.floor(rng() * 2 ** 31), options.millis].map(String);
  const hv = HypervisorProcess.start(options.image, ctx.socket, guestArgs, (line) => {
    if (line.startsWith('kvcrash: run')) booted();
    const invoked = watch.active ? /^I (\d+) (\d+) /.exec(line) : null;
    if (invoked !== null) watch.invoked(`c${ctx.cycle}.t${invoked[1]}#${invoked[2]}`, performance.now());
    const done = history.line(line);
    if (done === undefined) return;
    if (outage) watch.completed(done.id, done.answered, performance.now());
    const killedAt = watched.get(done.id);
    if (killedAt !== undefined) {
      watched.delete(done.id);
      report.maxInFlightCompletionMs = Math.max(report.maxInFlightCompletionMs, performance.now() - killedAt);
    }
    if (restartedAt !== undefined && done.answered) ackedAfterRestart++;
  });
  const hvExit = hv.exited;
  await Promise.race([boot, hvExit, guard(60_000)]);

  // Modes: the proxy killed (and restarted) mid-run; in some cycles the hypervisor is killed too,
  // after the restart or instead (then with requests in flight in a live proxy).
  let note = killMode === 'end' ? 'no kill under load' : 'no kill';
  const hypervisorOnly = killHypervisor && rng() < 0.5;
  if (kills && hv.running && !hypervisorOnly) {
    await sleep(options.millis * (0.05 + 0.3 * rng()));
    await addFaultStats(ctx.socket, report.s3);
    const killedAt = performance.now();
    for (const id of history.inFlight()) watched.set(id, killedAt);
    report.inFlightAtKill += watched.size;
    const inFlight = watched.size;
    await ctx.proxy.kill();
    report.proxyKills++;
    await sleep(300 * rng());
    ctx.proxy = await ctx.startProxy();
    restartedAt = performance.now();
    note = `proxy killed (${inFlight} in flight), back after ${Math.round(restartedAt - killedAt)} ms`;
  }
  if (outage && hv.running) {
    await sleep(options.millis * (0.1 + 0.3 * rng()));
    const ms = options.outageMs ?? 3000;
    watch.begin(history.inFlight(), performance.now());
    process.kill(ctx.endpointPid!, 'SIGSTOP');
    try {
      await sleep(ms);
    } finally {
      process.kill(ctx.endpointPid!, 'SIGCONT');
    }
    watch.end(performance.now());
    report.outages++;
    note = `S3 stopped for ${ms} ms`;
  }
  if (killHypervisor && hv.running) {
    // Alone: anywhere in the run. After a proxy restart: once traffic has resumed.
    await sleep(hypervisorOnly ? options.millis * (0.1 + 0.7 * rng()) : 200 + 400 * rng());
    if (hv.running) {
      hv.kill();
      report.hypervisorKills++;
      note = `${note === 'no kill' ? '' : `${note}, `}hypervisor killed`;
    }
  }
  const exit = await Promise.race([hvExit, guard(options.millis + 60_000).then(() => undefined)]);
  if (exit === undefined) {
    hv.kill();
    violations.push(`the guest did not finish within ${options.millis + 60_000} ms (hung?)`);
  } else if (exit.signal === null && exit.code !== 0) {
    violations.push(`the guest exited with status ${exit.code}: ${hv.stderrTail.split('\n').slice(-5).join(' | ')}`);
  }
  if (exit?.signal === null && watched.size > 0) {
    violations.push(`${watched.size} requests in flight when the proxy died never completed`);
  }
  if (outage) {
    report.outageCalls += watch.calls;
    report.outageFailed += watch.failed;
    report.maxOutageCallMs = Math.max(report.maxOutageCallMs, watch.maxCallMs);
    note += `: ${watch.calls} calls caught (${watch.failed} returned -1, slowest ${Math.round(watch.maxCallMs)} ms), ${watch.ackedAfter} acknowledged after it`;
    if (watch.maxCallMs > report.outageBoundMs) violations.push(`a call caught by the S3 outage took ${Math.round(watch.maxCallMs)} ms (bound ${report.outageBoundMs} ms)`);
    if (exit?.signal === null && watch.unfinished > 0) violations.push(`${watch.unfinished} calls caught by the S3 outage never completed`);
    if (exit?.signal === null && watch.ackedAfter === 0) violations.push('the application got no operation through after S3 came back');
  }
  if (restartedAt !== undefined && ackedAfterRestart > 0) report.cyclesWentOn++;
  if (restartedAt !== undefined && exit?.signal === null && ackedAfterRestart === 0) {
    violations.push('the application got no operation through after the proxy came back');
  }

  // The end of the cycle: kill the proxy once more so the store is read as recovery sees it.
  if (killMode !== 'none') {
    await addFaultStats(ctx.socket, report.s3);
    await ctx.proxy.kill();
    report.proxyKills++;
    await sleep(SETTLE_MS);
    ctx.proxy = await ctx.startProxy();
  }
  const ops = history.finish();
  violations.push(...history.torn, ...history.malformed.map((l) => `malformed record: ${l}`));
  const { reads, final } = await readBack(ctx.socket, options.keys, history.now, violations);
  const result = checkLinearizable([...ops, ...reads], { initial });
  for (const v of result.violations) violations.push(`key ${v.key}: ${v.message}`);

  report.operationsChecked += result.operations;
  report.acknowledged += history.counts.acknowledged;
  report.failed += history.counts.failed;
  report.unfinished += history.counts.unfinished;
  report.finalReads += reads.length;
  report.undecidedKeys += result.undecided.length;
  report.violations.push(...violations.map((v) => `cycle ${ctx.cycle}: ${v}`));
  const c = history.counts;
  options.log(
    `cycle ${ctx.cycle}/${options.cycles}: ${note}; ${c.invoked} ops (${c.acknowledged} acknowledged, ${c.failed} failed, ` +
      `${c.unfinished} unfinished), ${ackedAfterRestart} acknowledged after the restart, ${reads.length} keys read back, ` +
      `${violations.length} violations`,
  );
  for (const v of violations.slice(0, 5)) options.log(`  VIOLATION ${v}`);
  return final;
}

/** Reads every key straight from the proxy: the final reads of the cycle's history. */
async function readBack(
  socket: string,
  keys: number,
  after: number,
  violations: string[],
): Promise<{ reads: KvOperation[]; final: Map<string, RegisterValue> }> {
  const client = await ProxyClient.connect(socket);
  const reads: KvOperation[] = [];
  const final = new Map<string, RegisterValue>();
  try {
    for (let k = 0; k < keys; k++) {
      // A get may fail (S3 faults): it said nothing, so it is asked again, a few times.
      let reply = await client.request(WireOp.Get, keyName(k));
      for (let tries = 1; tries < 5 && !(reply.kind === 'response' && reply.response.status !== WireStatus.IoError); tries++) {
        await sleep(200);
        reply = await client.request(WireOp.Get, keyName(k));
      }
      const call = after + 2 * k + 1;
      if (reply.kind !== 'response' || (reply.response.status !== WireStatus.Ok && reply.response.status !== WireStatus.NotFound)) {
        violations.push(`read-back of key ${k} failed: ${reply.kind === 'response' ? reply.response.value.toString() : reply.reason}`);
        continue;
      }
      let value: RegisterValue = null;
      if (reply.response.status === WireStatus.Ok) {
        const vid = valueId(reply.response.value, k);
        if (vid === undefined) {
          violations.push(`read-back of key ${k}: a torn, corrupt or foreign value of ${reply.response.value.length} bytes`);
          continue;
        }
        value = vid;
      }
      final.set(String(k), value);
      reads.push({ id: `read-back ${k}`, key: String(k), kind: 'read', value, call, ret: call + 1 });
    }
  } finally {
    client.close();
  }
  return { reads, final };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A timeout that does not keep the process alive once everything else is done. */
function guard(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
