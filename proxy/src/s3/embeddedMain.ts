/**
 * The embedded S3 endpoint's process: s3rver on 127.0.0.1, data under the given directory.
 *
 *   node --openssl-legacy-provider dist/proxy/src/s3/embeddedMain.js --dir DIR [--port N] [--standalone]
 *        [--ignore-conditional-writes]
 *
 * It runs apart from the proxy, as real S3 does: a crash of the proxy cannot tear S3's state.
 * (`--openssl-legacy-provider` is needed because s3rver's ListObjectsV2 continuation tokens use
 * DES, which OpenSSL 3 disables; see NOTES-v86.md.)
 *
 * Started by fork(), it reports `{type: 'ready', port}` (or `{type: 'error', message}`) through
 * the IPC channel and exits when its parent disconnects, so that no run leaves it behind.
 * `--standalone` keeps it running after the parent has gone (crash tests start it that way);
 * without an IPC channel it prints `hermitkv-s3: listening on URL` instead. SIGTERM/SIGINT stop it.
 *
 * PUT with `If-None-Match: *` is honoured (conditionalCreates.ts) unless
 * `--ignore-conditional-writes` (tests: an endpoint without them, as s3rver alone is). A PUT is
 * stored only once its whole body has arrived (wholeUploads.ts), as S3 does.
 */
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import { honourConditionalCreates } from './conditionalCreates.js';
import { storeWholeUploadsOnly } from './wholeUploads.js';

interface Args {
  dir: string;
  port: number;
  standalone: boolean;
  ignoreConditionalWrites: boolean;
}

function parseArgs(argv: string[]): Args {
  let dir: string | undefined;
  let port = 0;
  let standalone = false;
  let ignoreConditionalWrites = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--dir') dir = argv[++i];
    else if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '--standalone') standalone = true;
    else if (arg === '--ignore-conditional-writes') ignoreConditionalWrites = true;
    else throw new Error(`unknown argument ${String(arg)}`);
  }
  if (dir === undefined || dir === '') throw new Error('--dir is required');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0..65535');
  return { dir, port, standalone, ignoreConditionalWrites };
}

function report(message: { type: 'ready'; port: number } | { type: 'error'; message: string }): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.dir, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: args.port, directory: args.dir, silent: true, vhostBuckets: false });
  if (!args.ignoreConditionalWrites) honourConditionalCreates(server);
  storeWholeUploadsOnly(server); // after: it must run first
  const address = await server.run();

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // close() waits for requests in flight; a client that keeps a connection busy must not keep
    // the process alive forever.
    setTimeout(() => process.exit(0), 3000).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.send !== undefined) {
    if (!args.standalone) process.on('disconnect', stop);
    report({ type: 'ready', port: address.port });
  } else {
    process.stdout.write(`hermitkv-s3: listening on http://127.0.0.1:${address.port}\n`);
  }
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  report({ type: 'error', message });
  process.stderr.write(`hermitkv-s3: ${message}\n`);
  process.exit(1);
});
