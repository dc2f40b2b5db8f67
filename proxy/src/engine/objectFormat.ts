/**
 * The body of one object-engine object (one S3 object per key). The object's name is a hash of
 * the key, so the body carries the key itself: a reader checks it is the key it asked for.
 *
 *   offset  size  field
 *   0       4     magic "HKVO"
 *   4       1     version (1)
 *   5       1     flags (0)
 *   6       2     reserved (0)
 *   8       4     key length, u32 LE
 *   12      4     value length, u32 LE
 *   16      4     CRC-32 (ISO-HDLC, as zlib) of bytes 0..16, then the key, then the value
 *   20      k     key bytes
 *   20+k    v     value bytes
 *
 * The body is exactly 20 + k + v bytes. As in LevelDB's formats, the reader verifies everything
 * and reports corruption; it never guesses.
 */
import { crc32 } from 'node:zlib';

export const OBJECT_MAGIC = Buffer.from('HKVO', 'latin1');
export const OBJECT_VERSION = 1;
export const OBJECT_HEADER_BYTES = 20;

export class CorruptObjectError extends Error {
  override name = 'CorruptObjectError';
}

export function encodeObject(key: Buffer, value: Buffer): Buffer {
  const body = Buffer.alloc(OBJECT_HEADER_BYTES + key.length + value.length);
  OBJECT_MAGIC.copy(body, 0);
  body.writeUInt8(OBJECT_VERSION, 4);
  body.writeUInt32LE(key.length, 8);
  body.writeUInt32LE(value.length, 12);
  key.copy(body, OBJECT_HEADER_BYTES);
  value.copy(body, OBJECT_HEADER_BYTES + key.length);
  body.writeUInt32LE(checksum(body), 16);
  return body;
}

/** The key and value stored in body; throws CorruptObjectError when any check fails. */
export function decodeObject(body: Buffer): { key: Buffer; value: Buffer } {
  if (body.length < OBJECT_HEADER_BYTES) throw new CorruptObjectError(`object of ${body.length} bytes is shorter than its header`);
  if (!body.subarray(0, 4).equals(OBJECT_MAGIC)) throw new CorruptObjectError('bad magic');
  const version = body.readUInt8(4);
  if (version !== OBJECT_VERSION) throw new CorruptObjectError(`unknown version ${version}`);
  if (body.readUInt8(5) !== 0 || body.readUInt16LE(6) !== 0) throw new CorruptObjectError('reserved header bytes are not zero');
  const keyLen = body.readUInt32LE(8);
  const valueLen = body.readUInt32LE(12);
  if (OBJECT_HEADER_BYTES + keyLen + valueLen !== body.length) throw new CorruptObjectError('lengths do not match the object size');
  if (body.readUInt32LE(16) !== checksum(body)) throw new CorruptObjectError('checksum mismatch');
  const key = body.subarray(OBJECT_HEADER_BYTES, OBJECT_HEADER_BYTES + keyLen);
  const value = body.subarray(OBJECT_HEADER_BYTES + keyLen);
  return { key, value };
}

/** CRC-32 of the header's first 16 bytes and the payload (the CRC field itself is skipped). */
function checksum(body: Buffer): number {
  return crc32(body.subarray(OBJECT_HEADER_BYTES), crc32(body.subarray(0, 16)));
}
