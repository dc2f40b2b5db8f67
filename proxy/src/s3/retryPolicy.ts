/**
 * How objectStore.ts retries a failed S3 request. The SDK's own retries are off (one attempt per
 * send) so that every attempt has a timeout of its own and the whole operation a deadline: a
 * guest call must come back, with -1 if need be, within a bound even when S3 stops answering.
 *
 *  - Backoff: "full jitter" exponential (AWS Architecture Blog, "Exponential Backoff And
 *    Jitter"): before retry n (n = 0, 1, …) sleep uniform [0, min(cap, base · 2^n)). Full jitter
 *    spreads the retries of many clients that failed together (an outage ending), at the price of
 *    sometimes retrying at once.
 *  - Attempt timeout: an attempt with no complete answer (headers and body) after
 *    `attemptTimeoutMs` is aborted and counts as a retryable failure.
 *  - Deadline: no attempt starts, and none runs, past `deadlineMs` from the first; the last
 *    failure is then the operation's.
 *  - Retried: 5xx, 429 and S3's throttling codes, network errors (no HTTP status), attempt
 *    timeouts, and bodies that fail the store's integrity check. Never retried: other 4xx (404,
 *    403, 412 …): they are answers, and 412 in particular is how the log engine learns that a
 *    conditional create met an object (its own earlier attempt, or a newer writer's fence).
 */

export interface RetryPolicy {
  /** First backoff ceiling, ms. */
  baseMs: number;
  /** Largest backoff ceiling, ms. */
  capMs: number;
  /** One attempt's limit, ms. */
  attemptTimeoutMs: number;
  /** The whole operation's limit, ms, retries included. */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = { baseMs: 25, capMs: 1000, attemptTimeoutMs: 2000, deadlineMs: 5000 };

/** What the policy needs to know of a failure (objectStore.ts's S3Failure has these). */
export interface FailureShape {
  httpStatus: number | undefined;
  code: string;
}

/** Codes that mean "slow down" whatever status they come with. */
const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestTimeout',
  'RequestTimeoutException',
  'BandwidthLimitExceeded',
]);

/** Failures that say something about the request or the configuration, not about the moment. */
const PERMANENT_CODES = new Set(['CredentialsProviderError', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'NoSuchBucket']);

export function isRetryable(failure: FailureShape): boolean {
  if (PERMANENT_CODES.has(failure.code)) return false;
  if (THROTTLING_CODES.has(failure.code)) return true;
  const status = failure.httpStatus;
  if (status === undefined) return !/region|credential/i.test(failure.code);
  return status >= 500 || status === 429;
}

/** The sleep before retry n (0-based): full jitter under an exponential ceiling. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(retry, 30));
  return random() * ceiling;
}

/**
 * How long the proxy lets one request take before answering it IoError (ipc/server.ts): a write
 * may wait for the group commit in flight (one deadline) and then for its own (another); half a
 * second more for everything else. The hypervisor and the guest add little, so a guest call
 * returns within 2 × deadline + 1 s even while S3 does not answer (docs/reliability.md).
 */
export function requestBudgetMs(policy: Pick<RetryPolicy, 'deadlineMs'>): number {
  return 2 * policy.deadlineMs + 500;
}

const MIB = 1024 * 1024;

/**
 * The policy for an operation that moves `bytes` of body: the attempt timeout and the deadline
 * are sized for small objects, so a big one (a checkpoint of millions of keys, an 8 MiB sorted
 * run, a full segment) gets one more second per MiB on each. It is given up only when S3 moves it
 * slower than about 1 MiB/s; otherwise a slow link would cut it off on every attempt and it would
 * never be written.
 */
export function policyForTransfer(policy: Readonly<RetryPolicy>, bytes: number): Readonly<RetryPolicy> {
  const extraMs = (bytes / MIB) * 1000;
  if (extraMs < 1) return policy;
  return { ...policy, attemptTimeoutMs: policy.attemptTimeoutMs + extraMs, deadlineMs: policy.deadlineMs + extraMs };
}

export function checkRetryPolicy(policy: RetryPolicy): void {
  for (const [name, v] of Object.entries(policy)) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`retry policy: ${name} must be a positive number of ms, not ${v}`);
  }
  if (policy.capMs < policy.baseMs) throw new Error('retry policy: the backoff cap is below its base');
}
