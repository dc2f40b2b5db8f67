/**
 * The history checker on hand-written histories: linearizable ones it must accept, and ones with
 * a lost write, a stale read, an undone delete, a value nobody wrote, or a read that goes back in
 * time, which it must reject. Also the console record parser the crash test feeds it from.
 */
import { describe, expect, test } from '@jest/globals';
import { checkLinearizable, type KvOperation } from '../src/check/linearizability.js';
import { ConsoleHistory } from '../src/check/consoleHistory.js';

let n = 0;
const put = (key: string, value: string, call: number, ret: number): KvOperation => ({ id: `op${n++}`, key, kind: 'write', value, call, ret });
const del = (key: string, call: number, ret: number): KvOperation => ({ id: `op${n++}`, key, kind: 'write', value: null, call, ret });
const get = (key: string, value: string | null, call: number, ret: number): KvOperation => ({ id: `op${n++}`, key, kind: 'read', value, call, ret });

function violations(history: KvOperation[], initial?: Map<string, string | null>): string[] {
  const result = checkLinearizable(history, initial ? { initial } : {});
  expect(result.undecided).toEqual([]);
  return result.violations.map((v) => v.key);
}

describe('linearizable histories are accepted', () => {
  test('sequential puts, gets and deletes', () => {
    expect(violations([put('a', 'v1', 0, 1), get('a', 'v1', 2, 3), del('a', 4, 5), get('a', null, 6, 7), put('a', 'v2', 8, 9), get('a', 'v2', 10, 11)])).toEqual([]);
  });

  test('a read concurrent with a write may see either value', () => {
    const h = [put('a', 'v1', 0, 1), put('a', 'v2', 2, 10), get('a', 'v1', 3, 4), get('a', 'v2', 5, 6), get('a', 'v2', 11, 12)];
    expect(violations(h)).toEqual([]);
  });

  test('concurrent writes may be ordered either way, as long as all readers agree', () => {
    const h = [put('a', 'x', 0, 10), put('a', 'y', 1, 9), get('a', 'x', 11, 12), get('a', 'x', 13, 14)];
    expect(violations(h)).toEqual([]);
  });

  test('a write with an unknown outcome may take effect late, or never', () => {
    // It failed (-1) at the proxy's death: readers much later may still see it, or not.
    expect(violations([put('a', 'v1', 0, 1), put('a', 'lost', 2, Infinity), get('a', 'v1', 5, 6), get('a', 'lost', 7, 8)])).toEqual([]);
    expect(violations([put('a', 'v1', 0, 1), put('a', 'lost', 2, Infinity), get('a', 'v1', 5, 6), get('a', 'v1', 7, 8)])).toEqual([]);
  });

  test('keys are independent; the initial state counts', () => {
    const h = [get('a', 'old', 0, 1), put('b', 'v', 0, 1), get('b', 'v', 2, 3), get('c', null, 0, 1)];
    expect(violations(h, new Map([['a', 'old']]))).toEqual([]);
  });

  test('a long history with much concurrency is decided quickly', () => {
    const h: KvOperation[] = [];
    for (let i = 0; i < 300; i++) {
      h.push(put('k', `w${i}`, 10 * i, 10 * i + 25));
      h.push(get('k', `w${i}`, 10 * i + 26, 10 * i + 40));
    }
    expect(violations(h)).toEqual([]);
  });
});

describe('non-linearizable histories are rejected', () => {
  test('an acknowledged write lost: a later read sees the older value', () => {
    expect(violations([put('a', 'v1', 0, 1), put('a', 'v2', 2, 3), get('a', 'v1', 4, 5)])).toEqual(['a']);
  });

  test('a stale read after a newer value was already read', () => {
    const h = [put('a', 'v1', 0, 1), put('a', 'v2', 2, 10), get('a', 'v2', 3, 4), get('a', 'v1', 5, 6)];
    expect(violations(h)).toEqual(['a']);
  });

  test('an acknowledged delete undone', () => {
    expect(violations([put('a', 'v1', 0, 1), del('a', 2, 3), get('a', 'v1', 4, 5)])).toEqual(['a']);
  });

  test('a value nobody wrote', () => {
    expect(violations([put('a', 'v1', 0, 1), get('a', 'ghost', 2, 3)])).toEqual(['a']);
  });

  test('readers disagree on the order of two concurrent writes', () => {
    const h = [put('a', 'x', 0, 10), put('a', 'y', 1, 9), get('a', 'x', 11, 12), get('a', 'y', 13, 14), get('a', 'x', 15, 16)];
    expect(violations(h)).toEqual(['a']);
  });

  test('only the broken key is reported', () => {
    const h = [put('a', 'v1', 0, 1), get('a', 'v1', 2, 3), put('b', 'v1', 0, 1), put('b', 'v2', 2, 3), get('b', 'v1', 4, 5)];
    expect(violations(h)).toEqual(['b']);
  });

  test('a write with an unknown outcome cannot explain a read before it was invoked', () => {
    expect(violations([put('a', 'v1', 0, 1), get('a', 'late', 2, 3), put('a', 'late', 4, Infinity)])).toEqual(['a']);
  });
});

describe('the kvcrash console record', () => {
  test('parses into operations with unknown outcomes for -1 and for no return', () => {
    const h = new ConsoleHistory(0);
    const lines = [
      'kvcrash: run 1, 2 threads, 4 keys, seed 1, 100 ms',
      'I 0 0 P 3 1.0.1',
      'I 1 0 G 3',
      'R 0 0 0 -',
      'R 1 0 0 1.0.1',
      'I 0 1 D 3',
      'R 0 1 4 -', // IO_ERROR: the proxy died
      'I 1 1 G 2',
      'R 1 1 1 -', // absent
      'I 1 2 G 2',
      'R 1 2 5 -', // UNAVAILABLE: says nothing
      'I 0 2 P 2 1.0.2', // never returned
    ];
    const done = lines.map((l) => h.line(l));
    expect(done[4]).toEqual({ id: 't1#0', answered: true });
    const ops = h.finish();
    expect(h.counts).toEqual({ invoked: 6, acknowledged: 3, failed: 2, unfinished: 1 });
    expect(ops).toEqual([
      { id: 't0#0', key: '3', kind: 'write', value: '1.0.1', call: 2, ret: 4 },
      { id: 't1#0', key: '3', kind: 'read', value: '1.0.1', call: 3, ret: 5 },
      { id: 't0#1', key: '3', kind: 'write', value: null, call: 6, ret: Infinity },
      { id: 't1#1', key: '2', kind: 'read', value: null, call: 8, ret: 9 },
      { id: 't0#2', key: '2', kind: 'write', value: '1.0.2', call: 12, ret: Infinity },
    ]);
    expect(checkLinearizable(ops).violations).toEqual([]);
  });

  test('a torn value is a violation by itself', () => {
    const h = new ConsoleHistory(0);
    h.line('I 0 0 G 1');
    h.line('R 0 0 0 X');
    expect(h.torn).toHaveLength(1);
  });
});
