/**
 * A minimal client of the proxy's socket for tests: plain node:net plus protocol.ts (what
 * node-ipc's rawBuffer mode puts on the wire), so tests can also send broken bytes.
 */
import net from 'node:net';
import { FrameReader, WireOp, decodeResponse, encodeRequest, type WireResponse } from '../../src/ipc/protocol.js';

export class WireClient {
  private readonly reader = new FrameReader();
  private readonly pending = new Map<number, (res: WireResponse) => void>();
  private nextId = 1;
  /** Response ids in arrival order. */
  readonly arrivals: number[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) {
        const res = decodeResponse(frame);
        this.arrivals.push(res.id);
        this.pending.get(res.id)?.(res);
        this.pending.delete(res.id);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static connect(path: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request; resolves with its response. Returns the id too, for ordering checks. */
  send(op: WireOp, key: Buffer | string, value: Buffer | string = Buffer.alloc(0)): { id: number; response: Promise<WireResponse> } {
    const id = this.nextId++;
    const response = new Promise<WireResponse>((resolve) => this.pending.set(id, resolve));
    this.socket.write(encodeRequest({ id, op, key: Buffer.from(key), value: Buffer.from(value) }));
    return { id, response };
  }

  request(op: WireOp, key: Buffer | string, value?: Buffer | string): Promise<WireResponse> {
    return this.send(op, key, value).response;
  }

  /** Resolves when the server has closed the connection. */
  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }
}
