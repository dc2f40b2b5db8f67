/**
 * The write load used by the crash test and the recovery benchmark, and the model that checks
 * what a recovered engine holds against what the load process reported.
 *
 * The load process prints one line per event, flushed before the next step:
 *   `B <op> <key> <tag>`  an operation begins (op P = put, D = delete; key = key number)
 *   `A <op> <key> <tag>`  it was acknowledged (the engine resolved it)
 *   `F <op> <key> <tag>`  it failed ("may or may not have taken effect")
 * Each key is owned by one writer, which runs one operation at a time, so a key's operations
 * are totally ordered by their `B` lines.
 */
import { createHash } from 'node:crypto';

/** Key number i as bytes: a few binary bytes (0x00, 0xff, ...) and a readable part. */
export function keyFor(i: number): Buffer {
  return Buffer.concat([Buffer.from([i & 0xff, 0x00, 0xff, (i >> 8) & 0xff]), Buffer.from(`key-${i}`, 'latin1')]);
}

/** The value an operation with this tag puts under key number i. */
export function valueFor(i: number, tag: string, size: number): Buffer {
  const seed = createHash('sha256').update(`${i}/${tag}`).digest();
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += seed.length) seed.copy(out, at, 0, Math.min(seed.length, size - at));
  return out;
}

export interface Op {
  op: 'P' | 'D';
  tag: string;
  state: 'begun' | 'acked' | 'failed';
}

/** Each key's operations, in order, from the load's output lines. */
export function parseLoad(lines: Iterable<string>): Map<number, Op[]> {
  const keys = new Map<number, Op[]>();
  for (const line of lines) {
    const m = /^([BAF]) ([PD]) (\d+) (\S+)$/.exec(line);
    if (m === null) continue;
    const [, phase, op, keyText, tag] = m as unknown as [string, 'B' | 'A' | 'F', 'P' | 'D', string, string];
    const key = Number(keyText);
    let ops = keys.get(key);
    if (ops === undefined) keys.set(key, (ops = []));
    if (phase === 'B') ops.push({ op, tag, state: 'begun' });
    else {
      const last = ops[ops.length - 1];
      if (last === undefined || last.tag !== tag) throw new Error(`load output: ${line} without its B line`);
      last.state = phase === 'A' ? 'acked' : 'failed';
    }
  }
  return keys;
}

/**
 * The values key may hold after a crash: the result of its last acknowledged operation, or of
 * any operation after that (failed or in flight, so it may or may not have taken effect). With no
 * acknowledged operation, its state before the load (`initial`) is allowed too. undefined stands
 * for "absent".
 */
export function allowedValues(i: number, ops: Op[], size: number, initial: Buffer | undefined): Array<Buffer | undefined> {
  let lastAcked = -1;
  ops.forEach((o, n) => {
    if (o.state === 'acked') lastAcked = n;
  });
  const result = (o: Op): Buffer | undefined => (o.op === 'P' ? valueFor(i, o.tag, size) : undefined);
  const allowed = lastAcked < 0 ? [initial] : [result(ops[lastAcked]!)];
  for (let n = lastAcked + 1; n < ops.length; n++) allowed.push(result(ops[n]!));
  return allowed;
}

export function sameValue(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
