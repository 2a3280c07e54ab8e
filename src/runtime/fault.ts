/** Why a run stopped before halting or reaching max-steps. */
export type FaultKind =
  | 'stack_overflow'
  | 'stack_underflow'
  | 'pc_out_of_bounds'
  | 'memory_out_of_bounds'
  | 'bad_return_address';

export const FAULT_KINDS: readonly FaultKind[] = [
  'stack_overflow',
  'stack_underflow',
  'pc_out_of_bounds',
  'memory_out_of_bounds',
  'bad_return_address',
];

export interface Fault {
  readonly kind: FaultKind;
  /** Index of the step that could not execute (= steps completed before it). */
  readonly step: number;
  readonly pc: number;
  readonly message: string;
}

export function makeFault(kind: FaultKind, step: number, pc: number, detail: string): Fault {
  return {
    kind,
    step,
    pc,
    message: `${kind.replace(/_/g, ' ')} at step ${step}, pc ${pc}: ${detail}`,
  };
}
