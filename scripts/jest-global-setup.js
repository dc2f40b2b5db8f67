// Builds dist/ (tsc, incremental) so that tests can spawn the proxy and the embedded endpoint as
// real processes, exactly as `npm start` does.
import { execFileSync } from 'node:child_process';

export default function globalSetup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
