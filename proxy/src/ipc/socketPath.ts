/**
 * Where the proxy's Unix socket lives. The default is in a private runtime directory (mode 0700)
 * so that only this user can reach the proxy: `$XDG_RUNTIME_DIR/hermitkv` when the session has
 * one, else `/tmp/hermitkv-<uid>`. The hypervisor calls defaultSocketPath() to find a proxy that
 * `npm run proxy` started.
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../startupError.js';

export const SOCKET_FILE = 'proxy.sock';

export function defaultRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg !== undefined && xdg !== '') return path.join(xdg, 'hermitkv');
  const uid = process.getuid?.() ?? os.userInfo().username;
  return path.join(os.tmpdir(), `hermitkv-${uid}`);
}

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultRuntimeDir(env), SOCKET_FILE);
}

/**
 * Creates the socket's directory (0700) if missing. The default directory sits in a shared place
 * (/tmp) where another user could have made it first, so it must be a real directory owned by
 * us and closed to others; a directory named with `--socket` is the user's own choice.
 */
export function prepareSocketDir(socketPath: string, mustBePrivate: boolean): void {
  const dir = path.dirname(socketPath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!mustBePrivate) return;
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new StartupError(`refusing to use ${dir}: it is not a directory owned by this user`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** True when a process accepts connections on socketPath (a live proxy, not a stale file). */
export function socketIsLive(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(socketPath);
    const done = (live: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
