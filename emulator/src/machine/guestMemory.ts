/**
 * The only way the hypervisor touches guest memory: every access names an address and a length
 * that are checked against guest RAM first. The guest is untrusted, so a range that wraps past
 * 4 GiB, runs past the end of RAM, or touches the legacy VGA/ROM hole [0xA0000, 0x100000) is
 * refused with a GuestMemoryError rather than clamped or partially honoured.
 */
export class GuestMemoryError extends Error {}

/** The raw byte access a machine provides; implemented by the v86 adapter. */
export interface RawMemory {
  readonly size: number;
  /** A view of [addr, addr+len): may be live, callers copy. */
  view(addr: number, len: number): Uint8Array;
  write(addr: number, bytes: Uint8Array): void;
}

const HOLE_START = 0xa0000;
const HOLE_END = 0x100000;

export class GuestMemory {
  constructor(private readonly raw: RawMemory) {}

  get size(): number {
    return this.raw.size;
  }

  /** True when [addr, addr+len) is ordinary guest RAM. A zero length is valid anywhere in RAM. */
  contains(addr: number, len: number): boolean {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0) return false;
    const end = addr + len; // numbers are doubles: no 32-bit wrap-around here
    if (end > this.raw.size || end > 0x1_0000_0000) return false;
    if (len === 0) return addr <= this.raw.size;
    return end <= HOLE_START || addr >= HOLE_END;
  }

  check(addr: number, len: number, what: string): void {
    if (!this.contains(addr, len)) {
      throw new GuestMemoryError(`${what} [0x${addr.toString(16)}, +${len}) is outside guest RAM`);
    }
  }

  /** A copy of guest bytes: later guest writes do not change it. */
  read(addr: number, len: number, what = 'read'): Buffer {
    this.check(addr, len, what);
    return Buffer.from(this.raw.view(addr, len));
  }

  readU32(addr: number, what = 'u32'): number {
    return this.read(addr, 4, what).readUInt32LE(0);
  }

  write(addr: number, bytes: Uint8Array, what = 'write'): void {
    this.check(addr, bytes.length, what);
    if (bytes.length > 0) this.raw.write(addr, bytes);
  }

  writeU32(addr: number, value: number, what = 'u32'): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(value >>> 0, 0);
    this.write(addr, b, what);
  }

  writeI32(addr: number, value: number, what = 'i32'): void {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32LE(value | 0, 0);
    this.write(addr, b, what);
  }
}
