// Descriptor validation: the guest is untrusted, so every address and length is checked against
// guest RAM and the API limits. The memory here is a plain byte array standing in for guest RAM
// of a given size; the same checks run on v86 memory in the end-to-end tests (badcall app).
import { ABI } from '../src/abi.js';
import { GuestMemory, type RawMemory } from '../src/machine/guestMemory.js';
import { parseDescriptor } from '../src/kv/request.js';

const RAM = 4 * 1024 * 1024;

function ram(): { memory: GuestMemory; bytes: Buffer } {
  const bytes = Buffer.alloc(RAM);
  const raw: RawMemory = {
    size: RAM,
    view: (addr, len) => bytes.subarray(addr, addr + len),
    write: (addr, data) => void bytes.set(data, addr),
  };
  return { memory: new GuestMemory(raw), bytes };
}

interface Desc {
  op?: number;
  tag?: number;
  keyAddr?: number;
  keyLen?: number;
  valAddr?: number;
  valLen?: number;
  auxAddr?: number;
  auxLen?: number;
  flags?: number;
  thread?: number;
}

const DESC = 0x200000;
const KEY = 0x201000;
const VAL = 0x202000;

function place(bytes: Buffer, d: Desc, at = DESC): void {
  const put = (off: number, v: number): void => void bytes.writeUInt32LE(v >>> 0, at + off);
  put(ABI.HKV_DESC_OFF_OP, d.op ?? ABI.HKV_OP_PUT);
  put(ABI.HKV_DESC_OFF_TAG, d.tag ?? 7);
  put(ABI.HKV_DESC_OFF_KEY_ADDR, d.keyAddr ?? KEY);
  put(ABI.HKV_DESC_OFF_KEY_LEN, d.keyLen ?? 3);
  put(ABI.HKV_DESC_OFF_VAL_ADDR, d.valAddr ?? VAL);
  put(ABI.HKV_DESC_OFF_VAL_LEN, d.valLen ?? 5);
  put(ABI.HKV_DESC_OFF_STATUS, 0);
  put(ABI.HKV_DESC_OFF_RESULT_LEN, 0);
  put(ABI.HKV_DESC_OFF_AUX_ADDR, d.auxAddr ?? 0);
  put(ABI.HKV_DESC_OFF_AUX_LEN, d.auxLen ?? 0);
  put(ABI.HKV_DESC_OFF_FLAGS, d.flags ?? 0);
  put(ABI.HKV_DESC_OFF_THREAD, d.thread ?? 0);
}

function parse(d: Desc) {
  const { memory, bytes } = ram();
  bytes.write('abc', KEY);
  bytes.write('hello', VAL);
  place(bytes, d);
  return { result: parseDescriptor(memory, DESC), bytes };
}

