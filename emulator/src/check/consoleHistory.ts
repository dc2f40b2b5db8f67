/**
 * Turns the operation record a kvcrash guest prints (guest-c/apps/kvcrash/kvcrash.c) into a
 * history for the linearizability checker. The clock is the position of a line in the console
 * stream: a guest prints an operation's I line before submitting it and its R line after it
 * completed, one hypercall per line, so line order is a real-time order and each operation's
 * true interval lies inside [I line, R line].
 *
 * Outcomes: OK puts and deletes are writes that happened; a get that returned OK or NOT_FOUND is
 * a read of what it saw. Any other status (IO_ERROR, UNAVAILABLE: -1 to the application), or no R
 * line at all (the hypervisor was killed), means "may or may not have taken effect": a write with
 * an unbounded completion, and a read that is left out. A get that read a torn, corrupt or
 * foreign value (X) is a violation by itself.
 */
import { ABI } from '../abi.js';
import type { KvOperation } from './linearizability.js';

interface Invocation {
  id: string;
  key: string;
  kind: 'P' | 'D' | 'G';
  vid: string | null;
  call: number;
}

export interface HistoryCounts {
  invoked: number;
  /** Returned 0 (or a get's -1 for absent): the operations the checker verifies. */
  acknowledged: number;
  /** Returned -1 because the proxy failed, died or was down. */
  failed: number;
  /** Never returned (the hypervisor or guest was killed first). */
  unfinished: number;
}

export class ConsoleHistory {
  private readonly open = new Map<string, Invocation>();
  private readonly done: KvOperation[] = [];
  readonly counts: HistoryCounts = { invoked: 0, acknowledged: 0, failed: 0, unfinished: 0 };
  /** Reads of values that are not whole, or not of their key. */
  readonly torn: string[] = [];
  /** Lines that look like records but do not parse. */
  readonly malformed: string[] = [];

  /** @param clock where this stream's time starts (continue from an earlier stream's `now`). */
  constructor(
    private clock: number,
    private readonly tag = '',
  ) {}

  get now(): number {
    return this.clock;
  }

  /** The operations invoked and not yet returned (ids). */
  inFlight(): string[] {
    return [...this.open.keys()];
  }

  /** Feeds one console line; says which operation it completes, if it does, and whether it was answered. */
  line(text: string): { id: string; answered: boolean } | undefined {
    const t = ++this.clock;
    let m = /^I (\d+) (\d+) ([PDG]) (\d+)(?: (\S+))?$/.exec(text);
    if (m) {
      const kind = m[3] as 'P' | 'D' | 'G';
      const id = `${this.tag}t${m[1]}#${m[2]}`;
      if (kind === 'P' && m[5] === undefined) {
        this.malformed.push(text);
        return undefined;
      }
      this.open.set(id, { id, key: m[4]!, kind, vid: kind === 'P' ? m[5]! : null, call: t });
      this.counts.invoked++;
      return undefined;
    }
    m = /^R (\d+) (\d+) (-?\d+) (\S+)$/.exec(text);
    if (!m) {
      if (/^[IR] /.test(text)) this.malformed.push(text);
      return undefined;
    }
    const id = `${this.tag}t${m[1]}#${m[2]}`;
    const inv = this.open.get(id);
    if (inv === undefined) {
      this.malformed.push(text);
      return undefined;
    }
    this.open.delete(id);
    return { id, answered: this.complete(inv, Number(m[3]), m[4]!, t) };
  }

  private complete(inv: Invocation, status: number, seen: string, t: number): boolean {
    const answered = status === ABI.HKV_STATUS_OK || (inv.kind === 'G' && status === ABI.HKV_STATUS_NOT_FOUND);
    if (!answered) {
      this.counts.failed++;
      if (inv.kind !== 'G') this.done.push(write(inv, Infinity));
      return false;
    }
    this.counts.acknowledged++;
    if (inv.kind !== 'G') {
      this.done.push(write(inv, t));
    } else if (status === ABI.HKV_STATUS_NOT_FOUND) {
      this.done.push({ id: inv.id, key: inv.key, kind: 'read', value: null, call: inv.call, ret: t });
    } else if (seen === 'X') {
      this.torn.push(`${inv.id} get of key ${inv.key} returned a torn, corrupt or foreign value`);
    } else {
      this.done.push({ id: inv.id, key: inv.key, kind: 'read', value: seen, call: inv.call, ret: t });
    }
    return true;
  }

  /** The history so far; operations still open count as unfinished (unknown outcome). */
  finish(): KvOperation[] {
    for (const inv of this.open.values()) {
      this.counts.unfinished++;
      if (inv.kind !== 'G') this.done.push(write(inv, Infinity));
    }
    this.open.clear();
    return this.done;
  }
}

function write(inv: Invocation, ret: number): KvOperation {
  return { id: inv.id, key: inv.key, kind: 'write', value: inv.vid, call: inv.call, ret };
}
