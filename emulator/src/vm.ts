/**
 * One guest run: boots a Multiboot image in v86 with the uhyve hypercalls and the KV device
 * attached, streams its console, and resolves with its exit status once it calls EXIT.
 */
import { GuestMemory } from './machine/guestMemory.js';
import { V86Machine } from './machine/v86Machine.js';
import { registerHypercalls, type HypercallCounters } from './uhyve/hypercalls.js';
import { KvDevice, type KvBackend, type CompletedRequest } from './kv/device.js';
import type { KvStats } from './kv/stats.js';

export interface RunOptions {
  kernel: Uint8Array;
  /** argv as the guest sees it; argv[0] is the app name. */
  argv: readonly string[];
  memorySize: number;
  backend: KvBackend;
  console: (fd: 1 | 2, bytes: Buffer) => void;
  /** Host-side diagnostics (rejected hypercalls, proxy trouble). */
  log: (line: string) => void;
  onCompleted?: (done: CompletedRequest) => void;
  /** Stop the guest after this long (exit status 124, as timeout(1)). */
  timeoutMs?: number;
}

export interface RunResult {
  exitStatus: number;
  hypercalls: HypercallCounters;
  kv: KvStats;
  rejectedHypercalls: number;
  timedOut: boolean;
}

export async function runGuest(options: RunOptions): Promise<RunResult> {
  const machine = await V86Machine.create({ kernel: options.kernel, memorySize: options.memorySize, cmdline: options.argv.join(' ') });
  const memory = new GuestMemory(machine.memory);
  let rejectedHypercalls = 0;
  let exited: (status: number) => void = () => {};
  const exitStatus = new Promise<number>((resolve) => (exited = resolve));

  const hypercalls = registerHypercalls(machine, memory, options.argv, {
    console: options.console,
    exit: (status) => exited(status),
    rejected: (call, reason) => {
      rejectedHypercalls++;
      options.log(`hermitkv: rejected ${call} hypercall: ${reason}`);
    },
  });
  const device = new KvDevice(machine, memory, options.backend, {
    problem: options.log,
    completed: options.onCompleted,
  });

  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  if (options.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      options.log(`hermitkv: the guest did not exit within ${options.timeoutMs} ms; stopping it`);
      exited(124);
    }, options.timeoutMs);
  }

  machine.run();
  const status = await exitStatus;
  if (timer) clearTimeout(timer);
  device.stop();
  await machine.stop();
  return { exitStatus: status, hypercalls, kv: device.stats, rejectedHypercalls, timedOut };
}
