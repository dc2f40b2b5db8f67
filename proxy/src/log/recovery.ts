/**
 * Recovery: rebuilds the index from S3 alone (docs/format.md, "Recovery").
 *
 * 1. LIST `ckpt/`; the newest checkpoint that passes its checks is the base (an older one is
 *    used when the newest is damaged, e.g. torn by a crash of the endpoint; none: empty base).
 * 2. LIST `log/` after the base's segment and read every segment found (in parallel).
 * 3. The chain: start at the highest-numbered intact segment and follow each header's link
 *    (previous segment number + its header CRC) back to the base. Every segment on that path was
 *    durable before the next one was written, so each must be intact and its CRC must match the
 *    link: a damaged or missing segment on the chain is corruption, reported, never skipped.
 *    Segments off the chain are abandoned: flushes that failed (their writers were told "may or
 *    may not have taken effect") or the one in flight at a crash. Their records are ignored.
 *    Past the newest intact segment only a torn segment (a proper prefix of itself, what a PUT
 *    cut short leaves) is accepted; one damaged otherwise may have been acknowledged, so
 *    recovery stops with an error instead of guessing.
 * 4. Apply the chain's records, oldest first, on top of the base.
 */
import { performance } from 'node:perf_hooks';
import type { ObjectStore } from '../s3/objectStore.js';
import { decodeCheckpoint } from './checkpointReader.js';
import { CHECKPOINT_DIR, checkpointName, CorruptionError, parseNumberedName, SEGMENT_DIR, segmentName } from './format.js';
import { KeyIndex, keyString, type IndexEntry } from './keyIndex.js';
import { mapLimit, readChecked, type ReadCounters } from './objectReader.js';
import { decodeSegment, type SegmentHeader } from './segmentReader.js';
import type { SegmentLink } from './segmentWriter.js';

export interface RecoveryOptions {
  store: ObjectStore;
  prefix: string;
  corruptRetries: number;
  concurrency: number;
}

export interface RecoveryReport {
  ms: number;
  /** The base checkpoint's segment, 0 when recovery started from nothing. */
  checkpoint: number;
  checkpointEntries: number;
  /** Checkpoints that failed their checks and were passed over. */
  checkpointsDiscarded: number;
  segmentsRead: number;
  segmentsReplayed: number;
  recordsReplayed: number;
  /** Intact or damaged segments off the chain (failed flushes, the flush in flight at a crash). */
  segmentsAbandoned: number;
  bytesRead: number;
  corruptRetries: number;
}

export interface RecoveredState {
  index: KeyIndex;
  /** The newest segment on the chain: the next segment links to it. */
  head: SegmentLink;
  /** Greater than every segment number in S3 (never reuse a name). */
  nextSegment: number;
  /** Greater than every sequence number in S3. */
  nextSeq: number;
  /** The highest sequence number on the chain (what a checkpoint of head records). */
  lastSeq: number;
  /** Every checkpoint object listed, valid or not, oldest first. */
  checkpoints: number[];
  /** Chain segments and their bytes after the base checkpoint. */
  segmentsSinceCheckpoint: number;
  bytesSinceCheckpoint: number;
  report: RecoveryReport;
}

/** A segment that could not be read intact; torn: cut short (or missing), as a crash leaves it. */
interface Damaged {
  reason: string;
  torn: boolean;
}

function isDamaged(s: ReadSegment | Damaged): s is Damaged {
  return 'reason' in s;
}

/** A segment reduced to what recovery needs, so its bytes are not kept. */
interface ReadSegment {
  header: SegmentHeader;
  records: Array<[string, IndexEntry]>;
  maxSeq: number;
  bytes: number;
}

