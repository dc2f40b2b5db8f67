/**
 * `npm run crashtest -- --cycles N [--seed S] [--engine log]`: see crashTest.ts. Prints one line
 * per cycle and a summary; exit status 1 on any violation.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { REPO_ROOT } from '../paths.js';
import { IN_FLIGHT_BOUND_MS, runCrashTest } from './crashTest.js';
import { stopAll } from './processes.js';

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
  .strict()
  .help()
  .version(false)
  .parseSync();

const image = path.join(REPO_ROOT, 'images', 'kvcrash.elf');
if (!existsSync(image)) {
  console.error(`crashtest: ${image} is missing; build the guest images with \`make image\``);
  process.exit(2);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopAll(); // the proxy, hypervisor and S3 endpoint it started
    process.exit(130);
  });
}

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
  log: (line) => console.log(line),
});
const r = report;
console.log(
  [
    `crashtest: ${r.cycles} cycles run, ${r.operationsChecked} operations verified ` +
      `(${r.acknowledged} acknowledged, ${r.operationsChecked - r.acknowledged - r.finalReads} writes of unknown outcome, ` +
      `${r.finalReads} reads back after recovery), ${r.violations.length} violations`,
    `crashtest: guest calls: ${r.acknowledged + r.failed + r.unfinished} (${r.failed} returned -1, ${r.unfinished} never returned)`,
    `crashtest: ${r.proxyKills} proxy kills, ${r.hypervisorKills} hypervisor kills; ${r.inFlightAtKill} requests in flight at a proxy kill, ` +
      `all completed with -1 within ${Math.round(r.maxInFlightCompletionMs)} ms (bound ${IN_FLIGHT_BOUND_MS} ms); ` +
      `the application went on after the restart in ${r.cyclesWentOn} cycles`,
    `crashtest: ${r.undecidedKeys} keys undecided (search budget); wall time ${(r.wallMs / 1000).toFixed(1)} s`,
  ].join('\n'),
);
for (const v of r.violations.slice(0, 20)) console.log(`VIOLATION ${v}`);
const bad = r.violations.length > 0 || r.maxInFlightCompletionMs > IN_FLIGHT_BOUND_MS;
process.exitCode = bad ? 1 : 0;
