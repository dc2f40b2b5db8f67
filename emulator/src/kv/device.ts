/**
 * The KV device: the hypervisor's side of the split driver.
 *
 * Submit (outl on HKV_PORT_KV_SUBMIT): the descriptor is copied and validated (request.ts), its
 * status set synchronously to PENDING (accepted) or BUSY (the bounded queue is full: the guest
 * retries after a completion, nothing is dropped), and the request is relayed to the proxy.
 * Completion: the result goes into guest memory (GET bytes, result_len, then status), the tag is
 * queued on HKV_PORT_KV_COMPLETION and the IRQ line pulsed. Only live requests are ever written
 * back, and only to their own descriptor's result fields and GET or SCAN batch buffer.
 */
import { ABI, OP_NAMES, type KvOp } from '../abi.js';
import type { GuestMemory } from '../machine/guestMemory.js';
import type { V86Machine } from '../machine/v86Machine.js';
import { ProtocolError, WireOp, WireStatus } from '../../../proxy/src/ipc/protocol.js';
import { decodeScanBatch, encodeScanParams } from '../../../proxy/src/ipc/scanWire.js';
import type { ProxyReply } from '../ipc/proxyClient.js';
import { parseDescriptor, type KvRequest } from './request.js';
import { KvStats } from './stats.js';

/** Where requests go: the proxy client (or anything with the same contract). */
export interface KvBackend {
  request(op: WireOp, key: Buffer, value?: Buffer): Promise<ProxyReply>;
}

export interface KvDeviceEvents {
  /** A request the host refused or could not serve, with the reason (for the console/log). */
  problem(message: string): void;
  /** Every completed request, for traces. */
  completed?(done: CompletedRequest): void;
}

export interface CompletedRequest {
  request: KvRequest;
  status: number;
  resultLen: number;
  /** performance.now() at submit, at relay to the proxy, and at completion. */
  submittedAt: number;
  relayedAt: number;
  completedAt: number;
}

/** A request the device has accepted and not yet completed. */
interface Live {
  descAddr: number;
  tag: number;
  submittedAt: number;
  relayedAt: number;
  /** Absent for requests that failed validation (nothing to trace but the rejection). */
  request?: KvRequest;
}

const WIRE_OP: Readonly<Record<KvOp, WireOp>> = {
  [ABI.HKV_OP_PUT]: WireOp.Put,
  [ABI.HKV_OP_GET]: WireOp.Get,
  [ABI.HKV_OP_DELETE]: WireOp.Delete,
  [ABI.HKV_OP_SCAN]: WireOp.Scan,
};

export class KvDevice {
  readonly stats = new KvStats();
  private readonly completions: number[] = [];
  private inFlight = 0;
  private stopped = false;
  private pulseQueued = false;

  constructor(
    private readonly machine: V86Machine,
    private readonly memory: GuestMemory,
    private readonly backend: KvBackend,
    private readonly events: KvDeviceEvents,
    private readonly queueCapacity = 256,
  ) {
    machine.onOut32(ABI.HKV_PORT_KV_SUBMIT, (addr) => this.submit(addr >>> 0));
    machine.onIn32(ABI.HKV_PORT_KV_COMPLETION, () => this.completions.shift() ?? ABI.HKV_NO_COMPLETION);
    // A halted guest with requests in flight is about to be woken by a completion: keep polling.
    machine.pollWhileHalted = () => this.inFlight > 0;
  }

