/**
 * The wire format between the hypervisor (client) and the proxy (server).
 *
 * node-ipc carries the bytes in its rawBuffer mode; this module adds the framing: every frame is
 * a little-endian u32 length (bytes that follow) and a fixed header, then the payload. A binary
 * frame costs no base64 and no JSON parse, and many requests share one connection: responses
 * carry the request id, so they may come back in any order (pipelining).
 *
 * Request:  u32 len | u32 id | u8 op | u8 flags(0) | u16 reserved(0) | u32 keyLen | u32 valueLen
 *           | key bytes | value bytes
 * Response: u32 len | u32 id | u8 status | u8 flags(0) | u16 reserved(0) | u32 valueLen
 *           | value bytes
 *
 * SCAN's value holds its parameters and its response's value one batch of entries (scanWire.ts).
 *
 * The decoder is strict: the peer may be any local process, so a frame that breaks a rule is
 * reported as an error, never guessed at.
 */

export enum WireOp {
  Put = 1,
  Get = 2,
  Delete = 3,
  /** One batch of a range scan: key = start key, value = parameters, response = batch (scanWire.ts). */
  Scan = 4,
  /** The proxy's statistics as a UTF-8 JSON object in the response value. */
  Stats = 16,
}

export enum WireStatus {
  Ok = 0,
  NotFound = 1,
  /** The request broke a rule (op, lengths); nothing was done. The value holds a message. */
  Invalid = 3,
  /** The engine or S3 failed; the value holds a UTF-8 message. The outcome is unknown. */
  IoError = 4,
}

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 4096;
/** Largest frame either side accepts (after the length field); stats responses are the largest. */
export const MAX_FRAME_BYTES = 1 << 20;

const REQUEST_HEADER = 16; // id, op/flags/reserved, keyLen, valueLen
const RESPONSE_HEADER = 12; // id, status/flags/reserved, valueLen

export interface WireRequest {
  id: number;
  op: WireOp;
  key: Buffer;
  value: Buffer;
}

export interface WireResponse {
  id: number;
  status: WireStatus;
  value: Buffer;
}

export class ProtocolError extends Error {}

const KNOWN_OPS = new Set<number>([WireOp.Put, WireOp.Get, WireOp.Delete, WireOp.Scan, WireOp.Stats]);
const KNOWN_STATUSES = new Set<number>([WireStatus.Ok, WireStatus.NotFound, WireStatus.Invalid, WireStatus.IoError]);

export function encodeRequest(req: WireRequest): Buffer {
  const body = REQUEST_HEADER + req.key.length + req.value.length;
  const frame = Buffer.allocUnsafe(4 + body);
  frame.writeUInt32LE(body, 0);
  frame.writeUInt32LE(req.id >>> 0, 4);
  frame.writeUInt8(req.op, 8);
  frame.writeUInt8(0, 9);
  frame.writeUInt16LE(0, 10);
  frame.writeUInt32LE(req.key.length, 12);
  frame.writeUInt32LE(req.value.length, 16);
  req.key.copy(frame, 20);
  req.value.copy(frame, 20 + req.key.length);
  return frame;
}

export function encodeResponse(res: WireResponse): Buffer {
  const body = RESPONSE_HEADER + res.value.length;
  const frame = Buffer.allocUnsafe(4 + body);
  frame.writeUInt32LE(body, 0);
  frame.writeUInt32LE(res.id >>> 0, 4);
  frame.writeUInt8(res.status, 8);
  frame.writeUInt8(0, 9);
  frame.writeUInt16LE(0, 10);
  frame.writeUInt32LE(res.value.length, 12);
  res.value.copy(frame, 16);
  return frame;
}

/** Decodes one request frame body (without its length field). Throws ProtocolError. */
export function decodeRequest(body: Buffer): WireRequest {
  if (body.length < REQUEST_HEADER) throw new ProtocolError(`request frame of ${body.length} bytes is shorter than its header`);
  const id = body.readUInt32LE(0);
  const op = body.readUInt8(4);
  if (!KNOWN_OPS.has(op)) throw new ProtocolError(`unknown op ${op}`);
  if (body.readUInt8(5) !== 0 || body.readUInt16LE(6) !== 0) throw new ProtocolError('reserved header bytes are not zero');
  const keyLen = body.readUInt32LE(8);
  const valueLen = body.readUInt32LE(12);
  if (keyLen > MAX_KEY_BYTES) throw new ProtocolError(`key of ${keyLen} bytes exceeds ${MAX_KEY_BYTES}`);
  if (valueLen > MAX_VALUE_BYTES) throw new ProtocolError(`value of ${valueLen} bytes exceeds ${MAX_VALUE_BYTES}`);
  if (REQUEST_HEADER + keyLen + valueLen !== body.length) throw new ProtocolError('request lengths do not add up to the frame length');
  if (op !== WireOp.Put && op !== WireOp.Scan && valueLen !== 0) throw new ProtocolError('only put and scan carry a value');
  const key = Buffer.from(body.subarray(REQUEST_HEADER, REQUEST_HEADER + keyLen));
  const value = Buffer.from(body.subarray(REQUEST_HEADER + keyLen));
  return { id, op: op as WireOp, key, value };
}

/** Decodes one response frame body (without its length field). Throws ProtocolError. */
export function decodeResponse(body: Buffer): WireResponse {
  if (body.length < RESPONSE_HEADER) throw new ProtocolError(`response frame of ${body.length} bytes is shorter than its header`);
  const id = body.readUInt32LE(0);
  const status = body.readUInt8(4);
  if (!KNOWN_STATUSES.has(status)) throw new ProtocolError(`unknown status ${status}`);
  const valueLen = body.readUInt32LE(8);
  if (RESPONSE_HEADER + valueLen !== body.length) throw new ProtocolError('response lengths do not add up to the frame length');
  return { id, status: status as WireStatus, value: Buffer.from(body.subarray(RESPONSE_HEADER)) };
}

/**
 * Reassembles frames from a byte stream: socket chunks may split or merge frames. `push` returns
 * the complete frame bodies so far; a length field over MAX_FRAME_BYTES throws ProtocolError
 * (the stream cannot be resynchronised after that, so the caller drops the connection).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const len = head.readUInt32LE(0);
      if (len > MAX_FRAME_BYTES) throw new ProtocolError(`frame of ${len} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (this.buffered < 4 + len) break;
      const whole = this.take(4 + len);
      frames.push(whole.subarray(4));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const merged = Buffer.concat(this.chunks);
    this.chunks = [merged];
    return merged;
  }

  private take(n: number): Buffer {
    const merged = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = merged.length > n ? [merged.subarray(n)] : [];
    this.buffered -= n;
    return merged.subarray(0, n);
  }
}
