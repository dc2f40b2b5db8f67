/**
 * The summary a crash or fault run prints (crash/main.ts, crash/faultMain.ts), and its verdict.
 */
import { FAULT_KINDS } from '../../../proxy/src/s3/faultInjection.js';
import { IN_FLIGHT_BOUND_MS, type CrashTestReport } from './crashTest.js';

export function summaryLines(name: string, r: CrashTestReport): string[] {
  const lines = [
    `${name}: ${r.cycles} cycles run, ${r.operationsChecked} operations verified ` +
      `(${r.acknowledged} acknowledged, ${r.operationsChecked - r.acknowledged - r.finalReads} writes of unknown outcome, ` +
      `${r.finalReads} reads back after recovery), ${r.violations.length} violations`,
    `${name}: guest calls: ${r.acknowledged + r.failed + r.unfinished} (${r.failed} returned -1, ${r.unfinished} never returned)`,
    `${name}: ${r.proxyKills} proxy kills, ${r.hypervisorKills} hypervisor kills; ${r.inFlightAtKill} requests in flight at a proxy kill, ` +
      `all completed with -1 within ${Math.round(r.maxInFlightCompletionMs)} ms (bound ${IN_FLIGHT_BOUND_MS} ms); ` +
      `the application went on after the restart in ${r.cyclesWentOn} cycles`,
  ];
  const s3 = r.s3;
  if ((s3['s3.faults'] ?? 0) > 0) {
    const kinds = FAULT_KINDS.map((k) => `${k} ${s3[`s3.faults.${k}`] ?? 0}`).join(', ');
    const operations = ['put', 'get', 'head', 'delete', 'list'].reduce((sum, op) => sum + (s3[`s3.${op}`] ?? 0), 0);
    const attempts = operations + (s3['s3.retries'] ?? 0);
    const engineCaught = (s3['log.corruptRetries'] ?? 0) + (s3['engine.corruptRetries'] ?? 0);
    lines.push(
      `${name}: S3 faults injected: ${s3['s3.faults']} in ${attempts} attempts of ${operations} S3 operations (${kinds}); ` +
        `${s3['s3.retries'] ?? 0} retries, ${s3['s3.attemptTimeouts'] ?? 0} attempt timeouts, ` +
        `${s3['s3.integrityFailures'] ?? 0} damaged bodies caught by the store and ${engineCaught} re-reads after an engine's checksum failed, ` +
        `${s3['s3.ownConditionalPuts'] ?? 0} conditional PUTs found landed, ${s3['s3.gaveUp'] ?? 0} operations gave up (deadline)`,
    );
  }
  if (r.outages > 0) {
    lines.push(
      `${name}: ${r.outages} S3 outages caught ${r.outageCalls} guest calls: ${r.outageFailed} returned -1, ` +
        `the slowest came back after ${Math.round(r.maxOutageCallMs)} ms (bound ${r.outageBoundMs} ms)`,
    );
  }
  lines.push(`${name}: ${r.undecidedKeys} keys undecided (search budget); wall time ${(r.wallMs / 1000).toFixed(1)} s`);
  for (const v of r.violations.slice(0, 20)) lines.push(`VIOLATION ${v}`);
  return lines;
}

/** A run fails on any violation or a proxy-death completion beyond its bound. */
export function failed(r: CrashTestReport): boolean {
  return r.violations.length > 0 || r.maxInFlightCompletionMs > IN_FLIGHT_BOUND_MS;
}
