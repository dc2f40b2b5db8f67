/**
 * The one module that touches @aws-sdk/client-s3. Engines talk to S3 through ObjectStore with
 * object names and Buffers only: SDK types, SDK errors and retries stay in here.
 *
 * Every failure leaves this module as an S3Failure with a one-line message
 * (`S3 PUT kv/o/ab12… failed: 503 SlowDown`), so the proxy can hand it to the hypervisor or print
 * it at start-up without a stack trace. Requests, bytes and errors are counted for `--stats`.
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
import { LATENCY_MIDDLEWARE_NAME, LatencyModel, latencyMiddleware, type LatencyModelOptions } from './latencyModel.js';

export interface ObjectStoreOptions {
  bucket: string;
  /** Undefined means AWS S3 itself (endpoint from the region). */
  endpoint?: string;
  /** Undefined lets the SDK find it (AWS_REGION, profile). */
  region?: string;
  forcePathStyle: boolean;
  /** Undefined means the default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** SDK attempts per request (the SDK's standard retry with backoff); default 3. */
  maxAttempts?: number;
  /** Benchmarks: delay requests as real S3 would (latencyModel.ts); absent: no delay. */
  latency?: LatencyModelOptions;
  /** HTTP connections per endpoint; default the SDK's 50 (more requests than that queue). */
  maxSockets?: number;
}

export type S3Op = 'PUT' | 'GET' | 'HEAD' | 'DELETE' | 'LIST' | 'HEADBUCKET' | 'CREATEBUCKET';

/** A failed S3 request, reduced to what a one-line message needs. */
export class S3Failure extends Error {
  constructor(
    readonly op: S3Op,
    readonly target: string,
    /** HTTP status, or undefined when no response came back (network, credentials). */
    readonly httpStatus: number | undefined,
    /** S3 error code (`NoSuchBucket`, `SlowDown`) or a Node/SDK error name (`ECONNREFUSED`). */
    readonly code: string,
    detail?: string,
  ) {
    const status = httpStatus === undefined ? '' : `${httpStatus} `;
    super(`S3 ${op} ${target} failed: ${status}${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'S3Failure';
  }
}

export interface ObjectInfo {
  name: string;
  size: number;
}

export interface PutOptions {
  /** Ask S3 to refuse the PUT if the object exists (`If-None-Match: *`). s3rver ignores it. */
  ifNoneMatch?: boolean;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

const COUNTERS = ['put', 'get', 'head', 'delete', 'list', 'bucket', 'bytesOut', 'bytesIn', 'notFound', 'errors'] as const;
type Counter = (typeof COUNTERS)[number];

export class ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly counts = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  private readonly latency: LatencyModel | undefined;

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
      maxAttempts: options.maxAttempts ?? 3,
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
      // initialize step: once per command, outside the SDK's retries (see latencyModel.ts).
      this.client.middlewareStack.add(latencyMiddleware(this.latency), { step: 'initialize', name: LATENCY_MIDDLEWARE_NAME });
    }
  }

  async put(name: string, body: Buffer, options: PutOptions = {}): Promise<void> {
    this.counts.put++;
    await this.send('PUT', name, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: name,
          Body: body,
          ContentLength: body.length,
          ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      ),
    );
    this.counts.bytesOut += body.length;
  }

  /** The object's bytes (or the given range of them); undefined when the object does not exist. */
  async get(name: string, range?: ByteRange): Promise<Buffer | undefined> {
    this.counts.get++;
    const res = await this.sendOrMissing('GET', name, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: name,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
        }),
      ),
    );
    if (res === undefined) return undefined;
    if (res.Body === undefined) return Buffer.alloc(0);
    const bytes = await this.send('GET', name, () => res.Body!.transformToByteArray());
    this.counts.bytesIn += bytes.length;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  async head(name: string): Promise<ObjectInfo | undefined> {
    this.counts.head++;
    const res = await this.sendOrMissing('HEAD', name, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: name })),
    );
    return res === undefined ? undefined : { name, size: res.ContentLength ?? 0 };
  }

  /** Deletes name; deleting an absent object succeeds (as S3 does). */
  async delete(name: string): Promise<void> {
    this.counts.delete++;
    await this.send('DELETE', name, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name })));
  }

  /** Every object whose name starts with prefix, in S3's (byte) order, after startAfter. */
  async *list(prefix: string, startAfter?: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      this.counts.list++;
      const res = await this.send('LIST', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token === undefined && startAfter !== undefined ? { StartAfter: startAfter } : {}),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
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
    const res = await this.sendOrMissing('HEADBUCKET', this.bucket, () =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket })),
    );
    return res !== undefined;
  }

  /** Creates the bucket unless it exists (used for the embedded endpoint only). */
  async ensureBucket(): Promise<void> {
    if (await this.checkBucket()) return;
    this.counts.bucket++;
    try {
      await this.send('CREATEBUCKET', this.bucket, () => this.client.send(new CreateBucketCommand({ Bucket: this.bucket })));
    } catch (err) {
      // Another process may have created it in between; that is success too.
      if (!(err instanceof S3Failure && (err.code === 'BucketAlreadyOwnedByYou' || err.code === 'BucketAlreadyExists'))) throw err;
    }
  }

  stats(): Record<string, number> {
    const counts = Object.fromEntries(COUNTERS.map((c) => [`s3.${c}`, this.counts[c]]));
    if (this.latency === undefined) return counts;
    const model = Object.entries(this.latency.stats()).map(([k, v]) => [`s3.model.${k}`, Math.round(v * 1000) / 1000]);
    return { ...counts, ...Object.fromEntries(model) };
  }

  close(): void {
    this.client.destroy();
  }

  /** Runs one request; any error becomes an S3Failure. */
  private async send<T>(op: S3Op, target: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      this.counts.errors++;
      throw toFailure(op, target, err);
    }
  }

  /** Like send, but a 404 for the object itself resolves undefined. */
  private async sendOrMissing<T>(op: S3Op, target: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (err) {
      const failure = toFailure(op, target, err);
      // A missing bucket is a configuration error, never "this key is absent".
      if (failure.httpStatus === 404 && failure.code !== 'NoSuchBucket') {
        this.counts.notFound++;
        return undefined;
      }
      this.counts.errors++;
      throw failure;
    }
  }
}

/** Object names can be 1 KiB; messages keep the start, which names the prefix and kind. */
function shortName(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

function toFailure(op: S3Op, target: string, err: unknown): S3Failure {
  if (err instanceof S3Failure) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    Code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const code =
    typeof e.Code === 'string' ? e.Code : typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? firstLine(e.message) : String(err);
  // For an HTTP error the status and code say it all (the SDK's message for a bodiless 404 is
  // the unhelpful "UnknownError"); without a response, the message is the only explanation.
  const detail = status === undefined && message !== code ? message : undefined;
  return new S3Failure(op, shortName(target), status, code, detail);
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