describe('KV descriptor validation', () => {
  it('accepts a well-formed put and copies key and value at submit', () => {
    const { result, bytes } = parse({});
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    bytes.write('XXXXX', VAL); // the guest rewrites its buffer after submitting
    expect(result.request.key.toString()).toBe('abc');
    expect(result.request.value.toString()).toBe('hello');
    expect(result.request.tag).toBe(7);
  });

  it('carries the submitting thread id through to the request (for traces)', () => {
    const { result } = parse({ thread: 42 });
    expect(result.kind === 'ok' && result.request.thread).toBe(42);
  });

  it('treats a zero-length put as a delete', () => {
    const { result } = parse({ valLen: 0, valAddr: 0 });
    expect(result.kind === 'ok' && result.request.op).toBe(ABI.HKV_OP_DELETE);
  });

  it('accepts the empty key and a 1024-byte key, refuses 1025', () => {
    expect(parse({ keyLen: 0 }).result.kind).toBe('ok');
    expect(parse({ keyLen: 1024 }).result.kind).toBe('ok');
    expect(parse({ keyLen: 1025 }).result).toMatchObject({ kind: 'invalid', tag: 7 });
  });

  it.each([
    ['a key past the end of RAM', { keyAddr: RAM - 2, keyLen: 3 }],
    ['a key that wraps past 4 GiB', { keyAddr: 0xffffffff, keyLen: 2 }],
    ['a key in the VGA hole', { keyAddr: 0xa0000, keyLen: 3 }],
    ['a value past the end of RAM', { valAddr: RAM, valLen: 1 }],
    ['a value far outside RAM', { valAddr: 0xf0000000, valLen: 16 }],
    ['a value of 4097 bytes', { valLen: 4097 }],
    ['an unknown op', { op: 99 }],
    ['op zero', { op: 0 }],
    ['non-zero flags', { flags: 1 }],
    ['aux fields on a put', { auxAddr: KEY }],
    ['a get buffer past RAM', { op: ABI.HKV_OP_GET, valAddr: RAM - 4, valLen: 8 }],
    ['a get buffer overlapping the descriptor', { op: ABI.HKV_OP_GET, valAddr: DESC + 8, valLen: 64 }],
    ['a delete that carries a value', { op: ABI.HKV_OP_DELETE, valLen: 4 }],
  ])('refuses %s with an invalid status', (_name, d) => {
    expect(parse(d).result).toMatchObject({ kind: 'invalid', descAddr: DESC, tag: 7 });
  });

  it('cannot answer a descriptor that is itself outside RAM or misaligned', () => {
    const { memory } = ram();
    expect(parseDescriptor(memory, RAM - 8).kind).toBe('unreadable');
    expect(parseDescriptor(memory, 0xfffffff0).kind).toBe('unreadable');
    expect(parseDescriptor(memory, DESC + 2).kind).toBe('unreadable');
  });

  // SCAN: the start key in key, the end key in aux (with HKV_SCAN_F_END), the batch buffer in val.
  const BATCH = 0x210000;
  const scan = (d: Desc): Desc => ({ op: ABI.HKV_OP_SCAN, valAddr: BATCH, valLen: ABI.HKV_SCAN_MIN_BATCH, ...d });

  it('accepts a scan and copies its end key at submit', () => {
    const { result, bytes } = parse(scan({ flags: ABI.HKV_SCAN_F_END | ABI.HKV_SCAN_F_AFTER, auxAddr: VAL, auxLen: 5 }));
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    bytes.write('XXXXX', VAL);
    expect(result.request.scan).toEqual({ end: Buffer.from('hello'), after: true });
    expect(result.request.key.toString()).toBe('abc');
    expect(result.request).toMatchObject({ bufAddr: BATCH, bufCapacity: ABI.HKV_SCAN_MIN_BATCH });
    const open = parse(scan({ valLen: ABI.HKV_SCAN_MAX_BATCH })).result;
    expect(open.kind === 'ok' && open.request.scan).toEqual({ end: undefined, after: false });
    const emptyEnd = parse(scan({ flags: ABI.HKV_SCAN_F_END, auxAddr: 0, auxLen: 0 })).result;
    expect(emptyEnd.kind === 'ok' && emptyEnd.request.scan?.end).toEqual(Buffer.alloc(0));
  });

  it.each([
    ['an end key at a bad address', scan({ flags: ABI.HKV_SCAN_F_END, auxAddr: 0xfffffff0, auxLen: 32 })],
    ['an end key in the VGA hole', scan({ flags: ABI.HKV_SCAN_F_END, auxAddr: 0xa0000, auxLen: 4 })],
    ['an end key of 1025 bytes', scan({ flags: ABI.HKV_SCAN_F_END, auxAddr: KEY, auxLen: 1025 })],
    ['aux fields without HKV_SCAN_F_END', scan({ auxAddr: KEY, auxLen: 3 })],
    ['unknown scan flags', scan({ flags: 4 })],
    ['a batch buffer past RAM', scan({ valAddr: RAM - 4096 })],
    ['a batch buffer wrapping past 4 GiB', scan({ valAddr: 0xffffff00 })],
    ['a batch buffer overlapping the descriptor', scan({ valAddr: DESC - 64 })],
    ['a batch capacity below the minimum', scan({ valLen: ABI.HKV_SCAN_MIN_BATCH - 1 })],
    ['a batch capacity above the maximum', scan({ valLen: ABI.HKV_SCAN_MAX_BATCH + 1 })],
    ['a start key of 1025 bytes', scan({ keyLen: 1025 })],
    ['a start key past RAM', scan({ keyAddr: RAM - 1, keyLen: 2 })],
  ])('refuses a scan with %s', (_name, d) => {
    expect(parse(d).result).toMatchObject({ kind: 'invalid', descAddr: DESC, tag: 7 });
  });

  it('accepts a get with a zero-capacity buffer (the size query)', () => {
    const { result } = parse({ op: ABI.HKV_OP_GET, valAddr: 0, valLen: 0 });
    expect(result.kind === 'ok' && result.request.bufCapacity).toBe(0);
  });
});