  /** After stop no completion touches guest memory (the machine is going away). */
  stop(): void {
    this.stopped = true;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  private submit(descAddr: number): void {
    try {
      const parsed = parseDescriptor(this.memory, descAddr);
      if (parsed.kind === 'unreadable') {
        this.stats.rejected++;
        this.events.problem(`kv: rejected submit: ${parsed.reason}`);
        return;
      }
      if (this.inFlight >= this.queueCapacity) {
        this.stats.busy++;
        this.memory.writeI32(descAddr + ABI.HKV_DESC_OFF_STATUS, ABI.HKV_STATUS_BUSY);
        return;
      }
      this.memory.writeI32(descAddr + ABI.HKV_DESC_OFF_STATUS, ABI.HKV_STATUS_PENDING);
      this.inFlight++;
      this.stats.noteInFlight(this.inFlight);
      const now = performance.now();
      if (parsed.kind === 'invalid') {
        this.stats.rejected++;
        this.events.problem(`kv: invalid request (tag ${parsed.tag}): ${parsed.reason}`);
        // Completes like any other request, on a later turn, so the guest sees one path.
        const live: Live = { descAddr, tag: parsed.tag, submittedAt: now, relayedAt: now };
        setImmediate(() => this.finish(live, ABI.HKV_STATUS_INVALID));
        return;
      }
      this.relay(parsed.request, now);
    } catch (err) {
      // Never let an exception unwind into v86.
      this.stats.rejected++;
      this.events.problem(`kv: submit failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private relay(req: KvRequest, submittedAt: number): void {
    const pending: Live = { descAddr: req.descAddr, tag: req.tag, submittedAt, relayedAt: performance.now(), request: req };
    this.stats.noteRequest(req.op, req.key.length, req.value.length);
    // A SCAN carries its parameters (batch capacity, end key, resume flag) as the wire value.
    const value = req.scan === undefined ? req.value : encodeScanParams({ capacity: req.bufCapacity, after: req.scan.after, end: req.scan.end });
    this.backend.request(WIRE_OP[req.op], req.key, value).then(
      (reply) => this.answer(pending, req, reply),
      (err: unknown) => this.answer(pending, req, { kind: 'unavailable', reason: String(err) }),
    );
  }

  private answer(live: Live, req: KvRequest, reply: ProxyReply): void {
    if (reply.kind === 'unavailable') {
      this.stats.unavailable++;
      this.events.problem(`kv: proxy unavailable: ${reply.reason}`);
      return this.finish(live, ABI.HKV_STATUS_UNAVAILABLE);
    }
    const { status, value } = reply.response;
    switch (status) {
      case WireStatus.Ok:
        if (req.op === ABI.HKV_OP_SCAN) return this.answerScan(live, req, value);
        if (req.op !== ABI.HKV_OP_GET) return this.finish(live, ABI.HKV_STATUS_OK);
        if (value.length > req.bufCapacity) return this.finish(live, ABI.HKV_STATUS_TOO_SMALL, value.length);
        this.stats.bytesToGuest += value.length;
        return this.finish(live, ABI.HKV_STATUS_OK, value.length, { addr: req.bufAddr, data: value });
      case WireStatus.NotFound:
        return this.finish(live, ABI.HKV_STATUS_NOT_FOUND);
      case WireStatus.Invalid:
        this.stats.rejected++;
        this.events.problem(`kv: proxy refused a request: ${value.toString('utf8')}`);
        return this.finish(live, ABI.HKV_STATUS_INVALID);
      default:
        this.stats.ioErrors++;
        this.events.problem(`kv: ${OP_NAMES[req.op]} failed in the proxy: ${value.toString('utf8')}`);
        return this.finish(live, ABI.HKV_STATUS_IO_ERROR);
    }
  }

  /**
   * A scan batch goes into the guest's batch buffer only when it fits and is well formed, so a
   * faulty proxy cannot make the guest read past its buffer or misparse it.
   */
  private answerScan(live: Live, req: KvRequest, batch: Buffer): void {
    let entries: number;
    try {
      if (batch.length > req.bufCapacity) throw new ProtocolError(`scan batch of ${batch.length} bytes exceeds the guest's ${req.bufCapacity}`);
      entries = decodeScanBatch(batch).entries.length;
    } catch (err) {
      this.stats.ioErrors++;
      this.events.problem(`kv: scan answered with a bad batch: ${err instanceof Error ? err.message : String(err)}`);
      return this.finish(live, ABI.HKV_STATUS_IO_ERROR);
    }
    this.stats.scanKeys += entries;
    this.stats.bytesToGuest += batch.length;
    return this.finish(live, ABI.HKV_STATUS_OK, batch.length, { addr: req.bufAddr, data: batch });
  }

  private readonly pulse = (): void => {
    this.pulseQueued = false;
    if (!this.stopped) this.machine.pulseIrq(ABI.HKV_KV_IRQ);
  };

  /**
   * Writes a live request's result into its own descriptor (and GET buffer), then posts its tag
   * and pulses the IRQ. Status is written last: the guest treats it as the "done" flag. The pulse
   * comes at the end of the turn, one for all the tags posted in it (the PIC is edge-triggered,
   * so back-to-back pulses before the guest runs would merge anyway).
   */
  private finish(live: Live, status: number, resultLen = 0, payload?: { addr: number; data: Buffer }): void {
    this.inFlight--;
    if (this.stopped) return;
    try {
      if (payload) this.memory.write(payload.addr, payload.data, 'result buffer');
      this.memory.writeU32(live.descAddr + ABI.HKV_DESC_OFF_RESULT_LEN, resultLen);
      this.memory.writeI32(live.descAddr + ABI.HKV_DESC_OFF_STATUS, status);
    } catch (err) {
      this.events.problem(`kv: cannot complete tag ${live.tag}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.stats.noteStatus(status);
    this.completions.push(live.tag);
    // One edge for every completion posted in this turn: the guest drains the port per interrupt.
    if (!this.pulseQueued) {
      this.pulseQueued = true;
      queueMicrotask(this.pulse);
    }
    if (live.request && this.events.completed) {
      const { submittedAt, relayedAt } = live;
      this.events.completed({ request: live.request, status, resultLen, submittedAt, relayedAt, completedAt: performance.now() });
    }
  }
}
