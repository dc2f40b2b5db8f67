/** Helpers shared by the proxy tests. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const PROXY_CLI = path.join(REPO_ROOT, 'dist', 'proxy', 'src', 'cli.js');

/** A fresh private temporary directory. */
export function tempDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `hermitkv-${tag}-`));
}

/** process.env without AWS settings, so the proxy picks the embedded endpoint. */
export function envWithoutAws(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return { ...env, ...extra };
}

/** A prefix no other test file uses. */
export function uniquePrefix(tag: string): string {
  return `test-${tag}-${process.pid}-${Date.now().toString(36)}/`;
}
