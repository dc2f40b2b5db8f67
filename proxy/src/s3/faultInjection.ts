/**
 * S3 fault injection: an AWS SDK v3 middleware (installed by objectStore.ts, like the latency
 * model) that makes a seeded share of S3 requests fail the ways real S3 and real networks fail,
 * so that the retry policy (retryPolicy.ts) and the engines' integrity checks are exercised by
 * tests and by `npm run faulttest`.
 *
 * Per attempt (objectStore.ts runs the SDK with one attempt per send, so this middleware sees
 * every retry), with probability `rate`, one fault drawn evenly from the kinds that apply:
 *
 *   internal   HTTP 500 InternalError
 *   slowdown   HTTP 503 SlowDown (S3's "reduce your request rate")
 *   throttle   HTTP 429 / 503 Throttling / RequestLimitExceeded
 *   timeout    no answer: the attempt hangs until the attempt timeout aborts it
 *   reset      ECONNRESET (the connection dropped)
 *   corrupt    GET only: one byte of the body flipped
 *   truncate   GET only: the body cut short
 *
 * For the five error kinds, half the time the request is really sent first and only its answer
 * replaced: the write landed but the client saw an error (or nothing), which is what makes a
 * failed S3 PUT "may or may not have taken effect". The other half the request never leaves.
 * Corrupt and truncated bodies come from real answers; a GET that found nothing (404) is passed
 * through and counts as no fault.
 *
 * Injected errors say "(injected)" in their message, so a log line shows where a failure came
 * from. They carry no request data: object names stay in objectStore.ts's own messages.
 */
import { seededRandom } from './latencyModel.js';

