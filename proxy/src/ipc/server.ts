/**
 * The proxy's end of the device channel: a node-ipc server on a Unix socket carrying the binary
 * frames of protocol.ts, dispatching each request to the engine.
 *
 * - node-ipc runs in rawBuffer mode with encoding latin1: it calls socket.setEncoding(encoding)
 *   and then Buffer.from(chunk, encoding), and only latin1 maps every byte to a character and
 *   back unchanged (utf8 would corrupt binary keys and values).
 * - Many requests are in flight per connection; responses carry the request id and go out as
 *   soon as each finishes, in any order. Requests for one key still run in arrival order
 *   (ordering.ts): one after another, except that on an engine that orders a key's writes itself
 *   (Engine.ordersWrites: log, memory) writes start in arrival order without waiting for the
 *   earlier ones to finish. At most maxInflight engine operations run at once. A SCAN batch first
 *   waits for the requests on keys in its range that arrived before it, so it sees every write
 *   the guest issued before the batch (and every write that completed before the scan began).
 * - A request (a scan batch too) not answered within `requestTimeoutMs` of its arrival is answered IoError then
 *   (S3 slow or down): a request queued behind others on its key would otherwise wait for all of
 *   them, each up to its own S3 deadline. One still queued when that happens is never run; one
 *   already running may still take effect (which IoError allows).
 * - The peer may be any local process of this user: a frame that breaks the protocol closes
 *   that connection only (one log line); nothing a client sends can crash the server.
 */
import { chmodSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { IPCModule } from 'node-ipc';
import type { Engine } from '../engine/engine.js';
import { StartupError } from '../startupError.js';
import { KeyedSerializer, Limiter } from './ordering.js';
import { FrameReader, ProtocolError, WireOp, WireStatus, decodeRequest, encodeResponse, type WireRequest } from './protocol.js';
import { ScanUnsupportedError, inScanRange, readScanBatch } from './scanRequest.js';
import { decodeScanParams, type ScanParams } from './scanWire.js';
import { socketIsLive } from './socketPath.js';

export interface IpcServerOptions {
  socketPath: string;
  engine: Engine;
  /** Engine operations running at once (default 64). */
  maxInflight?: number;
  /** One line per notable event (dropped clients); default: stderr. */
  log?: (line: string) => void;
  /** Answer IoError to a request still unanswered this long after it arrived; default: never. */
  requestTimeoutMs?: number;
  /** More statistics for STATS requests (e.g. the proxy's configuration). */
  extraStats?: () => Record<string, number | string>;
}

interface Connection {
  id: number;
  socket: Socket;
  reader: FrameReader;
  /** Requests received on this connection and not yet answered. */
  pending: number;
  paused: boolean;
  /** Responses finished in this turn, written together at its end (see respond). */
  outbox: Buffer[];
}

/** A connection with this many unanswered requests stops being read until it drains to half. */
const MAX_PENDING_PER_CONNECTION = 4096;

const COUNTERS = ['connections', 'requests', 'put', 'get', 'delete', 'scan', 'scanKeys', 'stats', 'ok', 'notFound', 'ioErrors', 'droppedClients', 'maxInflight', 'timedOut', 'expiredUnrun'] as const;
type Counter = (typeof COUNTERS)[number];

export class IpcServer {
  private readonly ipc = new IPCModule();
  private readonly connections = new Map<Socket, Connection>();
  private readonly order = new KeyedSerializer();
  private readonly limiter: Limiter;
  private readonly counts = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private readonly log: (line: string) => void;
  private nextConnectionId = 1;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: IpcServerOptions) {
    this.limiter = new Limiter(options.maxInflight ?? 64);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Listens on options.socketPath (whose directory must exist); rejects with a StartupError. */
  static async start(options: IpcServerOptions): Promise<IpcServer> {
    // node-ipc unlinks the socket path before listening: never let it steal a live proxy's socket.
    if (await socketIsLive(options.socketPath)) {
      throw new StartupError(`a proxy is already serving ${options.socketPath}; stop it or pass --socket`);
    }
    const server = new IpcServer(options);
    await server.listen();
    return server;
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  private listen(): Promise<void> {
    Object.assign(this.ipc.config, { rawBuffer: true, encoding: 'latin1', silent: true, unlink: true, maxConnections: 1024 });
    return new Promise<void>((resolve, reject) => {
      let started = false;
      this.ipc.serve(this.options.socketPath, () => {
        started = true;
        try {
          // Only this user may talk to the proxy (the directory is 0700 too).
          chmodSync(this.options.socketPath, 0o600);
        } catch (err) {
          reject(new StartupError(`cannot secure ${this.options.socketPath}: ${(err as Error).message}`));
          return;
        }
        resolve();
      });
      const ipcServer = this.ipc.server;
      ipcServer.on('error', (err: Error) => {
        // Before listening: the socket cannot be bound. After: a client's socket error (a reset),
        // which its 'close' event handles.
        if (!started) reject(new StartupError(`cannot listen on ${this.options.socketPath}: ${err.message}`));
      });
      ipcServer.on('connect', (socket: Socket) => this.onConnect(socket));
      ipcServer.on('data', (data: Buffer, socket: Socket) => this.onData(data, socket));
      ipcServer.start();
    });
  }

  private onConnect(socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    this.counts.connections++;
    this.connections.set(socket, { id: this.nextConnectionId++, socket, reader: new FrameReader(), pending: 0, paused: false, outbox: [] });
    socket.on('close', () => this.connections.delete(socket));
  }

  private onData(data: Buffer, socket: Socket): void {
    const conn = this.connections.get(socket);
    // Once closing, new requests are not started: the client sees the connection end instead.
    if (conn === undefined || socket.destroyed || this.closing !== undefined) return;
    try {
      for (const frame of conn.reader.push(data)) this.dispatch(conn, decodeRequest(frame));
    } catch (err) {
      this.drop(conn, err instanceof Error ? err.message : String(err));
    }
  }

  private drop(conn: Connection, reason: string): void {
    this.counts.droppedClients++;
    this.log(`hermitkv-proxy: closed client ${conn.id}: ${reason}`);
    this.connections.delete(conn.socket);
    conn.socket.destroy();
  }

  private dispatch(conn: Connection, req: WireRequest): void {
    this.counts.requests++;
    if (req.op === WireOp.Stats) {
      this.counts.stats++;
      this.respond(conn, req.id, WireStatus.Ok, Buffer.from(JSON.stringify(this.stats()), 'utf8'));
      return;
    }
    conn.pending++;
    if (conn.pending >= MAX_PENDING_PER_CONNECTION && !conn.paused) {
      conn.paused = true;
      conn.socket.pause();
    }
    this.inflight++;
    this.counts.maxInflight = Math.max(this.counts.maxInflight, this.inflight);
    void this.ordered(req).then(({ status, value }) => {
      conn.pending--;
      if (conn.paused && conn.pending <= MAX_PENDING_PER_CONNECTION / 2) {
        conn.paused = false;
        conn.socket.resume();
      }
      this.respond(conn, req.id, status, value);
      this.inflight--;
      if (this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  /**
   * Runs req in its place: after earlier requests on its key (a scan: on any key of its range),
   * answered IoError if that takes longer than requestTimeoutMs; a request still queued then is
   * never run.
   */
  private ordered(req: WireRequest): Promise<{ status: WireStatus; value: Buffer }> {
    let expired = false;
    const unrun = (): { status: WireStatus; value: Buffer } => {
      this.counts.expiredUnrun++;
      return { status: WireStatus.IoError, value: Buffer.alloc(0) }; // already answered
    };
    const unlessExpired = (work: () => Promise<{ status: WireStatus; value: Buffer }>) => () =>
      expired ? Promise.resolve(unrun()) : this.limiter.run(() => (expired ? Promise.resolve(unrun()) : work()));
    let running: Promise<{ status: WireStatus; value: Buffer }>;
    if (req.op === WireOp.Scan) {
      let params: ScanParams;
      try {
        params = decodeScanParams(req.value);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return Promise.resolve(this.result(WireStatus.Invalid, Buffer.from(err.message, 'utf8')));
      }
      running = this.order.runAfter(inScanRange(req.key, params.end), unlessExpired(() => this.scan(req.key, params)));
    } else {
      // latin1 maps each byte to one character: a cheap, exact map key for binary keys.
      const key = req.key.toString('latin1');
      const task = unlessExpired(() => this.execute(req));
      const write = req.op === WireOp.Put || req.op === WireOp.Delete;
      running = write && this.options.engine.ordersWrites === true ? this.order.runOrderedWrite(key, task) : this.order.run(key, task);
    }
    const timeoutMs = this.options.requestTimeoutMs;
    if (timeoutMs === undefined) return running;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        expired = true;
        this.counts.timedOut++;
        const why = `no answer within ${timeoutMs} ms (S3 slow or unreachable); it may or may not take effect`;
        resolve(this.result(WireStatus.IoError, Buffer.from(why, 'utf8')));
      }, timeoutMs);
      void running.then((result) => {
        clearTimeout(timer);
        resolve(result); // after a timeout: ignored, the answer went out
      });
    });
  }

  /** One batch of a range scan (scanRequest.ts); never rejects. */
  private async scan(start: Buffer, params: ScanParams): Promise<{ status: WireStatus; value: Buffer }> {
    this.counts.scan++;
    try {
      const batch = await readScanBatch(this.options.engine, start, params);
      this.counts.scanKeys += batch.readUInt32LE(0);
      return this.result(WireStatus.Ok, batch);
    } catch (err) {
      if (err instanceof ScanUnsupportedError) return this.result(WireStatus.Invalid, Buffer.from(err.message, 'utf8'));
      return this.result(WireStatus.IoError, Buffer.from(oneLine(err), 'utf8'));
    }
  }

  /** Runs one request on the engine; never rejects (failures become IoError responses). */
  private async execute(req: WireRequest): Promise<{ status: WireStatus; value: Buffer }> {
    const { engine } = this.options;
    try {
      switch (req.op) {
        case WireOp.Put:
          this.counts.put++;
          await engine.put(req.key, req.value);
          return this.result(WireStatus.Ok);
        case WireOp.Get: {
          this.counts.get++;
          const value = await engine.get(req.key);
          // The whole value goes back; whether it fits the guest's buffer is the hypervisor's call.
          return value === undefined ? this.result(WireStatus.NotFound) : this.result(WireStatus.Ok, value);
        }
        case WireOp.Delete:
          this.counts.delete++;
          await engine.delete(req.key);
          return this.result(WireStatus.Ok);
        default:
          return this.result(WireStatus.Invalid, Buffer.from(`op ${String(req.op)} is not served here`));
      }
    } catch (err) {
      return this.result(WireStatus.IoError, Buffer.from(oneLine(err), 'utf8'));
    }
  }

  private result(status: WireStatus, value: Buffer = Buffer.alloc(0)): { status: WireStatus; value: Buffer } {
    if (status === WireStatus.Ok) this.counts.ok++;
    else if (status === WireStatus.NotFound) this.counts.notFound++;
    else if (status === WireStatus.IoError) this.counts.ioErrors++;
    return { status, value };
  }

  /**
   * Queues a response on its connection. Responses finished in the same turn (a batch of
   * requests that arrived in one chunk and completed together) go out in one write, once every
   * promise of the turn has settled (process.nextTick runs after the microtask queue drains):
   * one syscall and one wake-up of the hypervisor instead of one per response. Written on the
   * socket node-ipc handed us: node-ipc's own emit() would only copy the Buffer.
   */
  private respond(conn: Connection, id: number, status: WireStatus, value: Buffer): void {
    // The client may have gone while the engine worked; its answer has nowhere to go.
    if (conn.socket.destroyed || !conn.socket.writable) return;
    if (conn.outbox.push(encodeResponse({ id, status, value })) === 1) process.nextTick(flushOutbox, conn);
  }

  stats(): Record<string, number | string> {
    const own = Object.fromEntries(COUNTERS.map((c) => [`ipc.${c}`, this.counts[c]]));
    return {
      engine: this.options.engine.name,
      ...(this.options.extraStats?.() ?? {}),
      ...own,
      'ipc.openConnections': this.connections.size,
      'ipc.inflight': this.inflight,
      ...this.options.engine.stats(),
    };
  }

  /**
   * Stops accepting connections, lets every request in flight finish and answer, then closes the
   * connections and removes the socket file. The engine is left open (its owner closes it).
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const net = this.ipc.server.server;
    const closed = new Promise<void>((resolve) => {
      if (net === false) resolve();
      else net.close(() => resolve());
    });
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    for (const conn of this.connections.values()) {
      flushOutbox(conn); // answers of this very turn are still queued
      conn.socket.end(); // flushes the answers already written
      setTimeout(() => conn.socket.destroy(), 1000).unref();
    }
    await closed;
    rmSync(this.options.socketPath, { force: true });
  }
}

function flushOutbox(conn: Connection): void {
  const frames = conn.outbox;
  conn.outbox = [];
  if (frames.length === 0 || conn.socket.destroyed || !conn.socket.writable) return;
  conn.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
}

function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
