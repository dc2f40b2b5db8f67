/**
 * A typed adapter over v86. This is the only module that touches `emulator.v86.cpu`, which is
 * internal to v86 and absent from its type declarations: ports, guest memory and IRQ lines are
 * reached through the narrow interfaces below.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { V86 } from 'v86';
import type { RawMemory } from './guestMemory.js';

/** The parts of v86's internal CPU object that we use. */
interface V86Cpu {
  io: {
    register_write(port: number, device: object, w8?: (v: number) => void, w16?: (v: number) => void, w32?: (v: number) => void): void;
    register_read(port: number, device: object, r8?: () => number, r16?: () => number, r32?: () => number): void;
  };
  memory_size: Int32Array | Uint32Array;
  /** Guest RAM. v86 hands out a Proxy that builds a new typed array on every property access. */
  mem8: Uint8Array;
  wasm_memory: { buffer: ArrayBufferLike };
  /** Drops JIT-compiled code for guest-physical [start, end) (what write_blob does first). */
  jit_dirty_cache(start: number, end: number): void;
  device_raise_irq(irq: number): void;
  device_lower_irq(irq: number): void;
  /** One byte: 1 while the CPU waits in `hlt`. */
  in_hlt: Uint8Array;
}

/** v86's main loop object (src/main.js): do_tick runs the CPU, yield schedules the next tick. */
interface V86Main {
  cpu: V86Cpu;
  do_tick(): void;
  yield(t: number, tick: number): void;
  yield_callback(tick: number): void;
}

interface V86WithInternals {
  v86: V86Main;
}

export interface MachineOptions {
  /** The Multiboot v1 ELF kernel image. */
  kernel: Uint8Array;
  /** Guest RAM in bytes. */
  memorySize: number;
  /** Multiboot command line (informational; argv travels through CMDSIZE/CMDVAL). */
  cmdline?: string;
}

export type Out32Handler = (value: number) => void;
export type In32Handler = () => number;

function wasmPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('v86/package.json')), 'build', 'v86.wasm');
}

/**
 * v86 in Node schedules its next tick with setImmediate whenever the next timer event is less
 * than 1 ms away, which with the guest's 1 kHz PIT is always: a halted guest keeps the
 * hypervisor spinning at 100% CPU. That polling is what we want while a device completion is
 * expected soon (it notices the proxy's answer without a wake-up of this process), and waste
 * otherwise (a guest sleeping in usleep or waiting on a timer), when it takes a core from the
 * proxy and everything else. So when a tick ends with the CPU halted and `poll()` says nothing is
 * expected, wait in the event loop instead (setTimeout, at least 1 ms): a device interrupt still
 * wakes the CPU at once (pulseIrq → v86's stop_idling → next_tick(0), scheduled with
 * setImmediate since it does not come from a halted tick), and v86 merges late timer ticks.
 */
function sleepWhenHalted(main: V86Main, poll: () => boolean): void {
  const doTick = main.do_tick.bind(main);
  // main.cpu.in_hlt is one of v86's Proxy views (a new typed array per access): read the byte
  // through our own view of the wasm memory instead, rebuilt if that memory is ever replaced.
  const hltOffset = main.cpu.in_hlt.byteOffset;
  let bytes = new Uint8Array(main.cpu.wasm_memory.buffer);
  const halted = (): boolean => {
    if (bytes.byteLength === 0) bytes = new Uint8Array(main.cpu.wasm_memory.buffer);
    return bytes[hltOffset] === 1;
  };
  let inTick = false;
  main.do_tick = () => {
    inTick = true;
    try {
      doTick();
    } finally {
      inTick = false;
    }
  };
  main.yield = (t, tick) => {
    if (t < 1 && !(inTick && !poll() && halted())) setImmediate(() => main.yield_callback(tick));
    else setTimeout(() => main.yield_callback(tick), Math.max(1, t));
  };
}

export class V86Machine {
  private constructor(
    private readonly emulator: V86,
    private readonly cpu: V86Cpu,
  ) {}

  /**
   * Creates the emulator and resolves once it is loaded but before the guest runs, so that
   * every port is registered before the guest's first instruction.
   */
  static async create(options: MachineOptions): Promise<V86Machine> {
    const kernel = options.kernel;
    const buffer = kernel.buffer.slice(kernel.byteOffset, kernel.byteOffset + kernel.byteLength) as ArrayBuffer;
    const emulator = new V86({
      wasm_path: wasmPath(),
      memory_size: options.memorySize,
      vga_memory_size: 256 * 1024,
      multiboot: { buffer },
      cmdline: options.cmdline ?? '',
      autostart: false,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      log_level: 0,
    } as ConstructorParameters<typeof V86>[0]);
    await new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', () => resolve()));
    const main = (emulator as unknown as V86WithInternals).v86;
    const machine = new V86Machine(emulator, main.cpu);
    sleepWhenHalted(main, () => machine.pollWhileHalted());
    return machine;
  }

  /**
   * Guest RAM through one cached Uint8Array over the wasm memory (rebuilt if the memory buffer is
   * ever replaced), not v86's read_blob/write_blob: their `mem8` and `memory_size` are Proxies
   * that allocate a typed array (and bind a function) on every access, which cost more than the
   * rest of a KV request's host path. Writes invalidate JIT-compiled code first, as write_blob.
   */
  readonly memory: RawMemory = ((machine: () => V86Machine) => ({
    get size(): number {
      return machine().ram().length;
    },
    view: (addr: number, len: number) => machine().ram().subarray(addr, addr + len),
    write: (addr: number, bytes: Uint8Array) => {
      const m = machine();
      m.cpu.jit_dirty_cache(addr, addr + bytes.length);
      m.ram().set(bytes, addr);
    },
  }))(() => this);

  private ramView: Uint8Array | undefined;
  private ramOffset = -1;
  private ramSize = -1;

  private ram(): Uint8Array {
    // A view of a replaced (detached) wasm memory buffer has length 0.
    if (this.ramView === undefined || this.ramView.byteLength === 0) {
      const buffer = this.cpu.wasm_memory.buffer;
      if (this.ramOffset < 0) this.ramOffset = this.cpu.mem8.byteOffset;
      if (this.ramSize < 0) this.ramSize = this.cpu.memory_size[0]! >>> 0;
      this.ramView = new Uint8Array(buffer, this.ramOffset, this.ramSize);
    }
    return this.ramView;
  }

  /**
   * While this returns true (a device completion is expected soon), a halted guest keeps v86
   * polling the event loop rather than sleeping until its next timer; see sleepWhenHalted.
   */
  pollWhileHalted: () => boolean = () => false;

  /** 32-bit `outl` on port. Narrower writes to the port are ignored, as on a 32-bit-only device. */
  onOut32(port: number, handler: Out32Handler): void {
    this.cpu.io.register_write(port, this, undefined, undefined, handler);
  }

  /** 32-bit `inl` on port. */
  onIn32(port: number, handler: In32Handler): void {
    this.cpu.io.register_read(port, this, undefined, undefined, handler);
  }

  /** One edge on an 8259 line: the PIC is edge-triggered, so lower before raising. */
  pulseIrq(irq: number): void {
    this.cpu.device_lower_irq(irq);
    this.cpu.device_raise_irq(irq);
  }

  run(): void {
    void this.emulator.run();
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
    await this.emulator.destroy();
  }
}
