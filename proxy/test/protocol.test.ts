/** The wire format: round trips, stream reassembly, and strict rejection of bad frames. */
import { describe, expect, test } from '@jest/globals';
import {
  FrameReader,
  MAX_FRAME_BYTES,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  ProtocolError,
  WireOp,
  WireStatus,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../src/ipc/protocol.js';

const allBytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

function body(frame: Buffer): Buffer {
  expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
  return frame.subarray(4);
}

describe('protocol', () => {
  test('requests and responses round-trip, binary bytes included', () => {
    const req = { id: 0xfffffffe, op: WireOp.Put, key: allBytes(MAX_KEY_BYTES), value: allBytes(MAX_VALUE_BYTES) };
    expect(decodeRequest(body(encodeRequest(req)))).toEqual(req);
    const get = { id: 7, op: WireOp.Get, key: Buffer.alloc(0), value: Buffer.alloc(0) };
    expect(decodeRequest(body(encodeRequest(get)))).toEqual(get);
    const res = { id: 9, status: WireStatus.NotFound, value: allBytes(300) };
    expect(decodeResponse(body(encodeResponse(res)))).toEqual(res);
  });

  test('bad request frames are rejected', () => {
    const good = body(encodeRequest({ id: 1, op: WireOp.Put, key: Buffer.from('k'), value: Buffer.from('v') }));
    const mutate = (f: (b: Buffer) => void): Buffer => {
      const copy = Buffer.from(good);
      f(copy);
      return copy;
    };
    expect(() => decodeRequest(good.subarray(0, 10))).toThrow(ProtocolError);
    expect(() => decodeRequest(mutate((b) => b.writeUInt8(99, 4)))).toThrow(/unknown op/);
    expect(() => decodeRequest(mutate((b) => b.writeUInt8(1, 5)))).toThrow(/reserved/);
    expect(() => decodeRequest(mutate((b) => b.writeUInt32LE(MAX_KEY_BYTES + 1, 8)))).toThrow(/key/);
    expect(() => decodeRequest(mutate((b) => b.writeUInt32LE(MAX_VALUE_BYTES + 1, 12)))).toThrow(/value/);
    expect(() => decodeRequest(mutate((b) => b.writeUInt32LE(2, 12)))).toThrow(/add up/);
    expect(() => decodeRequest(Buffer.concat([good, Buffer.alloc(1)]))).toThrow(/add up/);
    const getWithValue = body(encodeRequest({ id: 1, op: WireOp.Get, key: Buffer.from('k'), value: Buffer.from('v') }));
    expect(() => decodeRequest(getWithValue)).toThrow(/only put/);
  });

  test('FrameReader reassembles split and merged frames', () => {
    const frames = [1, 2, 3].map((id) => encodeRequest({ id, op: WireOp.Put, key: Buffer.from(`k${id}`), value: allBytes(100 * id) }));
    const stream = Buffer.concat(frames);
    const reader = new FrameReader();
    const got: number[] = [];
    for (let i = 0; i < stream.length; i += 7) {
      for (const f of reader.push(stream.subarray(i, i + 7))) got.push(decodeRequest(f).id);
    }
    expect(got).toEqual([1, 2, 3]);
    expect(new FrameReader().push(stream).map((f) => decodeRequest(f).id)).toEqual([1, 2, 3]);
  });

  test('FrameReader refuses an oversize length field at once', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(MAX_FRAME_BYTES + 1, 0);
    expect(() => new FrameReader().push(head)).toThrow(ProtocolError);
  });
});
