/**
 * Starts the embedded S3 endpoint (embeddedMain.ts) in its own process and waits until it
 * listens. Used by the proxy when no S3 is configured, and by tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EmbeddedEndpointOptions {
  /** The data directory; objects live under `<dataDir>/s3`. */
  dataDir: string;
  /** 0 or absent: a random free port. */
  port?: number;
  /**
   * Keep it running after this process exits (crash tests): it is started `--standalone`, its
   * IPC channel is closed once it is ready and it is unref'd. Otherwise it exits with us.
   */
  detached?: boolean;
  timeoutMs?: number;
  /** Tests: ignore `If-None-Match` on PUT as s3rver alone does (no writer fencing possible). */
  ignoreConditionalWrites?: boolean;
}

export interface EmbeddedEndpoint {
  url: string;
  port: number;
  pid: number;
  /** Stops it (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

type ChildMessage = { type: 'ready'; port: number } | { type: 'error'; message: string };

/**
 * The compiled entry script. Under ts-jest this module runs from its .ts source, so the script is
 * looked up in dist/ (which jest's globalSetup builds).
 */
export function embeddedMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return path.join(path.dirname(here), 'embeddedMain.js');
  const root = path.resolve(path.dirname(here), '..', '..', '..');
  return path.join(root, 'dist', 'proxy', 'src', 's3', 'embeddedMain.js');
}

export function startEmbeddedEndpoint(options: EmbeddedEndpointOptions): Promise<EmbeddedEndpoint> {
  const script = embeddedMainPath();
  if (!existsSync(script)) return Promise.reject(new Error(`${script} is missing; run npm run build`));
  const dir = path.resolve(options.dataDir, 's3');
  mkdirSync(dir, { recursive: true });
  const args = ['--dir', dir, '--port', String(options.port ?? 0)];
  if (options.detached) args.push('--standalone');
  if (options.ignoreConditionalWrites) args.push('--ignore-conditional-writes');
  const child = fork(script, args, {
    execPath: process.execPath,
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', options.detached ? 'ignore' : 'inherit', 'ipc'],
    detached: options.detached ?? false,
  });
  return waitReady(child, options.timeoutMs ?? 15000).then((port) => {
    if (options.detached) {
      child.disconnect();
      child.unref();
    }
    const url = `http://127.0.0.1:${port}`;
    return { url, port, pid: child.pid ?? -1, stop: () => stopChild(child) };
  });
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`embedded S3 endpoint did not start: ${reason}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onMessage = (raw: unknown): void => {
      const msg = raw as ChildMessage;
      if (msg?.type === 'ready' && typeof msg.port === 'number') {
        cleanup();
        resolve(msg.port);
      } else if (msg?.type === 'error') fail(String(msg.message));
    };
    const onExit = (code: number | null, signal: string | null): void => fail(`exited (${signal ?? `code ${code}`})`);
    const onError = (err: Error): void => fail(err.message);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