export async function recover(options: RecoveryOptions): Promise<RecoveredState> {
  const started = performance.now();
  const { store, prefix } = options;
  const counters: ReadCounters = { corruptRetries: 0 };
  const report: RecoveryReport = {
    ms: 0,
    checkpoint: 0,
    checkpointEntries: 0,
    checkpointsDiscarded: 0,
    segmentsRead: 0,
    segmentsReplayed: 0,
    recordsReplayed: 0,
    segmentsAbandoned: 0,
    bytesRead: 0,
    corruptRetries: 0,
  };

  // 1. The base: the newest checkpoint that passes its checks.
  const checkpoints = await listNumbers(store, prefix, CHECKPOINT_DIR);
  const index = new KeyIndex();
  let base: SegmentLink = { number: 0, headerCrc: 0 };
  let lastSeq = 0;
  let maxSeqSeen = 0;
  for (let i = checkpoints.length - 1; i >= 0; i--) {
    const n = checkpoints[i]!;
    const res = await readChecked(store, checkpointName(prefix, n), (body) => decodeCheckpoint(body, n), counters, options.corruptRetries);
    if (!res.ok) {
      report.checkpointsDiscarded++;
      continue;
    }
    for (const [key, entry] of res.value.entries) index.apply(key, entry);
    base = { number: n, headerCrc: res.value.meta.coveredCrc };
    lastSeq = res.value.meta.lastSeq;
    report.checkpoint = n;
    report.checkpointEntries = res.value.entries.length;
    report.bytesRead += res.bytes;
    break;
  }

  // 2. Every segment after the base.
  const numbers = await listNumbers(store, prefix, SEGMENT_DIR, base.number === 0 ? undefined : segmentName(prefix, base.number));
  const results = await mapLimit(numbers, options.concurrency, (n) =>
    readChecked(store, segmentName(prefix, n), (body) => reduce(decodeSegment(body, n), body.length), counters, options.corruptRetries),
  );
  const segments = new Map<number, ReadSegment | Damaged>();
  numbers.forEach((n, i) => {
    const r = results[i]!;
    segments.set(n, r.ok ? r.value : { reason: r.reason, torn: r.torn });
    if (r.ok) {
      report.segmentsRead++;
      report.bytesRead += r.bytes;
      maxSeqSeen = Math.max(maxSeqSeen, r.value.maxSeq);
    }
  });

  // 3. The chain, from the newest intact segment back to the base. Past the newest intact
  // segment only a torn one may lie (the flush in flight at a crash); one that is damaged in
  // any other way may have been acknowledged, so it is reported, not dropped.
  const tail = [...numbers].reverse().find((n) => !isDamaged(segments.get(n)!));
  for (const n of numbers) {
    const s = segments.get(n)!;
    if ((tail === undefined || n > tail) && isDamaged(s) && !s.torn) {
      throw new CorruptionError(`segment ${n} is damaged (${s.reason}) and no intact segment follows it; refusing to guess whether it was acknowledged`);
    }
  }
  const chain: ReadSegment[] = [];
  let head: SegmentLink = base;
  if (tail !== undefined) {
    const tailSeg = segments.get(tail) as ReadSegment;
    head = { number: tail, headerCrc: tailSeg.header.headerCrc };
    let seg = tailSeg;
    for (;;) {
      chain.push(seg);
      const { prevNumber, prevHeaderCrc, number } = seg.header;
      if (seg.header.fence) {
        // A fence follows the highest intact segment below it; below that only torn ones (a
        // writer's PUT cut short) may lie.
        let below: ReadSegment | undefined;
        for (let n = number - 1; n > base.number && below === undefined; n--) {
          const s = segments.get(n);
          if (s === undefined) continue;
          if (!isDamaged(s)) below = s;
          else if (!s.torn) throw new CorruptionError(`segment ${n} below fence ${number} is damaged (${s.reason}); refusing to guess whether it was acknowledged`);
        }
        if (below === undefined) break; // the fence follows the base
        seg = below;
        continue;
      }
      if (prevNumber === base.number) {
        if (prevHeaderCrc !== base.headerCrc) {
          throw new CorruptionError(`segment ${number} links to ${describe(base.number)} with CRC ${hex(prevHeaderCrc)}, but that has CRC ${hex(base.headerCrc)}`);
        }
        break;
      }
      if (prevNumber < base.number) {
        throw new CorruptionError(`segment ${number} links to segment ${prevNumber}, which is older than checkpoint ${base.number}`);
      }
      const prev = segments.get(prevNumber);
      if (prev === undefined || isDamaged(prev)) {
        throw new CorruptionError(`segment ${prevNumber} is ${prev === undefined ? 'missing' : `damaged (${prev.reason})`}, but segment ${number} was written after it was durable`);
      }
      if (prev.header.headerCrc !== prevHeaderCrc) {
        throw new CorruptionError(`segment ${prevNumber} is not the segment that segment ${number} follows (header CRC ${hex(prev.header.headerCrc)}, link says ${hex(prevHeaderCrc)})`);
      }
      seg = prev;
    }
    chain.reverse();
  }

  // 4. Replay, oldest first. Sequence numbers must keep increasing along the chain.
  let bytesSinceCheckpoint = 0;
  for (const seg of chain) {
    for (const [key, entry] of seg.records) {
      if (entry.seq <= lastSeq) throw new CorruptionError(`segment ${seg.header.number}: sequence ${entry.seq} is not after ${lastSeq}`);
      lastSeq = entry.seq;
      index.apply(key, entry);
    }
    report.recordsReplayed += seg.records.length;
    bytesSinceCheckpoint += seg.bytes;
  }
  report.segmentsReplayed = chain.length;
  report.segmentsAbandoned = numbers.length - chain.length;
  report.corruptRetries = counters.corruptRetries;
  report.ms = performance.now() - started;
  return {
    index,
    head,
    nextSegment: Math.max(base.number, numbers.at(-1) ?? 0) + 1,
    nextSeq: Math.max(maxSeqSeen, lastSeq) + 1,
    lastSeq,
    checkpoints,
    segmentsSinceCheckpoint: chain.length,
    bytesSinceCheckpoint,
    report,
  };
}

function reduce(decoded: ReturnType<typeof decodeSegment>, bytes: number): ReadSegment {
  const n = decoded.header.number;
  let maxSeq = 0;
  const records = decoded.records.map((r): [string, IndexEntry] => {
    maxSeq = Math.max(maxSeq, r.seq);
    return [keyString(r.key), { type: r.type, seq: r.seq, segment: n, offset: r.offset, valueLength: r.value.length }];
  });
  return { header: decoded.header, records, maxSeq, bytes };
}

/** Numbers of the objects under prefix+dir, ascending; a name of another form is reported. */
async function listNumbers(store: ObjectStore, prefix: string, dir: string, startAfter?: string): Promise<number[]> {
  const out: number[] = [];
  for await (const obj of store.list(prefix + dir, startAfter)) {
    const n = parseNumberedName(prefix, dir, obj.name);
    if (n === undefined) throw new CorruptionError(`unexpected object ${obj.name} among the log engine's objects`);
    out.push(n);
  }
  return out;
}

function describe(n: number): string {
  return n === 0 ? 'the start of the log' : `segment ${n} (the checkpoint's)`;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
