/**
 * AccessDigest: the export compares each batch's memory accesses between its two runs by
 * digest, so equal sequences must digest alike and any change of one access, or of their
 * order, must not.
 */
import { describe, expect, it } from 'vitest';
import { AccessDigest, AccessKind, createAccessTap, NO_ACCESS } from '../../src/runtime/access.js';
import { Random } from '../support/random-programs.js';

type Access = [addr: number, value: number, kind: number];

const digestOf = (accesses: readonly Access[]) => {
  const digest = new AccessDigest();
  for (const [addr, value, kind] of accesses) digest.add(addr, value, kind);
  return digest.value;
};

function randomAccesses(random: Random, count: number): Access[] {
  return Array.from({ length: count }, (): Access => {
    const kind = random.pick([AccessKind.NONE, AccessKind.READ, AccessKind.WRITE]);
    return kind === AccessKind.NONE
      ? [NO_ACCESS, 0, kind]
      : [random.int(0, 255), random.int(-32768, 32767), kind];
  });
}

describe('AccessDigest', () => {
  it('is a function of the sequence: the same accesses digest alike, from a tap or one by one', () => {
    const accesses = randomAccesses(new Random(7), 500);
    const tap = createAccessTap(500);
    for (const [addr, value, kind] of accesses) {
      tap.addr[tap.row] = addr;
      tap.value[tap.row] = value;
      tap.kind[tap.row++] = kind;
    }
    const fromTap = new AccessDigest();
    fromTap.addTap(tap);
    expect(fromTap.value).toBe(digestOf(accesses));
    expect(digestOf([])).toBe(new AccessDigest().value);
    expect(digestOf(accesses)).toMatch(/^[0-9a-f]{1,8}:[0-9a-f]{1,8}$/);
  });

  it('changes with any one access changed, and with two accesses swapped', () => {
    const random = new Random(11);
    const base = randomAccesses(random, 200);
    const original = digestOf(base);
    const seen = new Set([original]);
    for (let i = 0; i < base.length; i++) {
      const [addr, value, kind] = base[i];
      const variants: Access[] = [
        [addr ^ 1, value, kind],
        [addr, value + 1 > 32767 ? value - 1 : value + 1, kind],
        [addr, value, kind === AccessKind.READ ? AccessKind.WRITE : AccessKind.READ],
      ];
      for (const variant of variants) {
        const changed = base.slice();
        changed[i] = variant;
        const digest = digestOf(changed);
        expect(seen.has(digest), `access ${i} changed to ${variant}`).toBe(false);
        seen.add(digest);
      }
      if (i + 1 < base.length && base[i].join() !== base[i + 1].join()) {
        const swapped = base.slice();
        [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        expect(digestOf(swapped)).not.toBe(original);
      }
    }
    // A value is compared as the trace stores it: 16 bits.
    expect(digestOf([[3, -1, AccessKind.READ]])).toBe(digestOf([[3, 0xffff, AccessKind.READ]]));
  });
});
