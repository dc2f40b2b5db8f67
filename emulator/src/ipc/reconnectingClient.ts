/**
 * The hypervisor's link to the proxy across proxy deaths: a ProxyClient that, once its connection
 * drops, is replaced by a new one as soon as a proxy answers on the same socket again (one that
 * `npm run proxy` was restarted with, or one the hypervisor restarts itself: ownProxy.ts).
 *
 * What a guest request sees (the bound documented in docs/reliability.md):
 * - in flight when the proxy dies: completes with IO_ERROR as soon as the hypervisor notices the
 *   closed socket — at once, in the event-loop turn the kernel reports it (the dying process's
 *   socket is closed by the kernel); the request may or may not have taken effect;
 * - submitted while the proxy is down: completes with UNAVAILABLE at once (nothing was sent);
 * - submitted after the reconnection: served normally. Reconnection attempts start 50 ms after the
 *   loss and back off to one every 500 ms, so a restarted proxy is found within about 0.5 s of
 *   listening.
 */
import type { WireOp } from '../../../proxy/src/ipc/protocol.js';
import type { KvBackend } from '../kv/device.js';
import { ProxyClient, type ProxyReply } from './proxyClient.js';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;

export interface ReconnectOptions {
  /** One line per loss and per reconnection (for the hypervisor's stderr). */
  log?: (line: string) => void;
  /** Timeout of the first connection (default 5 s); it must succeed, as before. */
  timeoutMs?: number;
}

export class ReconnectingProxyClient implements KvBackend {
  private client: ProxyClient | undefined;
  private downReason = '';
  private retryMs = FIRST_RETRY_MS;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Connections lost and connections re-established, for statistics and tests. */
  losses = 0;
  reconnects = 0;

  private constructor(
    readonly socketPath: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Connects (rejecting with a one-line reason when nothing answers), then stays connected. */
  static async connect(socketPath: string, options: ReconnectOptions = {}): Promise<ReconnectingProxyClient> {
    const link = new ReconnectingProxyClient(socketPath, options.log ?? (() => {}));
    link.adopt(await ProxyClient.connect(socketPath, options.timeoutMs ?? 5000));
    return link;
  }

  get isConnected(): boolean {
    return this.client?.isConnected ?? false;
  }

  request(op: WireOp, key: Buffer, value?: Buffer): Promise<ProxyReply> {
    const client = this.client;
    if (client === undefined || !client.isConnected) {
      const reason = this.closed ? 'closed by the hypervisor' : `the proxy is down (${this.downReason}); reconnecting`;
      return Promise.resolve({ kind: 'unavailable', reason });
    }
    return client.request(op, key, value);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.client?.close();
    this.client = undefined;
  }

  private adopt(client: ProxyClient): void {
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    client.onDown((reason) => {
      if (this.closed || this.client !== client) return;
      this.client = undefined;
      this.downReason = reason;
      this.losses++;
      this.log(`hermitkv: lost the proxy at ${this.socketPath} (${reason}); requests fail with -1 until it is back`);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private async attempt(): Promise<void> {
    this.timer = undefined;
    let client: ProxyClient;
    try {
      client = await ProxyClient.connect(this.socketPath, CONNECT_TIMEOUT_MS);
    } catch {
      this.schedule();
      return;
    }
    if (this.closed) {
      client.close();
      return;
    }
    this.reconnects++;
    this.log(`hermitkv: reconnected to the proxy at ${this.socketPath}`);
    this.adopt(client);
  }
}
