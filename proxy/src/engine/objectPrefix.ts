/**
 * Opening a prefix for the object engine. Format version 2 (ordered names `k/…`, see
 * objectNames.ts) replaced version 1 (hashed names `o/<SHA-256>`), which cannot be listed in key
 * order and so cannot serve range scans. This build reads version 2 only: a version-1 prefix
 * (marked so, or unmarked with `o/` objects, written before markers existed) is refused with a
 * message saying so, rather than opened as if it were empty.
 */
import { PrefixClaimError, claimPrefix, readMarker } from '../log/marker.js';
import type { ObjectStore } from '../s3/objectStore.js';

export const OBJECT_FORMAT_VERSION = 2;
const V1_NAMESPACE = 'o/';

export async function claimObjectPrefix(store: ObjectStore, prefix: string): Promise<void> {
  const marker = await readMarker(store, prefix);
  let oldVersion: number | undefined;
  if (marker?.engine === 'object' && marker.formatVersion < OBJECT_FORMAT_VERSION) oldVersion = marker.formatVersion;
  if (marker === undefined) {
    for await (const _obj of store.list(prefix + V1_NAMESPACE)) {
      oldVersion = 1;
      break;
    }
  }
  if (oldVersion !== undefined) {
    throw new PrefixClaimError(
      `s3://${store.bucket}/${prefix} holds object engine format version ${oldVersion} (objects named by a hash of the key, ` +
        `which cannot be listed in key order); this build reads format ${OBJECT_FORMAT_VERSION} only (ordered names, for range scans): ` +
        `use another --prefix, or copy the keys out with a build of format ${oldVersion}`,
    );
  }
  await claimPrefix(store, prefix, 'object', OBJECT_FORMAT_VERSION);
}
