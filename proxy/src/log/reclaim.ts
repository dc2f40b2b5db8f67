/**
 * The common end of garbage collection (gc.ts) and compaction (compaction.ts): once the index no
 * longer points into some objects, make them unnecessary to recovery too, then delete them.
 *
 *   1. Write a checkpoint K of the index as it is now, read it back and check it.
 *   2. Delete every checkpoint older than K, so that K is the only base recovery can pick.
 *   3. Delete every listed segment numbered at most K, and every listed sorted run, that neither
 *      the index nor checkpoint K points into.
 *
 * Nothing is deleted before a verified checkpoint that does not need it is the only base: a
 * crash between any two steps leaves a state recovery reads correctly (docs/compaction.md).
 */
import type { ObjectStore } from '../s3/objectStore.js';
import { decodeCheckpoint } from './checkpointReader.js';
import { checkpointName, runName, segmentName } from './format.js';
import type { KeyIndex } from './keyIndex.js';
import { readChecked, type ReadCounters } from './objectReader.js';

export interface ReclaimHost {
  store: ObjectStore;
  prefix: string;
  corruptRetries: number;
  counters: ReadCounters;
  index: KeyIndex;
  /** Writes a checkpoint of the index as it is now (unless one covers the head already); its number. */
  checkpointNow(): Promise<number>;
  /** Deletes every checkpoint older than n; true when none is left. */
  pruneCheckpointsBefore(n: number): Promise<boolean>;
}

export type ReclaimStep = 'checkpointed' | 'pruned' | 'deleted-one';

export interface Reclaimed {
  checkpoint: number;
  objectsDeleted: number;
  bytesDeleted: number;
}

/**
 * segments and runs: number → size of the objects listed before the index stopped pointing into
 * them (objects written later are not candidates). shouldStop: the engine is closing.
 */
export async function checkpointAndReclaim(
  host: ReclaimHost,
  segments: ReadonlyMap<number, number>,
  runs: ReadonlyMap<number, number>,
  step: (s: ReclaimStep) => Promise<void>,
  shouldStop: () => boolean,
): Promise<Reclaimed> {
  const out: Reclaimed = { checkpoint: 0, objectsDeleted: 0, bytesDeleted: 0 };
  const k = await host.checkpointNow();
  out.checkpoint = k;
  if (k === 0) return out;
  const ckpt = await readChecked(host.store, checkpointName(host.prefix, k), (body) => decodeCheckpoint(body, k), host.counters, host.corruptRetries);
  if (!ckpt.ok) throw new Error(`checkpoint ${k} failed its checks when read back: ${ckpt.reason}`);
  const needed = new Set<number>();
  for (const [, e] of ckpt.value.entries) needed.add(e.segment);
  await step('checkpointed');
  if (!(await host.pruneCheckpointsBefore(k))) throw new Error(`older checkpoints than ${k} could not all be deleted`);
  await step('pruned');

  // Locations: segment n is n, run n is -n (format.ts locationName).
  const candidates: Array<[number, number, string]> = [];
  for (const [n, size] of segments) if (n <= k) candidates.push([n, size, segmentName(host.prefix, n)]);
  for (const [n, size] of runs) candidates.push([-n, size, runName(host.prefix, n)]);
  for (const [location, size, name] of candidates) {
    if (shouldStop()) break;
    if (needed.has(location) || host.index.segmentUse().has(location)) continue;
    await host.store.delete(name);
    out.objectsDeleted++;
    out.bytesDeleted += size;
    await step('deleted-one');
  }
  return out;
}
