/** Integer domains of the machine (SPEC §3). */

export const I16_MIN = -32768;
export const I16_MAX = 32767;
export const U8_LIMIT = 256;
export const MAX_MEMORY = 255;
export const DEFAULT_MEMORY = 16;
