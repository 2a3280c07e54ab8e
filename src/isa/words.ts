/** Integer domains of the machine (SPEC §3). */

export const I16_MIN = -32768;
export const I16_MAX = 32767;
export const U8_LIMIT = 256;
export const MAX_MEMORY = 255;
export const DEFAULT_MEMORY = 16;

/** x reduced to two's-complement i16. Exact for any |x| < 2^53. */
export function wrapI16(x: number): number {
  return ((x % 65536) + 65536 + 32768) % 65536 - 32768;
}

/** True when x is not representable as an i16 (the carry of ADD/SUB/MUL). */
export function overflowsI16(x: number): boolean {
  return x < I16_MIN || x > I16_MAX;
}

/** Bit i (0..15) of x as a 16-bit two's-complement word. */
export function bitI16(x: number, i: number): number {
  return (x >>> i) & 1;
}
