/**
 * Where S3 is, resolved the standard AWS way plus hermitkv's flags:
 *
 *  1. `--s3-endpoint URL`, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: that endpoint, path-style,
 *     credentials from the default chain, region from AWS_REGION (default us-east-1).
 *  2. `--s3-endpoint aws`, else any of AWS_REGION / AWS_PROFILE / AWS_ACCESS_KEY_ID set: AWS S3
 *     itself through the default chain.
 *  3. `--s3-endpoint embedded`, else nothing configured: the embedded endpoint (s3rver), so that
 *     `npm start` works on a fresh machine.
 *
 * A bucket on a real or explicit endpoint must already exist (creating buckets on someone's
 * account is not the proxy's business); the embedded endpoint's bucket is created.
 */
import { StartupError } from '../startupError.js';
import { ObjectStore, S3Failure, type ObjectStoreOptions } from './objectStore.js';

export type S3Location =
  | { kind: 'embedded' }
  | { kind: 'endpoint'; url: string; region: string }
  | { kind: 'aws'; region?: string };

export interface S3Config {
  location: S3Location;
  bucket: string;
  /** Empty, or ends with `/`. */
  prefix: string;
}

export interface S3Flags {
  s3Endpoint?: string;
  bucket?: string;
  prefix?: string;
}

export const DEFAULT_BUCKET = 'hermitkv';
export const DEFAULT_PREFIX = 'kv/';

/** Credentials and region of the embedded endpoint (s3rver accepts any static pair). */
export const EMBEDDED_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const EMBEDDED_REGION = 'us-east-1';

/** Room left in S3's 1024-byte name limit for what engines append to the prefix. */
const MAX_PREFIX_BYTES = 512;

export function resolveS3Config(flags: S3Flags, env: NodeJS.ProcessEnv = process.env): S3Config {
  return { location: resolveLocation(flags.s3Endpoint, env), bucket: checkBucketName(flags.bucket ?? DEFAULT_BUCKET), prefix: normalisePrefix(flags.prefix ?? DEFAULT_PREFIX) };
}

function resolveLocation(flag: string | undefined, env: NodeJS.ProcessEnv): S3Location {
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const endpoint = (url: string): S3Location => ({ kind: 'endpoint', url: checkUrl(url), region: region ?? 'us-east-1' });
  const aws = (): S3Location => (region === undefined ? { kind: 'aws' } : { kind: 'aws', region });
  if (flag !== undefined && flag !== '') {
    if (flag === 'aws') return aws();
    if (flag === 'embedded') return { kind: 'embedded' };
    return endpoint(flag);
  }
  const envUrl = nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  if (envUrl !== undefined) return endpoint(envUrl);
  if (region !== undefined || nonEmpty(env.AWS_PROFILE) !== undefined || nonEmpty(env.AWS_ACCESS_KEY_ID) !== undefined) return aws();
  return { kind: 'embedded' };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StartupError(`--s3-endpoint "${url}" is not a URL, "aws" or "embedded"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new StartupError(`S3 endpoint "${url}" must be http:// or https://`);
  return url.replace(/\/+$/, '');
}

/** S3's bucket naming rules (the common subset every S3-compatible server accepts). */
function checkBucketName(bucket: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    throw new StartupError(`bucket name "${bucket}" is not valid: 3-63 characters of a-z, 0-9, "." and "-"`);
  }
  return bucket;
}

/**
 * `kv` → `kv/`; `` stays empty (the whole bucket). Only plain path segments are accepted: a
 * prefix is also a directory path inside the embedded endpoint's data folder, where `.`/`..`
 * segments or odd characters would change meaning.
 */
export function normalisePrefix(prefix: string): string {
  if (prefix === '') return '';
  const withSlash = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const segments = withSlash.slice(0, -1).split('/');
  const ok = segments.every((s) => /^[A-Za-z0-9_.-]+$/.test(s) && s !== '.' && s !== '..');
  if (!ok) throw new StartupError(`prefix "${prefix}" is not valid: use segments of A-Z a-z 0-9 _ . - separated by single "/"`);
  if (Buffer.byteLength(withSlash) > MAX_PREFIX_BYTES) throw new StartupError(`prefix "${prefix}" is longer than ${MAX_PREFIX_BYTES} bytes`);
  return withSlash;
}

/** A short label for messages: the endpoint URL, or `aws` / `aws:<region>`. */
export function endpointLabel(location: S3Location, embeddedUrl?: string): string {
  switch (location.kind) {
    case 'embedded':
      return embeddedUrl ?? 'embedded';
    case 'endpoint':
      return location.url;
    case 'aws':
      return location.region === undefined ? 'aws' : `aws:${location.region}`;
  }
}

/** ObjectStore options for a location; the embedded endpoint's URL is known once it runs. */
export function storeOptions(config: S3Config, embeddedUrl?: string): ObjectStoreOptions {
  const { location, bucket } = config;
  switch (location.kind) {
    case 'embedded':
      if (embeddedUrl === undefined) throw new Error('embedded endpoint URL missing');
      return { bucket, endpoint: embeddedUrl, region: EMBEDDED_REGION, forcePathStyle: true, credentials: EMBEDDED_CREDENTIALS };
    case 'endpoint':
      return { bucket, endpoint: location.url, region: location.region, forcePathStyle: true };
    case 'aws':
      return { bucket, ...(location.region === undefined ? {} : { region: location.region }), forcePathStyle: false };
  }
}

/**
 * Makes sure the bucket is usable: created on the embedded endpoint, required elsewhere. Every
 * failure becomes a StartupError whose message says what to do.
 */
export async function prepareBucket(store: ObjectStore, config: S3Config, label: string): Promise<void> {
  try {
    if (config.location.kind === 'embedded') {
      await store.ensureBucket();
      return;
    }
    if (!(await store.checkBucket())) {
      throw new StartupError(`bucket "${config.bucket}" does not exist at ${label}; create it or pass --bucket`);
    }
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(explainBucketFailure(err, config.bucket, label));
  }
}

function explainBucketFailure(err: unknown, bucket: string, label: string): string {
  if (!(err instanceof S3Failure)) return `cannot use bucket "${bucket}" at ${label}: ${err instanceof Error ? err.message : String(err)}`;
  if (err.httpStatus === 403) return `access to bucket "${bucket}" at ${label} denied (403 ${err.code}); check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`;
  if (err.httpStatus === 301 || err.code === 'PermanentRedirect') return `bucket "${bucket}" is in another region than ${label}; set AWS_REGION`;
  if (err.code === 'CredentialsProviderError' || /credential/i.test(err.message)) return `no S3 credentials for ${label}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE`;
  if (/region is missing/i.test(err.message)) return `no AWS region for ${label}: set AWS_REGION`;
  if (err.httpStatus === undefined) return `cannot reach S3 at ${label}: ${err.code}${err.message.includes('(') ? err.message.slice(err.message.indexOf('(')) : ''}`;
  return `cannot use bucket "${bucket}" at ${label}: ${err.httpStatus} ${err.code}`;
}
