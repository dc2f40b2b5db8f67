/**
 * A write load on the log engine, run as its own process so that it can be SIGKILLed.
 *
 *   node dist/proxy/src/log/bench/loadMain.js --endpoint URL --bucket B --prefix P
 *        [--writers 64] [--keys 2000] [--value-size 200] [--delete-percent 25]
 *        [--fill] [--quiet] [--checkpoint-every 128] [--gc-every 0] [--compact-every 0] [--seed 1]
 *
 * Each of `writers` async writers owns the keys i with i % writers == w and runs one operation at
 * a time on a random key of its own (a delete with probability delete-percent), printing the
 * lines loadModel.ts describes, forever. With --fill, writers first put keys 0..keys-1 once each
 * (printing `FILLED` when all are acknowledged) and then keep overwriting random keys. --quiet
 * prints only `FILLED` and `PROGRESS <acked>` every 10,000 acknowledgements. --compact-every N
 * compacts into small (64 KiB) sorted runs every N segments whatever level 0 holds, so that a
 * SIGKILL is likely to land inside a compaction.
 */
import { EMBEDDED_CREDENTIALS, EMBEDDED_REGION } from '../../s3/config.js';
import { ObjectStore } from '../../s3/objectStore.js';
import { openLogEngine } from '../logEngine.js';
import { keyFor, valueFor } from './loadModel.js';

interface Args {
  endpoint: string;
  bucket: string;
  prefix: string;
  writers: number;
  keys: number;
  valueSize: number;
  deletePercent: number;
  fill: boolean;
  quiet: boolean;
  checkpointEvery: number;
  /** Background garbage collection after this many segments; 0: none. */
  gcEvery: number;
  /** Background compaction after this many segments; 0: none. */
  compactEvery: number;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { endpoint: '', bucket: 'hermitkv', prefix: '', writers: 64, keys: 2000, valueSize: 200, deletePercent: 25, fill: false, quiet: false, checkpointEvery: 128, gcEvery: 0, compactEvery: 0, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--endpoint') a.endpoint = next();
    else if (flag === '--bucket') a.bucket = next();
    else if (flag === '--prefix') a.prefix = next();
    else if (flag === '--writers') a.writers = Number(next());
    else if (flag === '--keys') a.keys = Number(next());
    else if (flag === '--value-size') a.valueSize = Number(next());
    else if (flag === '--delete-percent') a.deletePercent = Number(next());
    else if (flag === '--checkpoint-every') a.checkpointEvery = Number(next());
    else if (flag === '--gc-every') a.gcEvery = Number(next());
    else if (flag === '--compact-every') a.compactEvery = Number(next());
    else if (flag === '--seed') a.seed = Number(next());
    else if (flag === '--fill') a.fill = true;
    else if (flag === '--quiet') a.quiet = true;
    else throw new Error(`unknown argument ${String(flag)}`);
  }
  if (a.endpoint === '') throw new Error('--endpoint is required');
  return a;
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const store = new ObjectStore({ bucket: args.bucket, endpoint: args.endpoint, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS });
  await store.ensureBucket();
  const engine = await openLogEngine({
    store,
    prefix: args.prefix,
    checkpointEvery: args.checkpointEvery,
    gcEverySegments: args.gcEvery,
    compactEverySegments: args.compactEvery,
    compactMinBytes: 0,
    compactRatio: 0,
    compaction: { runBytes: 64 * 1024 },
  });
  const out = (line: string): void => {
    if (!args.quiet) process.stdout.write(`${line}\n`);
  };
  const run = `${process.pid.toString(36)}`;
  let acked = 0;
  const ack = (): void => {
    acked++;
    if (args.quiet && acked % 10000 === 0) process.stdout.write(`PROGRESS ${acked}\n`);
  };

  // Fill: every key once, handed out in order.
  let nextFill = 0;
  let filling = args.fill ? args.writers : 0;
  const fillOne = async (): Promise<void> => {
    while (nextFill < args.keys) {
      const i = nextFill++;
      const tag = `${run}.f${i}`;
      out(`B P ${i} ${tag}`);
      try {
        await engine.put(keyFor(i), valueFor(i, tag, args.valueSize));
        out(`A P ${i} ${tag}`);
        ack();
      } catch {
        out(`F P ${i} ${tag}`);
        nextFill = Math.min(nextFill, i); // never leave a key unfilled
      }
    }
    if (--filling === 0) process.stdout.write('FILLED\n');
  };

  const writer = async (w: number): Promise<void> => {
    if (args.fill) await fillOne();
    const random = rng(args.seed * 1000 + w);
    const own = Math.ceil((args.keys - w) / args.writers);
    for (let n = 0; ; n++) {
      const i = w + args.writers * Math.floor(random() * own);
      const del = random() * 100 < args.deletePercent;
      const tag = `${run}.${w}.${n}`;
      out(`B ${del ? 'D' : 'P'} ${i} ${tag}`);
      try {
        if (del) await engine.delete(keyFor(i));
        else await engine.put(keyFor(i), valueFor(i, tag, args.valueSize));
        out(`A ${del ? 'D' : 'P'} ${i} ${tag}`);
        ack();
      } catch {
        out(`F ${del ? 'D' : 'P'} ${i} ${tag}`);
      }
    }
  };
  await Promise.all(Array.from({ length: args.writers }, (_, w) => writer(w)));
}

main().catch((err: unknown) => {
  process.stderr.write(`loadMain: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
