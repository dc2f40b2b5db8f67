/**
 * The object engine: one S3 object per key, the naive design and the benchmark baseline.
 *
 * Object names (objectNames.ts, format version 2): `<prefix>k/` and the key in hex, in an
 * order-preserving form, so that listing the prefix lists keys in order (range scans,
 * objectScan.ts). Keys are up to 1024 arbitrary bytes, but S3 names are at most 1024 bytes of
 * valid UTF-8, and some byte sequences (`../`, `//`, `%2F`, control bytes) are normalised or mean
 * a path to some S3-compatible servers (s3rver stores each object as a file named after it): the
 * names use only [0-9a-f~/-], have bounded length, and stay under the prefix. The body
 * (objectFormat.ts) stores the key too: long keys are named partly by a hash, and a read must
 * prove it found the key it asked for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '../s3/objectStore.js';
import type { Engine, ScanOptions, ScanVisitor } from './engine.js';
import { CorruptObjectError, decodeObject, encodeObject } from './objectFormat.js';
import { objectName } from './objectNames.js';
import { scanObjects, type StoredObject } from './objectScan.js';

export interface ObjectEngineOptions {
  store: ObjectStore;
  /** Empty, or ends with `/`. */
  prefix: string;
  /**
   * Extra reads of an object that fails its checks before it is reported as corrupt. s3rver may
   * answer a GET that races a just-acknowledged PUT with a short object (NOTES-v86.md).
   */
  corruptRetries?: number;
  /** GETs a scan runs at once (default 16). */
  scanConcurrency?: number;
}

export class ObjectEngine implements Engine {
  readonly name = 'object';
  private readonly store: ObjectStore;
  private readonly prefix: string;
  private readonly corruptRetries: number;
  private readonly scanConcurrency: number;
  private readonly counts = { puts: 0, gets: 0, hits: 0, deletes: 0, corrupt: 0, corruptRetries: 0, scans: 0, scanKeys: 0 };

  constructor(options: ObjectEngineOptions) {
    this.store = options.store;
    this.prefix = options.prefix;
    this.corruptRetries = options.corruptRetries ?? 2;
    this.scanConcurrency = options.scanConcurrency ?? 16;
  }

  /** The S3 name of key's object (exported for tests and tools). */
  objectName(key: Buffer): string {
    return objectName(this.prefix, key);
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.counts.puts++;
    await this.store.put(this.objectName(key), encodeObject(key, value));
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.counts.gets++;
    const stored = await this.read(this.objectName(key), (k) => k.equals(key));
    if (stored === undefined) return undefined;
    this.counts.hits++;
    return stored.value;
  }

  /**
   * Visits [start, end) in key order: one LIST per 1000 keys plus one GET per key, up to
   * scanConcurrency at once (objectScan.ts). Slow; the log engine's scan is the fast one.
   */
  async scan(start: Buffer, end: Buffer | undefined, visit: ScanVisitor, options: ScanOptions = {}): Promise<number> {
    this.counts.scans++;
    const counting: ScanVisitor = (key, value) => {
      this.counts.scanKeys++;
      return visit(key, value);
    };
    const ctx = {
      prefix: this.prefix,
      list: (prefix: string, startAfter: string) => this.store.list(prefix, startAfter),
      read: (name: string, accept: (key: Buffer) => boolean) => this.read(name, accept),
      getConcurrency: this.scanConcurrency,
    };
    return scanObjects(ctx, start, end, counting, Math.max(1, options.batchKeys ?? 256));
  }

  /** The object's key and value when accept(key) holds; undefined when there is no object. */
  private async read(name: string, accept: (key: Buffer) => boolean): Promise<StoredObject | undefined> {
    for (let attempt = 0; ; attempt++) {
      const body = await this.store.get(name);
      if (body === undefined) return undefined;
      try {
        const stored = decodeObject(body);
        if (!accept(stored.key)) throw new CorruptObjectError('it holds a different key');
        return { key: Buffer.from(stored.key), value: Buffer.from(stored.value) };
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
