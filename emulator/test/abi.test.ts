// The ABI is defined once, in guest-c/include/hermitkv/abi.h. This test fails when the host's
// table (emulator/src/abi.ts) disagrees with it in any number, or when either side has a
// constant the other lacks; the header's own _Static_asserts tie its offsets to the C structs.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ABI } from '../src/abi.js';

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

  it('compiles: the header’s static asserts hold for the real C structs', () => {
    const cc = process.env.HERMITKV_GUEST_CC ?? 'i686-linux-gnu-gcc';
    execFileSync(cc, ['-m32', '-ffreestanding', '-nostdinc', '-Iguest-c/include', '-fsyntax-only', '-x', 'c', HEADER], {
      stdio: 'pipe',
    });
  });
});
