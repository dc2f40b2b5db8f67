/**
 * `npm run bench:ipc`: the cost of the hypervisor ↔ proxy link, measured between two Node
 * processes: a plain Unix socket (the floor), node-ipc's default JSON framing (base64 payload),
 * and node-ipc's rawBuffer mode with hermitkv's binary frames. Prints round-trip p50/p99 at
 * concurrency 1 and round trips per second at concurrency 32, each mode against the floor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPCModule } from 'node-ipc';
import { FrameReader, WireOp, decodeResponse, encodeRequest } from '../../../proxy/src/ipc/protocol.js';
import { percentile } from '../trace/summary.js';

type Mode = 'raw' | 'json' | 'binary';
type Send = (id: number, payload: Buffer) => void;

interface Link {
  send: Send;
  close(): void;
}

const PAYLOAD = Buffer.alloc(1024, 0x5a);
const ROUND_TRIPS = Number(process.env.IPC_BENCH_N ?? 4000);

async function startServer(mode: Mode, socket: string): Promise<ChildProcess> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'echoServer.js');
  const child = spawn(process.execPath, [script, mode, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`echo server (${mode}) exited with ${code}`)));
  });
  return child;
}

function connect(mode: Mode, socket: string, onReply: (id: number) => void): Promise<Link> {
  if (mode === 'raw') {
    return new Promise((resolve) => {
      const s = net.connect(socket, () =>
        resolve({
          send: (id, payload) => {
            const frame = Buffer.allocUnsafe(8 + payload.length);
            frame.writeUInt32LE(4 + payload.length, 0);
            frame.writeUInt32LE(id, 4);
            payload.copy(frame, 8);
            s.write(frame);
          },
          close: () => s.destroy(),
        }),
      );
      const reader = new FrameReader();
      s.on('data', (chunk: Buffer) => reader.push(chunk).forEach((body) => onReply(body.readUInt32LE(0))));
    });
  }
  const ipc = new IPCModule();
  Object.assign(ipc.config, { silent: true, maxRetries: 0, rawBuffer: mode === 'binary', encoding: mode === 'binary' ? 'latin1' : 'utf8' });
  return new Promise((resolve) => {
    ipc.connectTo('bench', socket, () => {
      const client = ipc.of.bench!;
      if (mode === 'binary') {
        const reader = new FrameReader();
        client.on('data', (chunk: Buffer) => reader.push(chunk).forEach((body) => onReply(decodeResponse(body).id)));
      } else {
        (client as unknown as { on(e: 'echo', h: (d: { id: number }) => void): void }).on('echo', (d) => onReply(d.id));
      }
      client.on('connect', () =>
        resolve({
          send:
            mode === 'binary'
              ? // As hermitkv's ProxyClient: frames go straight to the socket node-ipc connected
                // (client.emit would build a js-message Message, ~5 µs, and copy the Buffer).
                (id, payload) => client.socket.write(encodeRequest({ id, op: WireOp.Put, key: Buffer.from('k'), value: payload.subarray(0, 1024) }))
              : (id, payload) =>
                  (client as unknown as { emit(t: string, d: unknown): void }).emit('echo', { id, payload: payload.toString('base64') }),
          close: () => ipc.disconnect('bench'),
        }),
      );
    });
  });
}

export interface IpcResult {
  p50: number;
  p99: number;
  perSecond: number;
}

async function measure(mode: Mode, roundTrips = ROUND_TRIPS): Promise<IpcResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-ipcbench-'));
  const socket = path.join(dir, 's.sock');
  const server = await startServer(mode, socket);
  const waiting = new Map<number, () => void>();
  const link = await connect(mode, socket, (id) => {
    waiting.get(id)?.();
    waiting.delete(id);
  });
  let nextId = 1;
  const roundTrip = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      link.send(id, PAYLOAD);
    });
  try {
    for (let i = 0; i < 200; i++) await roundTrip(); // warm up the JIT and the socket
    const lat: number[] = [];
    for (let i = 0; i < roundTrips; i++) {
      const t0 = performance.now();
      await roundTrip();
      lat.push((performance.now() - t0) * 1000);
    }
    lat.sort((a, b) => a - b);
    const t0 = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (done < roundTrips * 2) {
          done++;
          await roundTrip();
        }
      }),
    );
    const perSecond = (done / (performance.now() - t0)) * 1000;
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), perSecond };
  } finally {
    link.close();
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor: a plain Unix socket round trip between two Node processes (1 KiB payload). */
export async function ipcFloor(roundTrips = ROUND_TRIPS): Promise<IpcResult> {
  return measure('raw', roundTrips);
}

async function main(): Promise<void> {
  console.log(`IPC round trips between two Node processes, 1 KiB payload, ${ROUND_TRIPS} round trips per mode`);
  const results = new Map<Mode, Awaited<ReturnType<typeof measure>>>();
  for (const mode of ['raw', 'json', 'binary'] as const) results.set(mode, await measure(mode));
  const floor = results.get('raw')!;
  console.log('mode     p50 µs   p99 µs   ×floor p50   round trips/s (c=32)   ×floor');
  for (const [mode, r] of results) {
    console.log(
      `${mode.padEnd(8)}${r.p50.toFixed(0).padStart(7)}${r.p99.toFixed(0).padStart(9)}${(r.p50 / floor.p50).toFixed(2).padStart(13)}${r.perSecond.toFixed(0).padStart(23)}${(r.perSecond / floor.perSecond).toFixed(2).padStart(9)}`,
    );
  }
  console.log(`BENCH_IPC ${JSON.stringify(Object.fromEntries(results))}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main();
}
