/**
 * The object engine: one S3 object per key, the naive design and the benchmark baseline.
 *
 * Object name: `<prefix>o/<SHA-256 of the key, 64 hex digits>`. Keys are up to 1024 arbitrary
 * bytes, but S3 names are at most 1024 bytes of valid UTF-8, and some byte sequences (`../`,
 * `//`, `%2F`, control bytes) are normalised or mean a path to some S3-compatible servers (s3rver
 * stores each object as a file named after it). The hash has a fixed length, uses only
 * [0-9a-f], and contains no `/`, so every key maps to exactly one name, of bounded length, that
 * stays directly under the prefix. The body (objectFormat.ts) stores the key too, because a hash
 * cannot be reversed and a read must prove it found the key it asked for.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '../s3/objectStore.js';
import type { Engine } from './engine.js';
import { CorruptObjectError, decodeObject, encodeObject } from './objectFormat.js';

export interface ObjectEngineOptions {
  store: ObjectStore;
  /** Empty, or ends with `/`. */
  prefix: string;
  /**
   * Extra reads of an object that fails its checks before it is reported as corrupt. s3rver may
   * answer a GET that races a just-acknowledged PUT with a short object (NOTES-v86.md).
   */
  corruptRetries?: number;
}

export class ObjectEngine implements Engine {
  readonly name = 'object';
  private readonly store: ObjectStore;
  private readonly prefix: string;
  private readonly corruptRetries: number;
  private readonly counts = { puts: 0, gets: 0, hits: 0, deletes: 0, corrupt: 0, corruptRetries: 0 };

  constructor(options: ObjectEngineOptions) {
    this.store = options.store;
    this.prefix = options.prefix;
    this.corruptRetries = options.corruptRetries ?? 2;
  }

  /** The S3 name of key's object (exported for tests and tools). */
  objectName(key: Buffer): string {
    return `${this.prefix}o/${createHash('sha256').update(key).digest('hex')}`;
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.counts.puts++;
    await this.store.put(this.objectName(key), encodeObject(key, value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.counts.gets++;
    const name = this.objectName(key);
    for (let attempt = 0; ; attempt++) {
      const body = await this.store.get(name);
      if (body === undefined) return undefined;
      try {
        const stored = decodeObject(body);
        if (!stored.key.equals(key)) throw new CorruptObjectError('it holds a different key');
        this.counts.hits++;
        return Buffer.from(stored.value);
      } catch (err) {
        if (!(err instanceof CorruptObjectError)) throw err;
        if (attempt >= this.corruptRetries) {
          this.counts.corrupt++;
          throw new CorruptObjectError(`object ${name.slice(0, this.prefix.length + 14)}… is corrupt: ${err.message}`);
        }
        this.counts.corruptRetries++;
        await sleep(20 * (attempt + 1));
      }
    }
  }

  async delete(key: Buffer): Promise<void> {
    this.counts.deletes++;
    await this.store.delete(this.objectName(key));
  }

  stats(): Record<string, number> {
    const own = Object.fromEntries(Object.entries(this.counts).map(([k, v]) => [`engine.${k}`, v]));
    return { ...own, ...this.store.stats() };
  }

  async close(): Promise<void> {
    // Every operation is awaited by its caller; nothing is buffered here.
  }
}
