/**
 * Makes the embedded endpoint store an object only once its whole body has arrived, as S3 does:
 * a PUT whose client went away (an attempt timeout aborting it, a killed proxy) leaves no object,
 * where s3rver 3.7.1 alone would store whatever part of the body it had read, often nothing.
 *
 * Why it matters: a retried PUT, or a conditional create (`If-None-Match: *`) of the same name,
 * would otherwise meet a torn object that nobody wrote whole. And while s3rver waits on the body
 * of an aborted request, the conditional-create lock of that name (conditionalCreates.ts) would
 * be held forever: this middleware runs first, so the lock is only taken for a complete request.
 */
import { Readable } from 'node:stream';
import type S3rver from 's3rver';

type Context = {
  method: string;
  querystring: string;
  req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> };
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
};
type Next = () => Promise<void>;

const INCOMPLETE_BODY =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>IncompleteBody</Code>' +
  '<Message>You did not provide the number of bytes specified by the Content-Length HTTP header</Message></Error>';

/** The body, or undefined when the stream closed before `expected` bytes (or before its end). */
function readWhole(stream: NodeJS.ReadableStream, expected: number | undefined): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (body: Buffer | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(body);
    };
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
    });
    stream.on('end', () => settle(expected === undefined || bytes === expected ? Buffer.concat(chunks) : undefined));
    stream.on('error', () => settle(undefined));
    stream.on('close', () => settle(undefined)); // after 'end' this changes nothing
  });
}

export function storeWholeUploadsOnly(server: S3rver): void {
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'PUT') return next();
    const length = ctx.get('content-length');
    const expected = length === '' ? undefined : Number(length);
    const body = await readWhole(ctx.req, expected);
    if (body === undefined) {
      ctx.status = 400;
      ctx.type = 'application/xml';
      ctx.body = INCOMPLETE_BODY;
      return;
    }
    // s3rver reads the object's content from ctx.req: hand it the complete body instead.
    ctx.req = Object.assign(Readable.from(body.length === 0 ? [] : [body]), { headers: ctx.req.headers });
    return next();
  };
  // First in the chain (unshifted after conditionalCreates.ts's): before any lock is taken.
  server.middleware.unshift(middleware as (ctx: unknown, next: Next) => Promise<void>);
}
