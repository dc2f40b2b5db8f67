/**
 * Finds the proxy for a run: the one named by `--socket`, else one already serving the default
 * socket (started with `npm run proxy`), else a private proxy that this run starts as its child
 * (with its own socket in a fresh 0700 directory) and stops at the end. Every link reconnects
 * when its proxy dies and comes back (ipc/reconnectingClient.ts); a proxy the run started is
 * restarted by the run (ownProxy.ts).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultSocketPath } from '../../proxy/src/ipc/socketPath.js';
import { WireOp, WireStatus } from '../../proxy/src/ipc/protocol.js';
import { ReconnectingProxyClient } from './ipc/reconnectingClient.js';
import type { KvBackend } from './kv/device.js';
import { OwnProxy } from './ownProxy.js';
import { PROXY_MAIN } from './paths.js';

export { ProxyStartError } from './ownProxy.js';

export interface ProxyChoice {
  /** Connect to this socket; fail if nothing answers there. */
  socket?: string;
  /** Start a private proxy even if one serves the default socket. */
  ownProxy: boolean;
  /** Arguments for a proxy we start (engine, endpoint, bucket, ...). */
  proxyArgs: string[];
  log: (line: string) => void;
}

export interface ProxyLink {
  backend: KvBackend;
  /** Where the link came from, for messages. */
  description: string;
  /** The proxy's own counters (S3 requests, ...), or undefined when it cannot say. */
  proxyStats(): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

function linkTo(client: ReconnectingProxyClient, description: string, onClose: () => Promise<void> = async () => {}): ProxyLink {
  return {
    backend: client,
    description,
    proxyStats: () => fetchStats(client),
    close: async () => {
      client.close();
      await onClose();
    },
  };
}

/** A link for a run without a proxy: every request fails with `unavailable` and the reason. */
export function unavailableLink(reason: string): ProxyLink {
  return {
    backend: { request: async () => ({ kind: 'unavailable', reason }) },
    description: 'no proxy',
    proxyStats: async () => undefined,
    close: async () => {},
  };
}

async function fetchStats(client: KvBackend): Promise<Record<string, unknown> | undefined> {
  const reply = await client.request(WireOp.Stats, Buffer.alloc(0));
  if (reply.kind !== 'response' || reply.response.status !== WireStatus.Ok) return undefined;
  try {
    return JSON.parse(reply.response.value.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function connectProxy(choice: ProxyChoice): Promise<ProxyLink> {
  if (choice.socket) {
    return linkTo(await ReconnectingProxyClient.connect(choice.socket, { log: choice.log }), `proxy at ${choice.socket}`);
  }
  if (!choice.ownProxy) {
    const shared = defaultSocketPath();
    if (existsSync(shared)) {
      try {
        const client = await ReconnectingProxyClient.connect(shared, { log: choice.log, timeoutMs: 2000 });
        if (choice.proxyArgs.length > 0) {
          choice.log(`hermitkv: using the running proxy at ${shared}; its own engine and S3 options apply (use --own-proxy to start another)`);
        }
        return linkTo(client, `running proxy at ${shared}`);
      } catch {
        // A stale socket file: start our own below.
      }
    }
  }
  return startChildProxy(choice);
}

async function startChildProxy(choice: ProxyChoice): Promise<ProxyLink> {
  if (!existsSync(PROXY_MAIN)) throw new Error(`the proxy is not built (${PROXY_MAIN} is missing); run \`npm run build\``);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hermitkv-run-')); // mkdtemp makes it 0700
  const socket = path.join(dir, 'proxy.sock');
  let own: OwnProxy | undefined;
  try {
    own = await OwnProxy.start([...choice.proxyArgs, '--socket', socket], choice.log);
    const client = await ReconnectingProxyClient.connect(socket, { log: choice.log });
    const started = own;
    return linkTo(client, `proxy started for this run (${socket})`, async () => {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    });
  } catch (err) {
    await own?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
