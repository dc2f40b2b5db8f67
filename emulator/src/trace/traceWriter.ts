/**
 * `--trace FILE`: one JSON line per KV hypercall, written as requests complete. A line holds
 * what is needed to study the channel and to check a history (invocation and completion times),
 * but never value bytes, and key bytes only with the explicit `--trace-keys` opt-in: by default a
 * key appears as its length and a short hash.
 *
 * Fields: t (µs since the run started, at submit), seq, thread (guest thread id), op, key_len,
 * key_hash (SCAN: of the start key), value_len (PUT: value bytes; GET: result length; SCAN:
 * batch bytes), status, queue_us (submit → relayed to the proxy), service_us (relayed →
 * completed), done_us (µs since start at completion); key (hex) only with --trace-keys.
 *
 * The last line of a complete run is `{"proxy_stats": {...}}`: the proxy's counters at the end
 * (S3 requests by type, bytes, writes per PUT, flush latency), so a trace says what the run cost.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ABI, OP_NAMES } from '../abi.js';
import type { CompletedRequest } from '../kv/device.js';
import { statusName } from '../kv/stats.js';

export interface TraceLine {
  t: number;
  seq: number;
  thread: number;
  op: string;
  key_len: number;
  key_hash: string;
  value_len: number;
  status: string;
  queue_us: number;
  service_us: number;
  done_us: number;
  key?: string;
}

export function keyHash(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export class TraceWriter {
  private readonly out: WriteStream;
  private seq = 0;

  constructor(
    file: string,
    private readonly startedAt: number,
    private readonly includeKeys: boolean,
  ) {
    this.out = createWriteStream(file, { flags: 'w', mode: 0o600 });
  }

  record(done: CompletedRequest): void {
    const { request } = done;
    const line: TraceLine = {
      t: micros(done.submittedAt - this.startedAt),
      seq: this.seq++,
      thread: request.thread,
      op: OP_NAMES[request.op],
      key_len: request.key.length,
      key_hash: keyHash(request.key),
      // GET: the value's length; SCAN: the batch's bytes (start key as key_len/key_hash).
      value_len: request.op === ABI.HKV_OP_GET || request.op === ABI.HKV_OP_SCAN ? done.resultLen : request.value.length,
      status: statusName(done.status),
      queue_us: micros(done.relayedAt - done.submittedAt),
      service_us: micros(done.completedAt - done.relayedAt),
      done_us: micros(done.completedAt - this.startedAt),
    };
    if (this.includeKeys) line.key = request.key.toString('hex');
    this.out.write(`${JSON.stringify(line)}\n`);
  }

  /** The closing line: the proxy's counters (no keys or values are among them). */
  recordProxyStats(stats: Record<string, unknown>): void {
    this.out.write(`${JSON.stringify({ proxy_stats: stats })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

function micros(ms: number): number {
  return Math.round(ms * 1000);
}
