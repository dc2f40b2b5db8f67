/**
 * A proxy the hypervisor starts for its own run (`--own-proxy`, or no proxy running): a child
 * process on a private socket, stopped at the end of the run, and restarted on the same socket
 * when it dies during the run (SIGKILL, a crash) so that the application can go on: the
 * reconnecting client (ipc/reconnectingClient.ts) finds the new one. A proxy that keeps dying
 * (more than MAX_RESTARTS within RESTART_WINDOW_MS) or that refuses to start is not restarted
 * again; requests then fail with -1, as with no proxy at all.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { PROXY_MAIN } from './paths.js';

/** A proxy this run started refused to start (bad configuration): the run cannot go on. */
export class ProxyStartError extends Error {}

const MAX_RESTARTS = 10;
const RESTART_WINDOW_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;

export class OwnProxy {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimes: number[] = [];
  /** Restarts after a death, for statistics and tests. */
  restarts = 0;

  private constructor(
    private readonly args: readonly string[],
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the proxy with args and waits until it is ready; rejects if it cannot start. */
  static async start(args: readonly string[], log: (line: string) => void): Promise<OwnProxy> {
    const own = new OwnProxy(args, log);
    await own.launch();
    return own;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async launch(): Promise<void> {
    const child = fork(PROXY_MAIN, [...this.args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    let saidSomething = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      saidSomething = true;
      process.stderr.write(chunk);
    });
    await waitReady(child, () => saidSomething);
    child.once('exit', (code, signal) => void this.died(child, signal ?? `status ${code}`));
  }

  private async died(child: ChildProcess, how: string): Promise<void> {
    if (this.stopping || this.child !== child) return;
    const now = Date.now();
    this.restartTimes = this.restartTimes.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restartTimes.length >= MAX_RESTARTS) {
      this.log(`hermitkv: the proxy died (${how}) ${MAX_RESTARTS} times within a minute; not restarting it again`);
      return;
    }
    this.restartTimes.push(now);
    this.log(`hermitkv: the proxy died (${how}); restarting it`);
    try {
      await this.launch();
      this.restarts++;
    } catch (err) {
      this.log(`hermitkv: could not restart the proxy: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Stops the proxy (SIGTERM, then SIGKILL after 10 s) and resolves once it has exited. */
  stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

function waitReady(child: ChildProcess, saidSomething: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the proxy did not become ready within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      // Its own one-line reason is already on stderr (forwarded above).
      reject(new ProxyStartError(`the proxy could not start (${signal ?? `status ${code}`})${saidSomething() ? '; its reason is above' : ''}`));
    };
    child.on('message', (msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ready') {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve();
      }
    });
    child.once('exit', onExit);
  });
}
