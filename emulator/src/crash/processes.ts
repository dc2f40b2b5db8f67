/**
 * The processes a crash test runs and kills: the proxy (`npm run proxy`'s entry point) and the
 * hypervisor (`npm start`'s entry point, booting a guest image), each a real child process that
 * SIGKILL ends at once, with no chance to flush or clean up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROXY_MAIN, REPO_ROOT } from '../paths.js';

const HYPERVISOR_MAIN = path.join(REPO_ROOT, 'dist', 'emulator', 'src', 'cli.js');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every process a crash test started and that has not exited yet (see stopAll). */
const live = new Set<ChildProcess | number>();

/** Tracks a process started elsewhere (the S3 endpoint) until it exits. */
export function track(pid: number): () => void {
  live.add(pid);
  return () => void live.delete(pid);
}

/** Ctrl-C: SIGKILL every process this crash test started, by its pid, and nothing else. */
export function stopAll(): void {
  for (const p of live) {
    try {
      if (typeof p === 'number') process.kill(p, 'SIGKILL');
      else p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function exitOf(child: ChildProcess): Promise<Exit> {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Calls onLine for every complete line the stream carries. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('latin1');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const line of parts) onLine(line);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

export class ProxyProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly exited: Promise<Exit>,
  ) {}

  /** Starts a proxy with args (engine, S3, socket) and resolves once it is ready. */
  static start(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ProxyProcess> {
    const child = spawn(process.execPath, [PROXY_MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    let stderr = '';
    lines(child.stderr!, (line) => (stderr = `${stderr}${line}\n`.slice(-4000)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the proxy did not become ready within ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      lines(child.stdout!, (line) => {
        if (line.includes('ready on')) {
          clearTimeout(timer);
          resolve(new ProxyProcess(child, exited));
        }
      });
      void exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`the proxy exited during start-up (${e.signal ?? `status ${e.code}`}): ${stderr.trim()}`));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGKILL: the proxy gets no chance to flush anything. Resolves once it is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, for the end of a run. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

export class HypervisorProcess {
  readonly exited: Promise<Exit>;
  /** The last lines of its stderr, for reports. */
  stderrTail = '';

  private constructor(private readonly child: ChildProcess) {
    this.exited = exitOf(child);
  }

  /** Boots image with the KV device on the proxy at socket; onLine gets every console line. */
  static start(image: string, socket: string, appArgs: readonly string[], onLine: (line: string) => void): HypervisorProcess {
    const child = spawn(process.execPath, [HYPERVISOR_MAIN, image, '--socket', socket, '--', ...appArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const hv = new HypervisorProcess(child);
    lines(child.stdout!, onLine);
    lines(child.stderr!, (line) => (hv.stderrTail = `${hv.stderrTail}${line}\n`.slice(-2000)));
    return hv;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
