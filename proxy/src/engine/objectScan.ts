/**
 * The object engine's range scan: list `<prefix>k/` from the start key's name in S3's byte
 * order, which is key order (objectNames.ts), and GET the values a batch at a time, `getConcurrency`
 * GETs at once. It is slow by construction: one LIST per 1000 keys plus one GET per key (the log
 * engine's scan reads neighbouring records with one ranged GET).
 *
 * Memory: one batch of values, plus, when the range holds keys longer than 200 bytes that share
 * their first 200 bytes, that whole group (its names hash the key, so only reading every member
 * puts them in order; such groups are expected to be small).
 *
 * A key deleted between the LIST and its GET is skipped; a key created after the LIST page that
 * would have held it is missed: a scan is not a snapshot.
 */
import type { ObjectInfo } from '../s3/objectStore.js';
import type { ScanVisitor } from './engine.js';
import { CorruptObjectError } from './objectFormat.js';
import { DIRECT_KEY_BYTES, keyHash, listStartAfter, parseObjectName } from './objectNames.js';

export interface StoredObject {
  key: Buffer;
  value: Buffer;
}

export interface ObjectScanContext {
  prefix: string;
  list(prefix: string, startAfter: string): AsyncGenerator<ObjectInfo>;
  /** The object's key and value, checked by accept; undefined when the object is gone. */
  read(name: string, accept: (key: Buffer) => boolean): Promise<StoredObject | undefined>;
  getConcurrency: number;
}

/** One-name look-ahead over a listing (a long-key group ends at the first name outside it). */
class Cursor {
  private ahead: ObjectInfo | undefined;
  private done = false;

  constructor(private readonly it: AsyncGenerator<ObjectInfo>) {}

  async peek(): Promise<ObjectInfo | undefined> {
    if (this.ahead === undefined && !this.done) {
      const r = await this.it.next();
      if (r.done === true) this.done = true;
      else this.ahead = r.value;
    }
    return this.ahead;
  }

  async next(): Promise<ObjectInfo | undefined> {
    const info = await this.peek();
    this.ahead = undefined;
    return info;
  }

  async close(): Promise<void> {
    await this.it.return(undefined);
  }
}

/** Runs fn over items, at most `limit` at once, results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** See Engine.scan. */
export async function scanObjects(ctx: ObjectScanContext, start: Buffer, end: Buffer | undefined, visit: ScanVisitor, batchKeys: number): Promise<number> {
  const inRange = (key: Buffer): boolean => Buffer.compare(key, start) >= 0 && (end === undefined || Buffer.compare(key, end) < 0);
  const cursor = new Cursor(ctx.list(ctx.prefix, listStartAfter(ctx.prefix, start)));
  let visited = 0;
  let pending: { name: string; key: Buffer }[] = [];
  // GETs are issued a little ahead of the visitor, not a whole batchKeys ahead: a visitor that
  // stops early (a full device batch) then wastes at most this many GETs.
  const getAhead = Math.max(1, Math.min(batchKeys, 2 * ctx.getConcurrency));

  /** Visits objects in the order given; false when visit asked to stop. */
  const emit = async (objects: (StoredObject | undefined)[]): Promise<boolean> => {
    for (const o of objects) {
      if (o === undefined) continue; // deleted since it was listed
      visited++;
      if ((await visit(o.key, o.value)) === false) return false;
    }
    return true;
  };
  const flush = async (): Promise<boolean> => {
    const batch = pending;
    pending = [];
    return emit(await mapBounded(batch, ctx.getConcurrency, (p) => ctx.read(p.name, (k) => k.equals(p.key))));
  };

  try {
    for (;;) {
      const info = await cursor.next();
      if (info === undefined) break;
      const parsed = parseObjectName(ctx.prefix, info.name);
      if (parsed.kind === 'direct') {
        if (!inRange(parsed.key)) {
          if (end !== undefined && Buffer.compare(parsed.key, end) >= 0) break; // sorted: done
          continue; // below start: listed only because names are compared by their first bytes
        }
        pending.push({ name: info.name, key: parsed.key });
        if (pending.length >= getAhead && !(await flush())) return visited;
        continue;
      }
      // Every key of the group is longer than its head, so greater: a head >= end ends the range.
      if (end !== undefined && Buffer.compare(parsed.head, end) >= 0) break;
      if (!(await flush())) return visited;
      const names = [info.name];
      for (let p = await cursor.peek(); p !== undefined && p.name.startsWith(parsed.group); p = await cursor.peek()) {
        names.push((await cursor.next())!.name);
      }
      const members = await mapBounded(names, ctx.getConcurrency, async (name) => {
        const member = parseObjectName(ctx.prefix, name);
        if (member.kind !== 'long') throw new CorruptObjectError(`object name ${name.slice(0, 60)}… is in a long-key group but is not a long-key name`);
        return ctx.read(name, (k) => k.length > DIRECT_KEY_BYTES && k.subarray(0, DIRECT_KEY_BYTES).equals(member.head) && keyHash(k) === member.hash);
      });
      const sorted = members.filter((m): m is StoredObject => m !== undefined && inRange(m.key)).sort((a, b) => Buffer.compare(a.key, b.key));
      if (!(await emit(sorted))) return visited;
    }
    await flush();
    return visited;
  } finally {
    await cursor.close();
  }
}
