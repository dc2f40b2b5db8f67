/**
 * Serving one SCAN request: one batch of a range, read from the engine's scan and packed as
 * scanWire.ts describes. The request holds one batch buffer (at most the guest's capacity, at
 * most SCAN_BATCH_KEYS entries) and nothing else of the range: the engine's own scan batches are
 * capped just above the batch's key count, and the scan is abandoned as soon as the batch is full.
 */
import type { Engine } from '../engine/engine.js';
import { SCAN_BATCH_KEYS, ScanBatchWriter, type ScanParams } from './scanWire.js';

/** The engine cannot scan: the request is refused (Invalid), nothing is done. */
export class ScanUnsupportedError extends Error {
  override name = 'ScanUnsupportedError';
}

/** One batch of [start, params.end) (start excluded when params.after), as response bytes. */
export async function readScanBatch(engine: Engine, start: Buffer, params: ScanParams): Promise<Buffer> {
  if (engine.scan === undefined) throw new ScanUnsupportedError(`the ${engine.name} engine does not support range scans`);
  const batch = new ScanBatchWriter(params.capacity);
  let more = false;
  await engine.scan(
    start,
    params.end,
    (key, value) => {
      if (params.after && key.equals(start)) return true;
      if (batch.add(key, value)) return true;
      // Full: a key is left over, so the range goes on. Stopping here (not at the last key that
      // fit) makes `more` exact: a batch without it always ends the range.
      more = true;
      return false;
    },
    // The key after a full batch is read too (to know that more follow), plus the skipped start.
    { batchKeys: SCAN_BATCH_KEYS + 2 },
  );
  return batch.finish(more);
}

/** True when key (a latin1 map key, as the server's ordering uses) lies in [start, end). */
export function inScanRange(start: Buffer, end: Buffer | undefined): (key: string) => boolean {
  const from = start.toString('latin1');
  const to = end?.toString('latin1');
  // latin1 strings compare code unit by code unit: unsigned byte order.
  return (key) => key >= from && (to === undefined || key < to);
}
