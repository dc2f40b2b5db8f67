/**
 * The command-line spelling of S3 fault injection and the retry policy, shared by the proxy, the
 * hypervisor (which passes them to a proxy it starts) and the crash test:
 *
 *   --s3-faults 0.1            10% of S3 attempts fail (faultInjection.ts has the kinds); 0: off
 *   --s3-fault-seed 7          seed of the fault generator (default 1)
 *   --s3-attempt-timeout 2000  one attempt's limit, ms (default 2000)
 *   --s3-deadline 5000         one operation's limit, retries included, ms (default 5000): a guest
 *                              call waiting on S3 gets -1 within about this (docs/reliability.md)
 */
import { DEFAULT_FAULT_SEED, FAULT_KINDS, type FaultOptions } from './faultInjection.js';
import { checkRetryPolicy, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retryPolicy.js';

export interface ReliabilityFlags {
  s3Faults?: number | undefined;
  s3FaultSeed?: number | undefined;
  s3AttemptTimeout?: number | undefined;
  s3Deadline?: number | undefined;
}

export interface Reliability {
  faults?: FaultOptions;
  retry?: Partial<RetryPolicy>;
}

/** Throws Error with the flag's name on bad input. */
export function parseReliabilityFlags(flags: ReliabilityFlags): Reliability {
  const out: Reliability = {};
  if (flags.s3Faults !== undefined) {
    const rate = flags.s3Faults;
    if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new Error(`--s3-faults: ${rate} is not a share between 0 and 1`);
    if (rate > 0) out.faults = { rate, seed: DEFAULT_FAULT_SEED };
  }
  if (flags.s3FaultSeed !== undefined) {
    const seed = flags.s3FaultSeed;
    if (!(Number.isInteger(seed) && seed >= 0)) throw new Error(`--s3-fault-seed: ${seed} is not a non-negative integer`);
    if (out.faults !== undefined) out.faults.seed = seed;
  }
  const retry: Partial<RetryPolicy> = {};
  if (flags.s3AttemptTimeout !== undefined) retry.attemptTimeoutMs = positive(flags.s3AttemptTimeout, '--s3-attempt-timeout');
  if (flags.s3Deadline !== undefined) retry.deadlineMs = positive(flags.s3Deadline, '--s3-deadline');
  if (Object.keys(retry).length > 0) {
    checkRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...retry });
    out.retry = retry;
  }
  return out;
}

function positive(v: number, flag: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new Error(`${flag}: ${v} is not a positive number of ms`);
  return v;
}

/** One line for the proxy's start-up output. */
export function describeReliability(r: Reliability): string {
  const p = { ...DEFAULT_RETRY_POLICY, ...r.retry };
  const retry = `retries: backoff ${p.baseMs}..${p.capMs} ms (full jitter), attempt timeout ${p.attemptTimeoutMs} ms, deadline ${p.deadlineMs} ms`;
  if (r.faults === undefined) return retry;
  const pct = Math.round(r.faults.rate * 1000) / 10;
  return `S3 fault injection: ${pct}% of attempts (${(r.faults.kinds ?? FAULT_KINDS).join(', ')}), seed ${r.faults.seed ?? DEFAULT_FAULT_SEED}; ${retry}`;
}
