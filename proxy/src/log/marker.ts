/**
 * The engine marker `<prefix>ENGINE` (docs/format.md, "Engine marker"): which engine, and which
 * version of that engine's format, owns a bucket/prefix. Opening a prefix with another engine, or
 * with a build that does not know the format version, is refused instead of misreading data.
 *
 *   offset  size  field
 *   0       4     magic "HKVE"
 *   4       1     marker version (1)
 *   5       1     engine name length n (1..255)
 *   6       2     engine format version, u16 LE
 *   8       n     engine name, ASCII (`object`, `log`)
 *   8+n     4     CRC-32 of bytes 0..8+n
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import type { ObjectStore } from '../s3/objectStore.js';
import { CorruptionError } from './format.js';

export const MARKER_MAGIC = Buffer.from('HKVE', 'latin1');
export const MARKER_VERSION = 1;
export const MARKER_NAME = 'ENGINE';

/**
 * What each engine keeps under the prefix. A prefix without a marker but with objects here was
 * written by that engine (the object engine wrote no marker before markers existed).
 */
const ENGINE_NAMESPACES: Readonly<Record<string, readonly string[]>> = {
  object: ['o/', 'k/'], // format 1 named objects o/<hash>, format 2 k/<hex key>
  log: ['log/', 'ckpt/'],
};

export interface EngineMarker {
  engine: string;
  formatVersion: number;
}

/** The prefix belongs to something else; the message is one line, fit for a user. */
export class PrefixClaimError extends Error {
  override name = 'PrefixClaimError';
}

export function encodeMarker(marker: EngineMarker): Buffer {
  const name = Buffer.from(marker.engine, 'ascii');
  if (name.length < 1 || name.length > 255) throw new RangeError('engine name must be 1..255 bytes');
  const body = Buffer.alloc(12 + name.length);
  MARKER_MAGIC.copy(body, 0);
  body.writeUInt8(MARKER_VERSION, 4);
  body.writeUInt8(name.length, 5);
  body.writeUInt16LE(marker.formatVersion, 6);
  name.copy(body, 8);
  body.writeUInt32LE(crc32(body.subarray(0, 8 + name.length)), 8 + name.length);
  return body;
}

export function decodeMarker(body: Buffer): EngineMarker {
  if (body.length < 13) throw new CorruptionError(`engine marker: ${body.length} bytes is too short`);
  if (!body.subarray(0, 4).equals(MARKER_MAGIC)) throw new CorruptionError('engine marker: bad magic');
  const n = body.readUInt8(5);
  if (body.length !== 12 + n) throw new CorruptionError(`engine marker: ${body.length} bytes, expected ${12 + n}`);
  if (crc32(body.subarray(0, 8 + n)) !== body.readUInt32LE(8 + n)) throw new CorruptionError('engine marker: checksum mismatch');
  const version = body.readUInt8(4);
  if (version !== MARKER_VERSION) throw new CorruptionError(`engine marker: marker version ${version} is not ${MARKER_VERSION}`);
  return { engine: body.toString('ascii', 8, 8 + n), formatVersion: body.readUInt16LE(6) };
}

/**
 * Makes sure prefix belongs to engineName (format formatVersion), writing the marker when the
 * prefix is new. Throws PrefixClaimError when it belongs to another engine or to a newer format,
 * and CorruptionError when the marker is damaged.
 */
export async function claimPrefix(store: ObjectStore, prefix: string, engineName: string, formatVersion = 1): Promise<void> {
  const where = `s3://${store.bucket}/${prefix}`;
  let marker = await readMarker(store, prefix);
  if (marker === undefined) {
    const owner = await unmarkedOwner(store, prefix);
    if (owner !== undefined && owner !== engineName) {
      throw new PrefixClaimError(`${where} holds data of the ${owner} engine; refusing to open it with the ${engineName} engine (use --engine ${owner}, or another --prefix)`);
    }
    await store.put(prefix + MARKER_NAME, encodeMarker({ engine: engineName, formatVersion }), { ifNoneMatch: true }).catch(async (err: unknown) => {
      // Someone else created it first (an endpoint that honours If-None-Match): read theirs below.
      if ((await readMarker(store, prefix)) === undefined) throw err;
    });
    // Read it back: with an endpoint that ignores If-None-Match, the last writer wins, and the
    // check below then refuses if that was another engine.
    marker = await readMarker(store, prefix);
    if (marker === undefined) throw new PrefixClaimError(`${where}: the engine marker vanished right after it was written`);
  }
  if (marker.engine !== engineName) {
    throw new PrefixClaimError(`${where} belongs to the ${marker.engine} engine; refusing to open it with the ${engineName} engine (use --engine ${marker.engine}, or another --prefix)`);
  }
  if (marker.formatVersion > formatVersion) {
    throw new PrefixClaimError(`${where} holds ${engineName} format version ${marker.formatVersion}, newer than this build reads (${formatVersion}); refusing to open it`);
  }
}

/** The marker, or undefined when there is none. Retries a damaged one (s3rver writes are not atomic). */
export async function readMarker(store: ObjectStore, prefix: string, retries = 3): Promise<EngineMarker | undefined> {
  for (let attempt = 0; ; attempt++) {
    const body = await store.get(prefix + MARKER_NAME);
    if (body === undefined) return undefined;
    try {
      return decodeMarker(body);
    } catch (err) {
      if (!(err instanceof CorruptionError) || attempt >= retries) {
        throw new CorruptionError(`s3://${store.bucket}/${prefix}${MARKER_NAME} is damaged (${(err as Error).message}); refusing to guess which engine owns the prefix`);
      }
      await sleep(25 << attempt);
    }
  }
}

/** The engine whose objects an unmarked prefix holds, or undefined when it holds none of them. */
async function unmarkedOwner(store: ObjectStore, prefix: string): Promise<string | undefined> {
  for (const [engine, dirs] of Object.entries(ENGINE_NAMESPACES)) {
    for (const dir of dirs) {
      for await (const _obj of store.list(prefix + dir)) return engine;
    }
  }
  return undefined;
}
