// Runs `npm start`'s entry point (dist/emulator/src/cli.js, built by jest's globalSetup) as a
// real process, the way a user does, and collects its output and exit status.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/emulator/src/cli.js', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_S3: '', AWS_REGION: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hermitkv ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Fails the test with the command that builds the images when one is missing. */
export function requireImage(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: build the guest images with \`make image\` first`);
  return path;
}