export const FAULT_KINDS = ['internal', 'slowdown', 'throttle', 'timeout', 'reset', 'corrupt', 'truncate'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds that only make sense on a response with a body (GetObject). */
const BODY_KINDS: ReadonlySet<FaultKind> = new Set(['corrupt', 'truncate']);

export interface FaultOptions {
  /** Share of attempts that fail, 0..1. */
  rate: number;
  /** Seed of the generator (default 1): the same seed and order of requests give the same faults. */
  seed?: number;
  /** The kinds to draw from (default all). */
  kinds?: readonly FaultKind[];
}

export const DEFAULT_FAULT_SEED = 1;
export const FAULT_MIDDLEWARE_NAME = 'hermitkvFaultInjection';

/** What one attempt gets: a kind, and whether the request is sent before the fault strikes. */
export interface Fault {
  kind: FaultKind;
  afterSend: boolean;
}

/** An error shaped like the SDK's: objectStore.ts reads `$metadata.httpStatusCode` and `name`/`code`. */
export class InjectedFault extends Error {
  readonly $metadata: { httpStatusCode?: number };
  readonly code: string;
  readonly injected = true;

  constructor(code: string, httpStatus: number | undefined, message: string) {
    super(`${message} (injected)`);
    this.name = code;
    this.code = code;
    this.$metadata = httpStatus === undefined ? {} : { httpStatusCode: httpStatus };
  }
}

export class FaultInjector {
  private readonly random: () => number;
  private readonly rate: number;
  private readonly kinds: readonly FaultKind[];
  private readonly counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;

  constructor(options: FaultOptions) {
    if (!(options.rate >= 0 && options.rate <= 1)) throw new Error(`fault rate ${options.rate} is not between 0 and 1`);
    this.rate = options.rate;
    this.kinds = options.kinds ?? FAULT_KINDS;
    if (this.kinds.length === 0) throw new Error('no fault kinds to inject');
    this.random = seededRandom(options.seed ?? DEFAULT_FAULT_SEED);
  }

  /** The fault for one attempt of commandName, or undefined. Not counted until it strikes. */
  draw(commandName: string | undefined): Fault | undefined {
    if (this.rate === 0 || this.random() >= this.rate) return undefined;
    const hasBody = commandName === 'GetObjectCommand';
    const applicable = this.kinds.filter((k) => hasBody || !BODY_KINDS.has(k));
    if (applicable.length === 0) return undefined;
    const kind = applicable[Math.floor(this.random() * applicable.length)]!;
    return { kind, afterSend: this.random() < 0.5 };
  }

  /** Draws in [0, 1) for the body faults' position and byte (same generator: reproducible). */
  next(): number {
    return this.random();
  }

  struck(kind: FaultKind): void {
    this.counts[kind]++;
  }

  stats(): Record<FaultKind, number> {
    return { ...this.counts };
  }

  get total(): number {
    return FAULT_KINDS.reduce((sum, k) => sum + this.counts[k], 0);
  }
}

/** The error one of the five error kinds answers with (timeout has none: it never answers). */
function errorFor(kind: FaultKind, injector: FaultInjector): InjectedFault {
  switch (kind) {
    case 'internal':
      return new InjectedFault('InternalError', 500, 'We encountered an internal error. Please try again.');
    case 'slowdown':
      return new InjectedFault('SlowDown', 503, 'Please reduce your request rate.');
    case 'throttle':
      return injector.next() < 0.5
        ? new InjectedFault('Throttling', 429, 'Rate exceeded')
        : new InjectedFault('RequestLimitExceeded', 503, 'Request limit exceeded');
    default:
      return new InjectedFault('ECONNRESET', undefined, 'socket hang up');
  }
}

/** Holds until the attempt is aborted (objectStore.ts's attempt timeout); never resolves otherwise. */
function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    const abort = (): void => reject(new InjectedFault('TimeoutError', undefined, 'no answer'));
    if (signal === undefined) return; // the caller's own timeout must end the wait
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

interface ByteBody {
  transformToByteArray(): Promise<Uint8Array>;
}

function isByteBody(body: unknown): body is ByteBody {
  return typeof body === 'object' && body !== null && typeof (body as { transformToByteArray?: unknown }).transformToByteArray === 'function';
}

/** A copy of bytes with one byte changed, or cut to a shorter length. */
function damage(bytes: Uint8Array, kind: 'corrupt' | 'truncate', injector: FaultInjector): Uint8Array {
  if (kind === 'truncate') return bytes.slice(0, Math.floor(injector.next() * bytes.length));
  const out = bytes.slice();
  const at = Math.floor(injector.next() * out.length);
  out[at] = out[at]! ^ (1 + Math.floor(injector.next() * 255));
  return out;
}

function discardBody(result: unknown): void {
  const body = (result as { output?: { Body?: unknown } }).output?.Body;
  if (typeof body === 'object' && body !== null && typeof (body as { destroy?: unknown }).destroy === 'function') {
    (body as { destroy(): void }).destroy();
  }
}

/**
 * The SDK middleware, typed structurally (an `initialize`-step middleware) so that only
 * objectStore.ts imports the SDK. The abort signal of the attempt is in the handler context the
 * SDK builds from `send(command, { abortSignal })`.
 */
export function faultMiddleware(injector: FaultInjector) {
  return <Input extends object, Output>(
    next: (args: { input: Input }) => Promise<Output>,
    context: { commandName?: string; __smithy_context?: Record<string, unknown> },
  ) =>
    async (args: { input: Input }): Promise<Output> => {
      const fault = injector.draw(context.commandName);
      if (fault === undefined) return next(args);
      const given = context.__smithy_context?.['abortSignal'];
      const signal = given instanceof AbortSignal ? given : undefined;
      const { kind } = fault;
      if (kind === 'corrupt' || kind === 'truncate') {
        const result = await next(args);
        const output = (result as { output?: { Body?: unknown } }).output;
        if (output === undefined || !isByteBody(output.Body)) return result;
        const bytes = await output.Body.transformToByteArray();
        if (bytes.length === 0) {
          output.Body = { transformToByteArray: () => Promise.resolve(bytes) } satisfies ByteBody;
          return result;
        }
        injector.struck(kind);
        const bad = damage(bytes, kind, injector);
        output.Body = { transformToByteArray: () => Promise.resolve(bad) } satisfies ByteBody;
        return result;
      }
      if (fault.afterSend) {
        // A real error (404, 412) passes through: no fault then. A real answer is dropped, and a
        // body nobody will read must not keep its connection busy.
        discardBody(await next(args));
      }
      injector.struck(kind);
      if (kind === 'timeout') return hangUntilAborted(signal);
      throw errorFor(kind, injector);
    };
}
