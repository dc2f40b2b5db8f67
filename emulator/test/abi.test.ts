// The ABI is defined once, in guest-c/include/hermitkv/abi.h. This test fails when the host's
// table (emulator/src/abi.ts) disagrees with it in any number, or when either side has a
// constant the other lacks; the header's own _Static_asserts tie its offsets to the C structs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ABI } from '../src/abi.js';
import * as wire from '../../proxy/src/ipc/scanWire.js';

const HEADER = 'guest-c/include/hermitkv/abi.h';

function parseHeader(text: string): Map<string, number> {
  const defines = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^#define\s+(HKV_[A-Z0-9_]+)\s+(0x[0-9A-Fa-f]+|\d+)\b/.exec(line);
    if (m) defines.set(m[1]!, Number(m[2]));
  }
  return defines;
}

describe('hypercall ABI', () => {
  const header = parseHeader(readFileSync(HEADER, 'utf8'));

  it('finds the constants in the C header', () => {
    expect(header.size).toBeGreaterThan(40);
  });

  it('has every C constant on the TypeScript side with the same value', () => {
    const host = new Map<string, number>(Object.entries(ABI));
    const mismatches = [...header].filter(([name, value]) => host.get(name) !== value);
    expect(mismatches).toEqual([]);
  });

  it('has no TypeScript constant that the C header lacks', () => {
    expect(Object.keys(ABI).filter((name) => !header.has(name))).toEqual([]);
  });

  it('keeps the descriptor fields inside the descriptor, 4-byte aligned and distinct', () => {
    const offsets = Object.entries(ABI)
      .filter(([name]) => name.startsWith('HKV_DESC_OFF_'))
      .map(([, v]) => v);
    expect(new Set(offsets).size).toBe(offsets.length);
    for (const off of offsets) {
      expect(off % 4).toBe(0);
      expect(off + 4).toBeLessThanOrEqual(ABI.HKV_DESC_SIZE);
    }
  });

  it('describes SCAN batches exactly as the proxy packs them (the hypervisor copies them verbatim)', () => {
    expect({
      flagEnd: wire.SCAN_F_END,
      flagAfter: wire.SCAN_F_AFTER,
      more: wire.SCAN_MORE,
      minBatch: wire.SCAN_MIN_BATCH,
      maxBatch: wire.SCAN_MAX_BATCH,
      header: wire.SCAN_BATCH_HEADER,
      entryHeader: wire.SCAN_ENTRY_HEADER,
    }).toEqual({
      flagEnd: ABI.HKV_SCAN_F_END,
      flagAfter: ABI.HKV_SCAN_F_AFTER,
      more: ABI.HKV_SCAN_MORE,
      minBatch: ABI.HKV_SCAN_MIN_BATCH,
      maxBatch: ABI.HKV_SCAN_MAX_BATCH,
      header: ABI.HKV_SCAN_BATCH_SIZE,
      entryHeader: ABI.HKV_SCAN_ENTRY_SIZE,
    });
    // The field offsets the guest reads, on a batch the proxy wrote.
    const w = new wire.ScanBatchWriter(wire.SCAN_MIN_BATCH);
    w.add(Buffer.from('key'), Buffer.from('value'));
    const batch = w.finish(true);
    expect(batch.readUInt32LE(ABI.HKV_SCAN_BATCH_OFF_COUNT)).toBe(1);
    expect(batch.readUInt32LE(ABI.HKV_SCAN_BATCH_OFF_FLAGS)).toBe(ABI.HKV_SCAN_MORE);
    expect(batch.readUInt32LE(ABI.HKV_SCAN_BATCH_SIZE + ABI.HKV_SCAN_ENTRY_OFF_KEY_LEN)).toBe(3);
    expect(batch.readUInt32LE(ABI.HKV_SCAN_BATCH_SIZE + ABI.HKV_SCAN_ENTRY_OFF_VALUE_LEN)).toBe(5);
    expect(batch.length).toBe(ABI.HKV_SCAN_BATCH_SIZE + ABI.HKV_SCAN_ENTRY_SIZE + 8); // 3 + 5, padded to 4
  });

  it('compiles: the header’s static asserts hold for the real C structs', () => {
    const cc = process.env.HERMITKV_GUEST_CC ?? 'i686-linux-gnu-gcc';
    execFileSync(cc, ['-m32', '-ffreestanding', '-nostdinc', '-Iguest-c/include', '-fsyntax-only', '-x', 'c', HEADER], {
      stdio: 'pipe',
    });
  });
});
