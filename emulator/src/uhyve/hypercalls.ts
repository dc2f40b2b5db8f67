/**
 * The uhyve hypercalls other than the KV device: console WRITE, EXIT and the app's argv
 * (CMDSIZE/CMDVAL). Each reads its argument struct through the checked guest-memory API; a bad
 * address is counted and reported, never thrown out of a port handler (that would unwind through
 * v86's wasm and kill the process).
 */
import { ABI } from '../abi.js';
import type { GuestMemory } from '../machine/guestMemory.js';
import type { V86Machine } from '../machine/v86Machine.js';

export interface HypercallSink {
  /** Console bytes from the guest, fd 1 (stdout) or 2 (stderr). */
  console(fd: 1 | 2, bytes: Buffer): void;
  /** The guest asked to exit with this status. */
  exit(status: number): void;
  /** A hypercall the host refused (bad address, bad fd, ...). */
  rejected(call: string, reason: string): void;
}

export interface HypercallCounters {
  write: number;
  exit: number;
  cmdsize: number;
  cmdval: number;
}

export function registerHypercalls(
  machine: V86Machine,
  memory: GuestMemory,
  argv: readonly string[],
  sink: HypercallSink,
): HypercallCounters {
  const counters: HypercallCounters = { write: 0, exit: 0, cmdsize: 0, cmdval: 0 };
  const argBytes = Buffer.concat(argv.map((a) => Buffer.from(`${a}\0`, 'utf8')));

  const guarded = (call: string, fn: (addr: number) => void) => (addr: number) => {
    try {
      fn(addr >>> 0);
    } catch (err) {
      sink.rejected(call, err instanceof Error ? err.message : String(err));
    }
  };

  machine.onOut32(
    ABI.HKV_PORT_WRITE,
    guarded('write', (addr) => {
      counters.write++;
      const args = memory.read(addr, ABI.HKV_WRITE_SIZE, 'write arguments');
      const fd = args.readInt32LE(ABI.HKV_WRITE_OFF_FD);
      const buf = args.readUInt32LE(ABI.HKV_WRITE_OFF_BUF);
      const len = args.readUInt32LE(ABI.HKV_WRITE_OFF_LEN);
      if (fd !== 1 && fd !== 2) {
        memory.writeU32(addr + ABI.HKV_WRITE_OFF_LEN, 0);
        throw new Error(`write to fd ${fd} (only 1 and 2 exist)`);
      }
      sink.console(fd, memory.read(buf, len, 'write buffer'));
      memory.writeU32(addr + ABI.HKV_WRITE_OFF_LEN, len);
    }),
  );

  machine.onOut32(
    ABI.HKV_PORT_EXIT,
    guarded('exit', (addr) => {
      counters.exit++;
      let status: number;
      try {
        status = memory.read(addr, 4, 'exit status').readInt32LE(0);
      } catch (err) {
        // The guest wants to stop: stop it, but say the status was unreadable.
        sink.exit(255);
        throw err;
      }
      sink.exit(status);
    }),
  );

  machine.onOut32(
    ABI.HKV_PORT_CMDSIZE,
    guarded('cmdsize', (addr) => {
      counters.cmdsize++;
      memory.check(addr, ABI.HKV_CMDSIZE_SIZE, 'cmdsize arguments');
      memory.writeU32(addr + ABI.HKV_CMDSIZE_OFF_ARGC, argv.length);
      memory.writeU32(addr + ABI.HKV_CMDSIZE_OFF_BYTES, argBytes.length);
    }),
  );

  machine.onOut32(
    ABI.HKV_PORT_CMDVAL,
    guarded('cmdval', (addr) => {
      counters.cmdval++;
      const args = memory.read(addr, ABI.HKV_CMDVAL_SIZE, 'cmdval arguments');
      const buf = args.readUInt32LE(ABI.HKV_CMDVAL_OFF_BUF);
      const cap = args.readUInt32LE(ABI.HKV_CMDVAL_OFF_CAP);
      if (cap < argBytes.length) throw new Error(`cmdval buffer of ${cap} bytes is smaller than the ${argBytes.length} argv bytes`);
      memory.write(buf, argBytes, 'cmdval buffer');
    }),
  );

  return counters;
}
