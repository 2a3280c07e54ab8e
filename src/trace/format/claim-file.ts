/** The claim file (msgpack, schemas/claim-v2.json) written by export --claim. */
import type { TraceMetadata } from './metadata.js';

export const CLAIM_SCHEMA_VERSION = 'tvm-trace/claim/v2';

/** The claim as a standalone document (msgpack with --claim), layout in schemas/claim-v2.json. */
export function claimDocument(meta: TraceMetadata): Record<string, unknown> {
  const c = meta.claim;
  return {
    schema: CLAIM_SCHEMA_VERSION,
    trace_schema: meta.schema,
    air: meta.air,
    weights_sha256: meta.weightsSha256,
    memory_size: meta.memorySize,
    initial_memory: [...meta.initialMemory],
    max_steps: meta.maxSteps,
    steps: c.steps,
    pc: c.pc,
    acc: c.acc,
    sp: c.sp,
    zero_flag: c.zero,
    carry_flag: c.carry,
    halted: c.halted,
    memory: [...c.memory],
    fault:
      c.fault === null
        ? null
        : { kind: c.fault.kind, step: c.fault.step, pc: c.fault.pc, message: c.fault.message },
  };
}
