/**
 * The engines `--engine` can name. An engine that keeps its data in S3 is built over an
 * ObjectStore; one that does not (`memory`) is built without one, and the proxy then starts no
 * S3 endpoint at all. A new engine (`log`) adds an entry here and nothing else changes in the
 * proxy.
 */
import type { ObjectStore } from '../s3/objectStore.js';
import type { Engine } from './engine.js';
import { MemoryEngine } from './memoryEngine.js';
import { ObjectEngine } from './objectEngine.js';

export interface EngineContext {
  store: ObjectStore;
  /** Empty, or ends with `/`. */
  prefix: string;
}

export type EngineEntry =
  | { usesS3: true; create: (context: EngineContext) => Promise<Engine> }
  | { usesS3: false; create: () => Promise<Engine> };

const ENGINES: ReadonlyMap<string, EngineEntry> = new Map<string, EngineEntry>([
  ['object', { usesS3: true, create: async ({ store, prefix }) => new ObjectEngine({ store, prefix }) }],
  ['memory', { usesS3: false, create: async () => new MemoryEngine() }],
]);

export const DEFAULT_ENGINE = 'object';

export function engineNames(): string[] {
  return [...ENGINES.keys()];
}

/** The entry for name, or undefined when no engine has that name. */
export function engineEntry(name: string): EngineEntry | undefined {
  return ENGINES.get(name);
}
