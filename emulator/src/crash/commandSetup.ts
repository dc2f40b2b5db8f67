/**
 * What `npm run crashtest` and `npm run faulttest` do before their first cycle: find the guest
 * image (a clear message and exit status 2 when it was not built) and stop every process they
 * started when they are interrupted.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { stopAll } from './processes.js';

/** The kvcrash image both commands boot; exits with status 2 if it is missing. */
export function kvcrashImage(command: string): string {
  const image = path.join(REPO_ROOT, 'images', 'kvcrash.elf');
  if (!existsSync(image)) {
    console.error(`${command}: ${image} is missing; build the guest images with \`make image\``);
    process.exit(2);
  }
  return image;
}

/** On Ctrl-C or SIGTERM, stop the proxies, hypervisors and S3 endpoint this run started. */
export function stopAllOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopAll();
      process.exit(130);
    });
  }
}
