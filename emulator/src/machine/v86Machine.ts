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
  read_blob(addr: number, len: number): Uint8Array;
  write_blob(bytes: Uint8Array, addr: number): void;
  device_raise_irq(irq: number): void;
  device_lower_irq(irq: number): void;
}

interface V86WithInternals {
  v86: { cpu: V86Cpu };
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
    const cpu = (emulator as unknown as V86WithInternals).v86.cpu;
    return new V86Machine(emulator, cpu);
  }

  readonly memory: RawMemory = ((cpu: () => V86Cpu) => ({
    get size(): number {
      return cpu().memory_size[0]! >>> 0;
    },
    view: (addr: number, len: number) => cpu().read_blob(addr, len),
    write: (addr: number, bytes: Uint8Array) => cpu().write_blob(bytes, addr),
  }))(() => this.cpu);

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
