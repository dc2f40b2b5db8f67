/**
 * The one module that touches @aws-sdk/client-s3. Engines talk to S3 through ObjectStore with
 * object names and Buffers only: SDK types, SDK errors and retries stay in here.
 *
 * Every failure leaves this module as an S3Failure with a one-line message
 * (`S3 PUT kv/o/ab12… failed: 503 SlowDown`), so the proxy can hand it to the hypervisor or print
 * it at start-up without a stack trace. Requests, bytes and errors are counted for `--stats`.
 *
 * Retries are ours, not the SDK's (retryPolicy.ts): one SDK attempt per send, each with its own
 * timeout, under a deadline per operation. Two consequences are handled here, once for every
 * caller:
 *  - Integrity: every PUT carries the body's CRC-32 as user metadata (`x-amz-meta-hkv-crc32`);
 *    a GET whose body is shorter or longer than its Content-Length, or (whole-object GETs) does
 *    not match that CRC, is a failed attempt and is retried, never returned. Ranged GETs are
 *    length-checked here; their content is checked by the engine's record CRCs.
 *  - A conditional create (`If-None-Match: *`) retried after an attempt whose outcome is unknown
 *    may meet its own earlier attempt: on 412 the object is read back, and the same bytes mean
 *    the PUT landed.
 *
 * Messages and counters never carry credentials or object bytes; object names are cut short.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { FAULT_MIDDLEWARE_NAME, FaultInjector, faultMiddleware, type FaultOptions } from './faultInjection.js';
import { LATENCY_MIDDLEWARE_NAME, LatencyModel, latencyMiddleware, type LatencyModelOptions } from './latencyModel.js';
import { backoffMs, checkRetryPolicy, DEFAULT_RETRY_POLICY, isRetryable, policyForTransfer, type RetryPolicy } from './retryPolicy.js';
import { S3Failure, shortName, toFailure, type S3Op } from './s3Failure.js';

// Engines import the failure type from here, the one S3 module they know.
export { S3Failure, type S3Op };

export interface ObjectStoreOptions {
  bucket: string;
  /** Undefined means AWS S3 itself (endpoint from the region). */
  endpoint?: string;
  /** Undefined lets the SDK find it (AWS_REGION, profile). */
  region?: string;
  forcePathStyle: boolean;
  /** Undefined means the default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Backoff, attempt timeout and deadline (retryPolicy.ts); each field defaults separately. */
  retry?: Partial<RetryPolicy>;
  /** Benchmarks: delay requests as real S3 would (latencyModel.ts); absent: no delay. */
  latency?: LatencyModelOptions;
  /** Tests: make a share of requests fail (faultInjection.ts); absent: none. */
  faults?: FaultOptions;
  /** HTTP connections per endpoint; default the SDK's 50 (more requests than that queue). */
  maxSockets?: number;
}


export interface ObjectInfo {
  name: string;
  size: number;
}

export interface PutOptions {
  /** Ask S3 to refuse the PUT if the object exists (`If-None-Match: *`). s3rver ignores it. */
  ifNoneMatch?: boolean;
}

/** How ObjectStore.run treats one operation. */
interface RunOptions {
  /** Told each time a retryable failure is retried. */
  onRetry?: () => void;
  /** A 404 for the object itself is an answer, not an error to count. */
  missingOk?: boolean;
  /** Body bytes the operation moves, when known: big ones get longer limits (policyForTransfer). */
  bytes?: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

const COUNTERS = [
  'put',
  'get',
  'head',
  'delete',
  'list',
  'bucket',
  'bytesOut',
  'bytesIn',
  'notFound',
  'errors',
  'retries',
  'attemptTimeouts',
  'integrityFailures',
  'gaveUp',
  'ownConditionalPuts',
] as const;

/** User metadata (x-amz-meta-…) holding the CRC-32 of the body, 8 lowercase hex digits. */
export const CRC_METADATA = 'hkv-crc32';
type Counter = (typeof COUNTERS)[number];

export class ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly counts = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private readonly latency: LatencyModel | undefined;
  private readonly faults: FaultInjector | undefined;
  private readonly policy: RetryPolicy;
  /** Backoff jitter: not seeded (only the faults need to be reproducible). */
  private readonly jitter = Math.random;

