/**
 * Object names of the object engine, format version 2 (docs/format.md §7): ordered names, so
 * that listing `<prefix>k/` in S3's byte order lists the keys in key order, which is what a
 * range scan needs. (Version 1 named objects `<prefix>o/<SHA-256 of the key>`: safe, but in no
 * useful order.)
 *
 *   name = prefix + "k/" + split(body)
 *   body = hex(key)                                  + "-"   when the key has <= 200 bytes
 *        = hex(key[0..200]) + "~" + hex(SHA-256(key)) + "-"   when it is longer
 *
 * hex is lowercase, two digits per byte: '0'..'9' < 'a'..'f' in ASCII, so hex order is byte
 * order, and a key that is a prefix of another gets a body that sorts first because the
 * terminator '-' (0x2d) sorts below every hex digit. The terminator also means no body is a
 * prefix of another, which s3rver needs (it stores `a/b` under a directory `a`).
 * split() puts a '/' after every 200 characters of the body (when more follow): each path
 * segment stays far below file-name limits (s3rver keeps objects as files), and since the '/'s
 * sit at the same offsets in every name, split names sort exactly as their bodies do.
 * Names are at most 470 bytes after the prefix (prefixes are at most 512 bytes): within S3's
 * 1024, of [0-9a-f~/-] only, so nothing escapes the prefix.
 *
 * An order-preserving encoding of every 1024-byte key cannot fit S3's 1024-byte names, hence the
 * second form: keys longer than 200 bytes sort correctly against every other key except those
 * sharing their first 200 bytes, with which they form a group ("head" + '~', contiguous in the
 * listing) ordered by hash; a scan reads a group whole and sorts it by key (objectScan.ts).
 */
import { createHash } from 'node:crypto';
import { CorruptObjectError } from './objectFormat.js';

export const KEY_NAMESPACE = 'k/';
/** Keys up to this many bytes are named by their bytes alone. */
export const DIRECT_KEY_BYTES = 200;
const SEGMENT_CHARS = 200;
const LONG_MARK = '~';
const END_MARK = '-';

export type ParsedName =
  /** The name says the whole key. */
  | { kind: 'direct'; key: Buffer }
  /** A key longer than DIRECT_KEY_BYTES: its first bytes, its hash, and its group's name prefix. */
  | { kind: 'long'; head: Buffer; hash: string; group: string };

function split(body: string): string {
  const parts: string[] = [];
  for (let i = 0; i < body.length; i += SEGMENT_CHARS) parts.push(body.slice(i, i + SEGMENT_CHARS));
  return parts.join('/');
}

export function keyHash(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex');
}

function body(key: Buffer): string {
  if (key.length <= DIRECT_KEY_BYTES) return key.toString('hex') + END_MARK;
  return key.subarray(0, DIRECT_KEY_BYTES).toString('hex') + LONG_MARK + keyHash(key) + END_MARK;
}

export function objectName(prefix: string, key: Buffer): string {
  return prefix + KEY_NAMESPACE + split(body(key));
}

/**
 * A name to list after (StartAfter) so that every key >= start is listed. A few smaller keys may
 * be listed too (start's first 200 bytes, and their group): the scan filters by key anyway.
 */
export function listStartAfter(prefix: string, start: Buffer): string {
  return prefix + KEY_NAMESPACE + split(start.subarray(0, DIRECT_KEY_BYTES).toString('hex'));
}

/** What a listed name says; throws CorruptObjectError for a name this format never writes. */
export function parseObjectName(prefix: string, name: string): ParsedName {
  const ns = prefix + KEY_NAMESPACE;
  const bad = (why: string): CorruptObjectError => new CorruptObjectError(`object name ${name.slice(0, ns.length + 40)}… is not a key name: ${why}`);
  if (!name.startsWith(ns)) throw bad('outside the key namespace');
  const b = name.slice(ns.length).replaceAll('/', '');
  if (split(b) !== name.slice(ns.length)) throw bad('misplaced "/"');
  if (!b.endsWith(END_MARK)) throw bad('no terminator');
  const inner = b.slice(0, -1);
  const mark = inner.indexOf(LONG_MARK);
  if (mark < 0) {
    if (!/^(?:[0-9a-f]{2})*$/.test(inner) || inner.length > 2 * DIRECT_KEY_BYTES) throw bad('not a hex key');
    return { kind: 'direct', key: Buffer.from(inner, 'hex') };
  }
  const head = inner.slice(0, mark);
  const hash = inner.slice(mark + 1);
  if (head.length !== 2 * DIRECT_KEY_BYTES || !/^[0-9a-f]*$/.test(head) || !/^[0-9a-f]{64}$/.test(hash)) throw bad('not a long-key name');
  return { kind: 'long', head: Buffer.from(head, 'hex'), hash, group: ns + split(head + LONG_MARK) };
}
