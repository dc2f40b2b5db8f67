/**
 * Makes the embedded endpoint honour `If-None-Match: *` on PUT (a conditional create), as S3 has
 * since 2024: the PUT succeeds only if no object of that name exists, and otherwise fails with
 * 412 PreconditionFailed. s3rver 3.7.1 ignores the header; writer fencing (the log engine's
 * epoch, fencing.ts) depends on it.
 *
 * Atomic because every request to the endpoint passes through this one process: the existence
 * check and the write of one name run under a lock of that name, and s3rver writes the object
 * before the request completes.
 */
import type S3rver from 's3rver';

type Context = {
  method: string;
  path: string;
  querystring: string;
  get(header: string): string;
  status: number;
  type: string;
  body: unknown;
};
type Next = () => Promise<void>;

const PRECONDITION_FAILED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
  '<Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>';

export function honourConditionalCreates(server: S3rver): void {
  const locks = new Map<string, Promise<void>>();
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'PUT' || ctx.get('if-none-match').trim() !== '*' || /(^|&)(uploadId|partNumber)=/.test(ctx.querystring)) return next();
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (m === null) return next();
    const bucket = decodeURIComponent(m[1]!);
    const key = decodeURIComponent(m[2]!);
    const name = `${bucket}/${key}`;
    const before = locks.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const chained = before.then(() => mine);
    locks.set(name, chained);
    await before;
    try {
      if (await server.store.existsObject(bucket, key)) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body = PRECONDITION_FAILED;
        return;
      }
      await next();
    } finally {
      release();
      if (locks.get(name) === chained) locks.delete(name);
    }
  };
  // First in the chain: before s3rver's router writes anything.
  server.middleware.unshift(middleware as (ctx: unknown, next: Next) => Promise<void>);
}
