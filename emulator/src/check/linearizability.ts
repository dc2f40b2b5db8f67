/**
 * A linearizability checker for key-value histories, in the manner of Wing & Gong as improved by
 * Lowe and used by Porcupine: the history is partitioned by key (each key is an independent
 * register, so a history is linearizable exactly when every key's sub-history is), and each key
 * is searched depth-first for an order of its operations that respects real time and the register
 * semantics, with a cache of (set of operations linearized, register value) pairs already explored
 * so that no configuration is searched twice.
 *
 * A register holds a value id (a string naming one put) or null (absent). Operations:
 *   write(v)  a put of value v, or a delete (v = null)
 *   read(v)   a get that observed v (null: not found)
 *
 * Times are any numbers that order events in real time (the crash test uses the position of the
 * guest's console lines). An operation whose outcome is unknown — it returned -1 because the proxy
 * died or could not be reached, or it never returned at all — may or may not have taken effect:
 * a write of that kind gets `ret: Infinity` (it may take effect at any moment after its
 * invocation, or never: linearized after everything else it changes nothing anyone saw), and a
 * read of that kind says nothing and should be left out of the history.
 */

export type RegisterValue = string | null;

export interface KvOperation {
  /** For reports: names the operation (e.g. "thread 3 op 17"). */
  id: string;
  key: string;
  kind: 'write' | 'read';
  /** Written (write) or observed (read); null is "absent". */
  value: RegisterValue;
  call: number;
  /** Completion time; Infinity when the outcome is unknown (writes only). */
  ret: number;
}

export interface KeyViolation {
  key: string;
  operations: number;
  /** Why no order exists: the operations the deepest search could not place next. */
  message: string;
}

export interface CheckResult {
  keys: number;
  operations: number;
  violations: KeyViolation[];
  /** Keys whose search hit the step budget: neither proven right nor wrong. */
  undecided: string[];
}

export interface CheckOptions {
  /** The register's value before the history, per key (default: absent). */
  initial?: ReadonlyMap<string, RegisterValue>;
  /** Search steps allowed per key before it is reported undecided (default 2,000,000). */
  maxSteps?: number;
}

/** Checks every key's sub-history; the history is linearizable iff `violations` is empty. */
export function checkLinearizable(history: readonly KvOperation[], options: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    if (!(op.call <= op.ret)) throw new Error(`operation ${op.id} returns before it is called`);
    if (op.kind === 'read' && op.ret === Infinity) continue; // an unknown read constrains nothing
    let ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  const result: CheckResult = { keys: byKey.size, operations: 0, violations: [], undecided: [] };
  for (const [key, ops] of byKey) {
    const relevant = pruneUnobservedWrites(ops);
    result.operations += ops.length;
    const outcome = checkRegister(relevant, options.initial?.get(key) ?? null, options.maxSteps ?? 2_000_000);
    if (outcome === 'undecided') result.undecided.push(key);
    else if (outcome !== 'ok') result.violations.push({ key, operations: ops.length, message: outcome });
  }
  return result;
}

/**
 * Unknown writes that no read could have observed are never needed by a linearization (placing
 * one only sets a value that must be overwritten before the next read), so they are dropped:
 * each one left would multiply the search.
 */
function pruneUnobservedWrites(ops: KvOperation[]): KvOperation[] {
  const observed = new Set<RegisterValue>(ops.filter((o) => o.kind === 'read').map((o) => o.value));
  return ops.filter((o) => o.kind === 'read' || o.ret !== Infinity || observed.has(o.value));
}

interface Entry {
  isCall: boolean;
  /** Index of the operation in the key's list. */
  op: number;
  time: number;
  match?: Entry; // a call's return entry
  prev?: Entry;
  next?: Entry;
}

/** 'ok', 'undecided', or the reason no linearization exists. */
function checkRegister(ops: KvOperation[], initial: RegisterValue, maxSteps: number): string {
  if (ops.length === 0) return 'ok';
  const head = buildEntries(ops);
  const linearized = new Bitset(ops.length);
  const cache = new Set<string>();
  const stack: Array<{ entry: Entry; state: RegisterValue }> = [];
  let state = initial;
  let entry = head.next;
  let steps = 0;
  let deepest = -1;
  let stuckAt: string[] = [];
  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'undecided';
    if (entry === undefined) throw new Error('linearizability: ran off the entry list');
    if (entry.isCall) {
      const op = ops[entry.op]!;
      const allowed = op.kind === 'write' || op.value === state;
      if (allowed) {
        const next = op.kind === 'write' ? op.value : state;
        linearized.set(entry.op);
        const memo = `${linearized.key()}|${next === null ? '' : `=${next}`}`;
        if (!cache.has(memo)) {
          cache.add(memo);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A return entry: the operation it ends was not placed in time. Note where we were, back off.
    if (stack.length > deepest) {
      deepest = stack.length;
      stuckAt = pendingCalls(head, entry, ops, state);
    }
    const top = stack.pop();
    if (top === undefined) {
      return `no order of the ${ops.length} operations explains them: at best ${deepest} placed, then none of ${stuckAt.join('; ')}`;
    }
    state = top.state;
    linearized.clear(top.entry.op);
    unlift(top.entry);
    entry = top.entry.next;
  }
  return 'ok';
}

/** The calls before `until` in the list: the operations the search tried to place next. */
function pendingCalls(head: Entry, until: Entry, ops: KvOperation[], state: RegisterValue): string[] {
  const out: string[] = [];
  for (let e = head.next; e !== undefined && e !== until; e = e.next) {
    if (e.isCall) out.push(describe(ops[e.op]!));
  }
  return [`${out.slice(0, 6).join('; ')} fits the value ${show(state)} before ${ops[until.op]!.id} must have returned`];
}

function describe(op: KvOperation): string {
  const what = op.kind === 'write' ? (op.value === null ? 'delete' : `put ${op.value}`) : `get → ${show(op.value)}`;
  const ret = op.ret === Infinity ? 'unknown' : String(op.ret);
  return `${op.id} ${what} [${op.call}, ${ret}]`;
}

function show(v: RegisterValue): string {
  return v === null ? 'absent' : v;
}

/** A doubly linked list of call and return entries in time order, behind a sentinel head. */
function buildEntries(ops: KvOperation[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { isCall: true, op: i, time: op.call };
    const ret: Entry = { isCall: false, op: i, time: op.ret };
    call.match = ret;
    entries.push(call, ret);
  });
  // At equal times calls come first: operations that touch at an instant count as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { isCall: false, op: -1, time: -Infinity };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** Takes a call and its return out of the list. */
function lift(call: Entry): void {
  for (const e of [call, call.match!]) {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
  }
}

/** Puts them back, in the reverse order (the neighbours are as they were at lift). */
function unlift(call: Entry): void {
  for (const e of [call.match!, call]) {
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  }
}

class Bitset {
  private readonly words: Uint32Array;
  constructor(bits: number) {
    this.words = new Uint32Array(Math.ceil(bits / 32));
  }
  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }
  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }
  key(): string {
    return Array.from(this.words, (w) => w.toString(36)).join(',');
  }
}
