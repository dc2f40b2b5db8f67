/**
 * How a failed S3 request is described outside objectStore.ts: an S3Failure with a one-line
 * message (`S3 PUT kv/o/ab12… failed: 503 SlowDown`) built from the SDK's error, whatever shape
 * it has. Object names are cut short; nothing of a request's body or credentials goes in.
 */
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

/** Object names can be 1 KiB; messages keep the start, which names the prefix and kind. */
export function shortName(name: string): string {
  return name.length > 40 ? `${name.slice(0, 40)}…` : name;
}

export function toFailure(op: S3Op, target: string, err: unknown): S3Failure {
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
