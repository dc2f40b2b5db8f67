/**
 * The hypervisor's end of the device channel: one node-ipc connection to the proxy, carrying
 * binary frames (proxy/src/ipc/protocol.ts) in node-ipc's rawBuffer mode. Many requests are in
 * flight at once on the one connection; responses are matched to requests by id.
 *
 * When the proxy cannot be reached, every later request resolves at once with `unavailable` (and
 * the reason): nothing was sent, nothing was done. When the connection drops (the proxy died: the
 * kernel closes its socket, and node-ipc reports it within the same event-loop turn) every pending
 * request resolves with an IoError response instead: it was sent, so it may or may not have taken
 * effect. Never hangs, never throws. A client does not reconnect by itself; reconnectingClient.ts
 * does that.
 */
import type { Socket } from 'node:net';
import { IPCModule } from 'node-ipc';
import {
  FrameReader,
  ProtocolError,
  WireOp,
  WireStatus,
  decodeResponse,
  encodeRequest,
  type WireResponse,
} from '../../../proxy/src/ipc/protocol.js';

export type ProxyReply = { kind: 'response'; response: WireResponse } | { kind: 'unavailable'; reason: string };

const CLIENT_ID = 'hermitkv-proxy';

export class ProxyClient {
  private readonly ipc = new IPCModule();
  private readonly pending = new Map<number, (reply: ProxyReply) => void>();
  private readonly reader = new FrameReader();
  private nextId = 1;
  /** Frames submitted in this turn, written together when the turn ends (see send). */
  private outbox: Buffer[] = [];
  private connected = false;
  private downReason = 'not connected yet';
  private downListeners: Array<(reason: string) => void> = [];

  private constructor(readonly socketPath: string) {}

  /** Connects; resolves with the client, or rejects with a one-line reason. */
  static connect(socketPath: string, timeoutMs = 5000): Promise<ProxyClient> {
    const client = new ProxyClient(socketPath);
    return client.open(timeoutMs).then(() => client);
  }

  private open(timeoutMs: number): Promise<void> {
    Object.assign(this.ipc.config, {
      rawBuffer: true,
      encoding: 'latin1', // node-ipc decodes chunks to strings and back: latin1 is byte-exact
      silent: true,
      maxRetries: 0,
      stopRetrying: true,
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`no answer from ${this.socketPath} within ${timeoutMs} ms`), timeoutMs);
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.ipc.disconnect(CLIENT_ID);
        reject(new Error(reason));
      };
      this.ipc.connectTo(CLIENT_ID, this.socketPath);
      const link = this.ipc.of[CLIENT_ID]!;
      link.on('connect', () => {
        this.connected = true;
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      });
      link.on('error', (err: Error) => {
        this.downReason = describe(err);
        fail(`cannot reach the proxy at ${this.socketPath}: ${this.downReason}`);
      });
      link.on('disconnect', () => this.markDown(this.connected ? 'the proxy closed the connection' : this.downReason));
      link.on('data', (chunk: Buffer) => this.receive(chunk));
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get reason(): string {
    return this.downReason;
  }

  /** Calls listener once, when the connection is lost or closed. */
  onDown(listener: (reason: string) => void): void {
    if (!this.connected) listener(this.downReason);
    else this.downListeners.push(listener);
  }

  request(op: WireOp, key: Buffer, value: Buffer = Buffer.alloc(0)): Promise<ProxyReply> {
    if (!this.connected) return Promise.resolve({ kind: 'unavailable', reason: this.downReason });
    const id = this.nextId;
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    return new Promise<ProxyReply>((resolve) => {
      this.pending.set(id, resolve);
      this.send(encodeRequest({ id, op, key, value }));
    });
  }

  /**
   * Writes a frame on the socket node-ipc connected (its emit() would only build a js-message
   * Message and copy the Buffer). Frames are written when the current turn's synchronous code
   * ends, all of them in one write. Requests are submitted from v86's port handler, inside the
   * tick that runs the guest: writing there wakes the proxy while this process still has the
   * guest to run until it halts, and on a busy host the woken proxy preempts us mid-tick (the
   * tick then lasts the proxy's whole turn: measured 60–130 µs instead of the guest's 12–17 µs
   * from outl to hlt). Written after the tick, the proxy's turn overlaps our wait for it, and
   * many guest threads submitting in one tick share one syscall and one wake-up of the proxy.
   */
  private send(frame: Buffer): void {
    if (this.outbox.push(frame) === 1) queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    const frames = this.outbox;
    if (frames.length === 0) return;
    this.outbox = [];
    this.socket()?.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  };

  private socket(): Socket | undefined {
    const socket = this.ipc.of[CLIENT_ID]?.socket as Socket | false | undefined;
    return socket && !socket.destroyed ? socket : undefined;
  }

  close(): void {
    this.markDown('closed by the hypervisor');
    this.ipc.disconnect(CLIENT_ID);
  }

  private receive(chunk: Buffer): void {
    try {
      for (const body of this.reader.push(chunk)) {
        const response = decodeResponse(body);
        const resolve = this.pending.get(response.id);
        if (!resolve) continue; // a response for a request we no longer wait for
        this.pending.delete(response.id);
        resolve({ kind: 'response', response });
      }
    } catch (err) {
      const why = err instanceof ProtocolError ? err.message : describe(err);
      this.markDown(`malformed response from the proxy: ${why}`);
      this.ipc.disconnect(CLIENT_ID);
    }
  }

  private markDown(reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.downReason = reason;
    const waiting = [...this.pending.entries()];
    this.pending.clear();
    const lost = Buffer.from(`the connection to the proxy was lost with the request in flight (${reason}); it may or may not have taken effect`);
    for (const [id, resolve] of waiting) resolve({ kind: 'response', response: { id, status: WireStatus.IoError, value: lost } });
    if (wasConnected) {
      const listeners = this.downListeners;
      this.downListeners = [];
      for (const listener of listeners) listener(reason);
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code} (${err.message})` : err.message;
  }
  return String(err);
}
