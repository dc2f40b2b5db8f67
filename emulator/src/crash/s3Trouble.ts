/**
 * S3 trouble during a crash test: what the proxies' fault injection did (read from each proxy's
 * statistics over the KV channel just before it is killed or stopped, since a SIGKILLed proxy
 * prints nothing), and an outage of the S3 endpoint (SIGSTOP, then SIGCONT) with the guest calls
 * it caught: how long they took to come back and whether the application went on afterwards.
 */
import { WireOp, WireStatus } from '../../../proxy/src/ipc/protocol.js';
import { ProxyClient } from '../ipc/proxyClient.js';

/** The proxy statistics a fault run reports (summed over the proxies of the run). */
const FAULT_STATS =
  /^(s3\.(faults(\..*)?|retries|gaveUp|attemptTimeouts|integrityFailures|ownConditionalPuts|put|get|head|delete|list)|log\.corruptRetries|engine\.corruptRetries)$/;

/** Adds the proxy at socket's fault and retry counters to totals; a proxy that does not answer adds nothing. */
export async function addFaultStats(socket: string, totals: Record<string, number>): Promise<void> {
  let client: ProxyClient | undefined;
  try {
    client = await ProxyClient.connect(socket);
    const reply = await Promise.race([client.request(WireOp.Stats, Buffer.alloc(0)), new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref())]);
    if (reply === undefined || reply.kind !== 'response' || reply.response.status !== WireStatus.Ok) return;
    const stats = JSON.parse(reply.response.value.toString('utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(stats)) {
      if (FAULT_STATS.test(k) && typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
    }
  } catch {
    // Statistics are a report, not a check: a proxy that cannot say leaves the totals short.
  } finally {
    client?.close();
  }
}

/** The guest calls an outage caught: in flight when it began, or invoked while it lasted. */
export class OutageWatch {
  private readonly started = new Map<string, number>();
  private stoppedAt: number | undefined;
  private resumedAt: number | undefined;
  calls = 0;
  failed = 0;
  maxCallMs = 0;
  ackedAfter = 0;

  begin(inFlight: readonly string[], now: number): void {
    this.stoppedAt = now;
    for (const id of inFlight) this.started.set(id, now);
  }

  end(now: number): void {
    this.resumedAt = now;
  }

  get active(): boolean {
    return this.stoppedAt !== undefined && this.resumedAt === undefined;
  }

  /** A call invoked now (only those during the outage are watched). */
  invoked(id: string, now: number): void {
    if (this.active) this.started.set(id, now);
  }

  completed(id: string, answered: boolean, now: number): void {
    const t = this.started.get(id);
    if (t !== undefined) {
      this.started.delete(id);
      this.calls++;
      if (!answered) this.failed++;
      this.maxCallMs = Math.max(this.maxCallMs, now - t);
    }
    if (this.resumedAt !== undefined && answered && t === undefined) this.ackedAfter++;
  }

  /** Calls the outage caught that have not come back. */
  get unfinished(): number {
    return this.started.size;
  }
}
