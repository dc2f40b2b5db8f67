/**
 * The self-describing values of the kvcrash guest app (guest-c/apps/kvcrash/kvcrash.c), read on
 * the host when the crash test verifies the store directly. Layout, little-endian u32s:
 *   magic "KVC1" | run | thread | seq | key | payload length n (0..200) | n payload bytes | FNV-1a
 * The payload bytes and n are a function of (run, thread, seq) (xorshift64*), and the checksum
 * covers everything before it, so a torn, mixed, corrupt or foreign value is recognised. A value
 * is named by its vid "run.thread.seq".
 */
const MAGIC = 0x3143564b;
const HDR = 24;
const MAX_PAYLOAD = 200;
const MASK = (1n << 64n) - 1n;

function fnv1a(bytes: Uint8Array): number {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h >>> 0;
}

/** The value put number seq of (run, thread) stores under key, exactly as the guest builds it. */
export function makeValue(run: number, thread: number, seq: number, key: number): Buffer {
  let s = ((((BigInt(run) << 40n) ^ (BigInt(thread) << 32n) ^ BigInt(seq)) * 0x9e3779b97f4a7c15n) & MASK) | 1n;
  const next = (): bigint => {
    s ^= s >> 12n;
    s = (s ^ (s << 25n)) & MASK;
    s ^= s >> 27n;
    return (s * 2685821657736338717n) & MASK;
  };
  const n = Number(next() % BigInt(MAX_PAYLOAD + 1));
  const v = Buffer.alloc(HDR + n + 4);
  [MAGIC, run, thread, seq, key, n].forEach((x, i) => v.writeUInt32LE(x >>> 0, 4 * i));
  for (let i = 0; i < n; i++) v[HDR + i] = Number(next() & 0xffn);
  v.writeUInt32LE(fnv1a(v.subarray(0, HDR + n)), HDR + n);
  return v;
}

/** The vid of value if it is whole and belongs to key; undefined if torn, corrupt or foreign. */
export function valueId(value: Buffer, key: number): string | undefined {
  if (value.length < HDR + 4 || value.readUInt32LE(0) !== MAGIC || value.readUInt32LE(16) !== key) return undefined;
  const [run, thread, seq] = [value.readUInt32LE(4), value.readUInt32LE(8), value.readUInt32LE(12)];
  return makeValue(run, thread, seq, key).equals(value) ? `${run}.${thread}.${seq}` : undefined;
}

/** The key name kvcrash uses for key number k. */
export function keyName(k: number): Buffer {
  return Buffer.from(`c/${k}`, 'latin1');
}
