/**
 * `npm run faulttest -- [--cycles N] [--seed S] [--engine log|object] [--rate R] [--kills] [--s3-outage]`:
 * the crash test's workload and linearizability check (crashTest.ts) with a share of the proxy's
 * S3 attempts failing (proxy/src/s3/faultInjection.ts; 10% by default). The proxy is killed
 * once per cycle, before the read-back, so what the guest saw acknowledged is checked against
 * what recovery from S3 finds; `--kills` adds the crash test's kills under load, `--s3-outage`
 * stops the S3 endpoint mid-run in half the cycles. Prints operations verified, faults injected
 * by kind, retries, operations that gave up, and violations; exit status 1 on any violation.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCrashTest } from './crashTest.js';
import { kvcrashImage, stopAllOnSignals } from './commandSetup.js';
import { failed, summaryLines } from './summary.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run faulttest --')
  .usage('$0 [options]\n\nRuns the crash-test workload with injected S3 faults and checks the history for linearizability.')
  .option('cycles', { type: 'number', default: 10, describe: 'cycles to run' })
  .option('seed', { type: 'number', describe: 'seed of the workload, the schedule and the faults (default: from the clock; printed)' })
  .option('engine', { type: 'string', default: 'log', describe: 'proxy engine: log or object' })
  .option('rate', { type: 'number', default: 0.1, describe: 'share (0..1) of S3 attempts that fail' })
  .option('threads', { type: 'number', default: 8, describe: 'guest threads' })
  .option('keys', { type: 'number', default: 16, describe: 'size of the key space' })
  .option('millis', { type: 'number', default: 3000, describe: 'how long the guest workload runs per cycle' })
  .option('kills', { type: 'boolean', default: false, describe: 'also kill the proxy (and sometimes the hypervisor) under load' })
  .option('s3-outage', { type: 'boolean', default: false, describe: 'in half the cycles, stop the S3 endpoint (SIGSTOP) mid-run' })
  .option('outage-ms', { type: 'number', default: 3000, describe: 'how long an S3 outage lasts' })
  .option('s3-attempt-timeout', { type: 'number', default: 500, describe: 'the proxy\'s S3 attempt timeout, ms (loopback answers in ms)' })
  .option('s3-deadline', { type: 'number', default: 5000, describe: 'the proxy\'s S3 operation deadline, ms' })
  .strict()
  .help()
  .version(false)
  .parseSync();

const image = kvcrashImage('faulttest');
stopAllOnSignals();

const seed = argv.seed ?? Date.now() % 2 ** 31;
console.log(
  `faulttest: ${argv.cycles} cycles, engine ${argv.engine}, seed ${seed}, ${Math.round(argv.rate * 1000) / 10}% of S3 attempts failing, ` +
    `attempt timeout ${argv['s3-attempt-timeout']} ms, deadline ${argv['s3-deadline']} ms, ${argv.threads} threads on ${argv.keys} keys, ${argv.millis} ms per cycle`,
);
const report = await runCrashTest({
  cycles: argv.cycles,
  seed,
  engine: argv.engine,
  image,
  threads: argv.threads,
  keys: argv.keys,
  millis: argv.millis,
  hypervisorKillRate: argv.kills ? 0.25 : 0,
  kill: argv.kills ? 'all' : 'end',
  s3Faults: argv.rate,
  outageRate: argv['s3-outage'] ? 0.5 : 0,
  outageMs: argv['outage-ms'],
  attemptTimeoutMs: argv['s3-attempt-timeout'],
  deadlineMs: argv['s3-deadline'],
  log: (line) => console.log(line),
});
for (const line of summaryLines('faulttest', report)) console.log(line);
process.exitCode = failed(report) ? 1 : 0;
