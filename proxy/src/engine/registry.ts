/**
 * The engines `--engine` can name. An engine that keeps its data in S3 is built over an
 * ObjectStore; one that does not (`memory`) is built without one, and the proxy then starts no
 * S3 endpoint at all. A new engine (`log`) adds an entry here and nothing else changes in the
 * proxy.
 */
import { openLogEngine } from '../log/logEngine.js';
import type { ObjectStore } from '../s3/objectStore.js';
import { BROKEN_ENGINE_ENV, BrokenEngine } from './brokenEngine.js';
import type { Engine } from './engine.js';
import { MemoryEngine } from './memoryEngine.js';
import { ObjectEngine } from './objectEngine.js';
import { claimObjectPrefix } from './objectPrefix.js';

export interface EngineContext {
  store: ObjectStore;
  /** Empty, or ends with `/`. */
  prefix: string;
  /** Bytes of values an engine may cache in memory (`--cache-size`); engine default if absent. */
  cacheBytes?: number;
  /** Log engine: background garbage collection every this many segments (0: off). */
  gcEvery?: number;
  /** Log engine: consider a background compaction every this many segments (0: off). */
  compactEvery?: number;
}

/**
 * Background maintenance of the log engine unless told otherwise: a store that only grows is not
 * what a user expects. Garbage collection looks every 256 segments (it rewrites only segments
 * less than half live); compaction looks as often and runs when level 0 holds at least 4 MiB
 * and a tenth of level 1 (docs/compaction.md).
 */
export const DEFAULT_GC_EVERY = 256;
export const DEFAULT_COMPACT_EVERY = 256;

export type EngineEntry =
  | { usesS3: true; create: (context: EngineContext) => Promise<Engine> }
  | { usesS3: false; create: () => Promise<Engine> };

const ENGINES: ReadonlyMap<string, EngineEntry> = new Map<string, EngineEntry>([
  [
    'log',
    {
      usesS3: true,
      create: ({ store, prefix, cacheBytes, gcEvery, compactEvery }) =>
        openLogEngine({
          store,
          prefix,
          ...(cacheBytes === undefined ? {} : { cacheBytes }),
          gcEverySegments: gcEvery ?? DEFAULT_GC_EVERY,
          compactEverySegments: compactEvery ?? DEFAULT_COMPACT_EVERY,
        }),
    },
  ],
  [
    'object',
    {
      usesS3: true,
      create: async ({ store, prefix }) => {
        // Mark the prefix as the object engine's (format 2), so that a log engine never misreads
        // it; a format-1 prefix is refused (objectPrefix.ts).
        await claimObjectPrefix(store, prefix);
        return new ObjectEngine({ store, prefix });
      },
    },
  ],
  ['memory', { usesS3: false, create: async () => new MemoryEngine() }],
  // Tests only: a store the history checker must catch (brokenEngine.ts).
  ...(process.env[BROKEN_ENGINE_ENV] === '1' ? [['broken', { usesS3: false, create: async () => new BrokenEngine() }] as const] : []),
]);

/** The log-structured engine: group commit into segment objects (proxy/src/log/). */
export const DEFAULT_ENGINE = 'log';

export function engineNames(): string[] {
  return [...ENGINES.keys()];
}

/** The entry for name, or undefined when no engine has that name. */
export function engineEntry(name: string): EngineEntry | undefined {
  return ENGINES.get(name);
}
