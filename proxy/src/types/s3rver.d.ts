/** The part of s3rver 3.7.1 the embedded endpoint uses (the package ships no types). */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string }[];
  }

  class S3rver {
    constructor(options: S3rverOptions);
    /** Koa's middleware list (S3rver extends Koa); composed when run() starts listening. */
    middleware: Array<(ctx: unknown, next: () => Promise<void>) => Promise<void>>;
    store: { existsObject(bucket: string, key: string): Promise<boolean> };
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export default S3rver;
}
