/** Where things live relative to the repository, whether we run from dist/ or from sources. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('hermitkv: cannot find the repository root (no package.json above the emulator)');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
/** The compiled proxy entry point (`npm start` compiles it first through `prestart`). */
export const PROXY_MAIN = path.join(REPO_ROOT, 'dist', 'proxy', 'src', 'cli.js');
export const DEFAULT_IMAGE = path.join('images', 'demo.elf');
