/**
 * `npm run crashtest -- --cycles N [--seed S] [--engine log]`: see crashTest.ts. Prints one line
 * per cycle and a summary; exit status 1 on any violation.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCrashTest } from './crashTest.js';
import { kvcrashImage, stopAllOnSignals } from './commandSetup.js';
import { failed, summaryLines } from './summary.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm run crashtest --')
  .usage('$0 [options]\n\nKills the proxy (and sometimes the hypervisor) under a concurrent guest workload and checks the history for linearizability.')
  .option('cycles', { type: 'number', default: 10, describe: 'crash cycles to run' })
  .option('seed', { type: 'number', describe: 'seed of the kill schedule and the workload (default: from the clock; printed)' })
  .option('engine', { type: 'string', default: 'log', describe: 'proxy engine: log, object (killed and recovered), memory (never killed)' })
  .option('threads', { type: 'number', default: 8, describe: 'guest threads' })
  .option('keys', { type: 'number', default: 16, describe: 'size of the key space (small: contention)' })
  .option('millis', { type: 'number', default: 3000, describe: 'how long the guest workload runs per cycle' })
  .option('hypervisor-kill-rate', { type: 'number', default: 0.25, describe: 'share of cycles in which the hypervisor is killed too' })
  .option('data-dir', { type: 'string', describe: 'embedded S3 data directory (default: a temporary one)' })
  .option('s3-faults', { type: 'number', default: 0, describe: 'share (0..1) of the proxies\' S3 attempts that fail (injected faults)' })
  .option('s3-outage', { type: 'boolean', default: false, describe: 'in half the cycles, stop the S3 endpoint (SIGSTOP) mid-run, instead of the kills under load' })
  .option('outage-ms', { type: 'number', default: 3000, describe: 'how long an S3 outage lasts' })
  .option('s3-attempt-timeout', { type: 'number', describe: 'the proxies\' S3 attempt timeout, ms (default 2000)' })
  .option('s3-deadline', { type: 'number', describe: 'the proxies\' S3 operation deadline, ms (default 5000)' })
  .strict()
  .help()
  .version(false)
  .parseSync();

const image = kvcrashImage('crashtest');
stopAllOnSignals();

const seed = argv.seed ?? Date.now() % 2 ** 31;
console.log(`crashtest: ${argv.cycles} cycles, engine ${argv.engine}, seed ${seed}, ${argv.threads} threads on ${argv.keys} keys, ${argv.millis} ms per cycle`);
const report = await runCrashTest({
  cycles: argv.cycles,
  seed,
  engine: argv.engine,
  image,
  threads: argv.threads,
  keys: argv.keys,
  millis: argv.millis,
  hypervisorKillRate: argv['hypervisor-kill-rate'],
  ...(argv['data-dir'] === undefined ? {} : { dataDir: argv['data-dir'] }),
  s3Faults: argv['s3-faults'],
  outageRate: argv['s3-outage'] ? 0.5 : 0,
  outageMs: argv['outage-ms'],
  ...(argv['s3-attempt-timeout'] === undefined ? {} : { attemptTimeoutMs: argv['s3-attempt-timeout'] }),
  ...(argv['s3-deadline'] === undefined ? {} : { deadlineMs: argv['s3-deadline'] }),
  log: (line) => console.log(line),
});
for (const line of summaryLines('crashtest', report)) console.log(line);
process.exitCode = failed(report) ? 1 : 0;
