/** The flag rules of the ISA's controls as functions. */
import { CarryRuleCode, ZeroRuleCode } from './opcodes.js';

/**
 * The flag rules of SPEC §4's controls, as functions of the rule codes in the ISA table.
 * `raw` is RAW_ACC (the unwrapped result), `wrapped` the new acc.
 */
export function nextZero(zeroRule: number, wrapped: number, zero: number): number {
  return zeroRule === ZeroRuleCode.result ? (wrapped === 0 ? 1 : 0) : zero;
}

export function nextCarry(carryRule: number, raw: number, wrapped: number, carry: number): number {
  switch (carryRule) {
    case CarryRuleCode.clear:
      return 0;
    case CarryRuleCode.overflow:
      return raw !== wrapped ? 1 : 0;
    case CarryRuleCode.signed_less:
      return raw < 0 ? 1 : 0;
    default:
      return carry;
  }
}
