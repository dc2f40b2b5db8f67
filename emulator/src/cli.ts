/**
 * `npm start -- [image] [options] [-- app args]`: boots a guest image in v86 with the KV device
 * connected to a proxy, streams the guest console and exits with the guest's status.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ProxyStartError, connectProxy, unavailableLink, type ProxyLink } from './proxyLauncher.js';
import { runGuest } from './vm.js';
import { DEFAULT_IMAGE } from './paths.js';
import { formatStats } from './statsReport.js';
import { TraceWriter } from './trace/traceWriter.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('npm start --')
  .usage('$0 [image] [options] [-- app args]\n\nBoots a hermitkv guest image in v86 and connects its KV device to the proxy.')
  .command('$0 [image]', false)
  .positional('image', { type: 'string', default: DEFAULT_IMAGE, describe: 'Multiboot ELF built by `make image`' })
  .option('engine', { type: 'string', describe: 'storage engine of a proxy started for this run: log (default), object, memory' })
  .option('cache-size', { type: 'string', describe: 'log engine value cache of a proxy started for this run, e.g. 64m' })
  .option('gc-every', { type: 'string', describe: 'log engine of a proxy started for this run: garbage collection every N segments (0: off)' })
  .option('compact-every', { type: 'string', describe: 'log engine of a proxy started for this run: compaction considered every N segments (0: off)' })
  .option('s3-latency', { type: 'string', describe: 'benchmarks: delay S3 requests like real S3 (see npm run proxy -- --help)' })
  .option('s3-rate-limit', { type: 'string', describe: 'benchmarks: cap S3 requests per second per prefix (on, off, PUT/GET)' })
  .option('s3-faults', { type: 'string', describe: 'tests: share (0..1) of S3 attempts a proxy started for this run makes fail (see npm run proxy -- --help)' })
  .option('s3-fault-seed', { type: 'string', describe: 'tests: seed of that fault injection' })
  .option('s3-attempt-timeout', { type: 'string', describe: 'S3 attempt timeout (ms) of a proxy started for this run' })
  .option('s3-deadline', { type: 'string', describe: 'S3 operation deadline (ms) of a proxy started for this run' })
  .option('s3-endpoint', { type: 'string', describe: 'S3 endpoint URL, or "aws" for AWS S3 (default: embedded endpoint unless AWS is configured)' })
  .option('bucket', { type: 'string', describe: 'S3 bucket (default hermitkv)' })
  .option('prefix', { type: 'string', describe: 'key prefix inside the bucket (default kv/)' })
  .option('data-dir', { type: 'string', describe: 'where the embedded S3 endpoint keeps its data (default .data)' })
  .option('socket', { type: 'string', describe: 'use the proxy listening on this socket instead of starting one' })
  .option('own-proxy', { type: 'boolean', default: false, describe: 'start a private proxy even if `npm run proxy` is running' })
  .option('memsize', { type: 'number', default: 64, describe: 'guest RAM in MiB' })
  .option('timeout', { type: 'number', describe: 'stop the guest after this many seconds (exit status 124)' })
  .option('trace', { type: 'string', describe: 'write one JSON line per KV hypercall to FILE (summarise with `npm run trace -- FILE`)' })
  .option('trace-keys', { type: 'boolean', default: false, describe: 'include key bytes (hex) in the trace; values never appear' })
  .option('stats', { type: 'boolean', default: false, describe: 'print hypercall and S3 statistics at exit' })
  .parserConfiguration({ 'populate--': true })
  .strict()
  .help()
  .version(false)
  .parseSync();

function proxyArgs(): string[] {
  const args: string[] = [];
  const pass = (flag: string, value: string | undefined): void => {
    if (value !== undefined) args.push(`--${flag}`, value);
  };
  pass('engine', argv.engine);
  pass('s3-endpoint', argv['s3-endpoint']);
  pass('bucket', argv.bucket);
  pass('prefix', argv.prefix);
  pass('data-dir', argv['data-dir']);
  pass('cache-size', argv['cache-size']);
  pass('gc-every', argv['gc-every']);
  pass('compact-every', argv['compact-every']);
  pass('s3-latency', argv['s3-latency']);
  pass('s3-rate-limit', argv['s3-rate-limit']);
  pass('s3-faults', argv['s3-faults']);
  pass('s3-fault-seed', argv['s3-fault-seed']);
  pass('s3-attempt-timeout', argv['s3-attempt-timeout']);
  pass('s3-deadline', argv['s3-deadline']);
  return args;
}

async function main(): Promise<number> {
  const image = argv.image ?? DEFAULT_IMAGE;
  if (!existsSync(image)) {
    console.error(`hermitkv: no guest image at ${image}; build the images with \`make image\``);
    return 2;
  }
  if (!Number.isInteger(argv.memsize) || argv.memsize < 4 || argv.memsize > 2047) {
    console.error('hermitkv: --memsize must be a whole number of MiB between 4 and 2047');
    return 2;
  }
  const appArgs = ((argv['--'] as unknown[] | undefined) ?? []).map(String);
  const guestArgv = [path.basename(image, '.elf'), ...appArgs];
  if (Buffer.byteLength(guestArgv.join('\0') + '\0') > 4096) {
    console.error('hermitkv: the app arguments exceed 4096 bytes');
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  let link: ProxyLink;
  try {
    link = await connectProxy({ socket: argv.socket, ownProxy: argv['own-proxy'], proxyArgs: proxyArgs(), log });
  } catch (err) {
    if (err instanceof ProxyStartError) {
      log(`hermitkv: ${err.message}`);
      return 1;
    }
    // The guest still runs: its KV calls fail with -1, which is what a guest must cope with.
    log(`hermitkv: no proxy: ${err instanceof Error ? err.message : String(err)}; KV requests will fail`);
    link = unavailableLink(err instanceof Error ? err.message : String(err));
  }

  const trace = argv.trace ? new TraceWriter(argv.trace, performance.now(), argv['trace-keys']) : undefined;
  const result = await runGuest({
    kernel: readFileSync(image),
    argv: guestArgv,
    memorySize: argv.memsize * 1024 * 1024,
    backend: link.backend,
    console: (fd, bytes) => void (fd === 1 ? process.stdout : process.stderr).write(bytes),
    log,
    onCompleted: trace ? (done) => trace.record(done) : undefined,
    timeoutMs: argv.timeout !== undefined ? argv.timeout * 1000 : undefined,
  });
  if (trace) {
    const proxyStats = await link.proxyStats();
    if (proxyStats) trace.recordProxyStats(proxyStats);
    await trace.close();
  }
  if (argv.stats) log(await formatStats(result, link));
  await link.close();
  return result.exitStatus;
}

main().then(
  (status) => {
    process.exitCode = status & 0xff;
  },
  (err: unknown) => {
    console.error(`hermitkv: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