  constructor(options: ObjectStoreOptions) {
    this.bucket = options.bucket;
    // The SDK warns on Node 20 when a client is created; the warning says nothing actionable to a
    // user of hermitkv (package.json pins Node >= 20.19). (Set here, not at module top: ESM
    // imports are evaluated before any statement of this module.)
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle,
      // Our own retries (retryPolicy.ts): the SDK's would hide attempts from the timeout.
      maxAttempts: 1,
      // Our object formats carry their own checksums. The SDK's default flexible checksums add
      // headers (and, for streams, aws-chunked bodies) that S3-compatible servers such as s3rver
      // do not all understand, so only send them when an operation requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.maxSockets === undefined
        ? {}
        : { requestHandler: { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } }),
    });
    if (options.latency !== undefined) {
      this.latency = new LatencyModel(options.latency);
      // initialize step: once per command, i.e. once per attempt (see latencyModel.ts).
      this.client.middlewareStack.add(latencyMiddleware(this.latency), { step: 'initialize', name: LATENCY_MIDDLEWARE_NAME });
    }
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    checkRetryPolicy(this.policy);
    if (options.faults !== undefined && options.faults.rate > 0) {
      this.faults = new FaultInjector(options.faults);
      // Also the initialize step, after the latency model: each attempt (one SDK attempt per
      // send) draws its own fault; a latency delay is served before the fault strikes.
      this.client.middlewareStack.add(faultMiddleware(this.faults), { step: 'initialize', name: FAULT_MIDDLEWARE_NAME, priority: 'low' });
    }
  }

  /** The policy in force (defaults filled in). */
  get retryPolicy(): Readonly<RetryPolicy> {
    return this.policy;
  }

  async put(name: string, body: Buffer, options: PutOptions = {}): Promise<void> {
    this.counts.put++;
    const crc = crcHex(body);
    let uncertain = false; // an earlier attempt may have landed
    try {
      await this.run(
        'PUT',
        name,
        (abortSignal) =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: name,
              Body: body,
              ContentLength: body.length,
              Metadata: { [CRC_METADATA]: crc },
              ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
            }),
            { abortSignal },
          ),
        { onRetry: () => (uncertain = true), bytes: body.length },
      );
    } catch (err) {
      if (!(options.ifNoneMatch && uncertain && err instanceof S3Failure && err.httpStatus === 412)) throw err;
      // Our own earlier attempt, landed with its answer lost? Then the PUT succeeded.
      const stored = await this.get(name);
      if (stored === undefined || !stored.equals(body)) throw err;
      this.counts.ownConditionalPuts++;
    }
    this.counts.bytesOut += body.length;
  }

  /** The object's bytes (or the given range of them); undefined when the object does not exist. */
  async get(name: string, range?: ByteRange): Promise<Buffer | undefined> {
    this.counts.get++;
    const bytes = await this.runOrMissing('GET', name, async (abortSignal) => {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: name,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
        }),
        { abortSignal },
      );
      // The body is read inside the attempt: its timeout covers a body that stops coming.
      const body = res.Body === undefined ? new Uint8Array(0) : await res.Body.transformToByteArray();
      this.verify(name, body, res.ContentLength, range === undefined ? res.Metadata?.[CRC_METADATA] : undefined);
      return body;
    }, range === undefined ? 0 : range.end - range.start + 1); // a whole object's size is not known up front
    if (bytes === undefined) return undefined;
    this.counts.bytesIn += bytes.length;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    this.counts.head++;
    const res = await this.runOrMissing('HEAD', name, (abortSignal) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal }),
    );
    return res === undefined ? undefined : { name, size: res.ContentLength ?? 0 };
  }

  /** Deletes name; deleting an absent object succeeds (as S3 does). */
  async delete(name: string): Promise<void> {
    this.counts.delete++;
    await this.run('DELETE', name, (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name }), { abortSignal }));
  }

  /** Every object whose name starts with prefix, in S3's (byte) order, after startAfter. */
  async *list(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      this.counts.list++;
      const res = await this.run('LIST', prefix, (abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          { abortSignal },
        ),
      );
      for (const obj of res.Contents ?? []) {
        if (obj.Key !== undefined) yield { name: obj.Key, size: obj.Size ?? 0 };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Resolves true when the bucket exists and is reachable, false when S3 says it does not exist. */
  async checkBucket(): Promise<boolean> {
    this.counts.bucket++;
    const res = await this.runOrMissing('HEADBUCKET', this.bucket, (abortSignal) =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }),
    );
    return res !== undefined;
  }

  /** Creates the bucket unless it exists (used for the embedded endpoint only). */
  async ensureBucket(): Promise<void> {
    if (await this.checkBucket()) return;
    this.counts.bucket++;
    try {
      await this.run('CREATEBUCKET', this.bucket, (abortSignal) =>
        this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal }),
      );
    } catch (err) {
      // Another process may have created it in between; that is success too.
      if (!(err instanceof S3Failure && (err.code === 'BucketAlreadyOwnedByYou' || err.code === 'BucketAlreadyExists'))) throw err;
    }
  }

  stats(): Record<string, number> {
    const counts: Record<string, number> = Object.fromEntries(COUNTERS.map((c) => [`s3.${c}`, this.counts[c]]));
    if (this.faults !== undefined) {
      counts['s3.faults'] = this.faults.total;
      for (const [kind, n] of Object.entries(this.faults.stats())) counts[`s3.faults.${kind}`] = n;
    }
    if (this.latency === undefined) return counts;
    const model = Object.entries(this.latency.stats()).map(([k, v]) => [`s3.model.${k}`, Math.round(v * 1000) / 1000]);
    return { ...counts, ...Object.fromEntries(model) };
  }

  close(): void {
    this.client.destroy();
  }

  /**
   * Runs one operation under the retry policy: attempts with a timeout each, full-jitter backoff
   * between them, until one succeeds, one fails for good (not retryable), or the deadline comes.
   * onRetry is told each time a retryable failure is retried. Every error becomes an S3Failure.
   */
  private async run<T>(op: S3Op, target: string, attempt: (signal: AbortSignal) => Promise<T>, how: RunOptions = {}): Promise<T> {
    const { onRetry, missingOk = false, bytes = 0 } = how;
    const policy = policyForTransfer(this.policy, bytes);
    const { attemptTimeoutMs, deadlineMs } = policy;
    const started = performance.now();
    let previous: S3Failure | undefined;
    for (let n = 0; ; n++) {
      const left = deadlineMs - (performance.now() - started);
      const limit = Math.max(1, Math.min(attemptTimeoutMs, left));
      let failure: S3Failure;
      try {
        return await this.attempt(attempt, limit);
      } catch (err) {
        failure = err instanceof AttemptTimeout ? new S3Failure(op, shortName(target), undefined, 'AttemptTimeout', `no answer within ${Math.round(limit)} ms`) : toFailure(op, target, err);
      }
      if (failure.code === 'AttemptTimeout') this.counts.attemptTimeouts++;
      if (failure.code === 'ChecksumMismatch' || failure.code === 'IncompleteBody') this.counts.integrityFailures++;
      // An attempt cut short by the deadline says less about S3 than the failure before it.
      if (failure.code === 'AttemptTimeout' && limit < attemptTimeoutMs && previous !== undefined) failure = previous;
      previous = failure;
      if (!isRetryable(failure)) {
        if (!(missingOk && isMissing(failure))) this.counts.errors++;
        throw failure;
      }
      const pause = backoffMs(n, policy, this.jitter);
      const elapsed = performance.now() - started;
      if (elapsed + pause >= deadlineMs) {
        this.counts.gaveUp++;
        this.counts.errors++;
        const status = failure.httpStatus === undefined ? '' : `${failure.httpStatus} `;
        throw new S3Failure(op, shortName(target), failure.httpStatus, failure.code, `gave up after ${n + 1} attempts in ${Math.round(elapsed)} ms (deadline ${deadlineMs} ms); last: ${status}${failure.code}`);
      }
      this.counts.retries++;
      onRetry?.();
      await sleep(pause);
    }
  }

  /** Like run, but a 404 for the object itself resolves undefined. */
  private async runOrMissing<T>(op: S3Op, target: string, attempt: (signal: AbortSignal) => Promise<T>, bytes = 0): Promise<T | undefined> {
    try {
      return await this.run(op, target, attempt, { missingOk: true, bytes });
    } catch (err) {
      if (!(err instanceof S3Failure && isMissing(err))) throw err;
      this.counts.notFound++;
      return undefined;
    }
  }

  /**
   * One attempt, aborted after limit ms. The race matters as much as the abort: a body that stops
   * coming, or a fault that never answers, must not hold the operation past its timeout.
   */
  private async attempt<T>(attempt: (signal: AbortSignal) => Promise<T>, limit: number): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new AttemptTimeout());
        controller.abort();
      }, limit);
    });
    const running = attempt(controller.signal);
    running.catch(() => undefined); // its rejection after a timeout is of no interest
    try {
      return await Promise.race([running, timedOut]);
    } catch (err) {
      // A failed attempt may leave a response half read: aborting frees its connection.
      controller.abort();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A GET's body against its Content-Length and (whole objects) the CRC the PUT stored. */
  private verify(name: string, body: Uint8Array, contentLength: number | undefined, crc: string | undefined): void {
    if (contentLength !== undefined && body.length !== contentLength) {
      throw new S3Failure('GET', shortName(name), undefined, 'IncompleteBody', `${body.length} of ${contentLength} bytes`);
    }
    if (crc !== undefined && crcHex(body) !== crc.toLowerCase()) {
      throw new S3Failure('GET', shortName(name), undefined, 'ChecksumMismatch', 'the body does not match the CRC-32 stored with it');
    }
  }
}

/** 404 for the object itself; a missing bucket is a configuration error, never "this key is absent". */
function isMissing(failure: S3Failure): boolean {
  return failure.httpStatus === 404 && failure.code !== 'NoSuchBucket';
}

/** An attempt that ran out of time (turned into an S3Failure `AttemptTimeout` by run). */
class AttemptTimeout extends Error {
  override name = 'AttemptTimeout';
}

function crcHex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, '0');
}
