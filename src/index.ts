/** The library entry point: the same layers the CLI is built on. */
export { OPCODES, opcodeByMnemonic, opcodeSpec } from './isa/opcodes.js';
export { assemble, AssemblyError } from './isa/assemble.js';
export { printProgram, formatInstruction } from './isa/print.js';
export type { Program, Instruction } from './isa/program.js';
export {
  compileProgram,
  type CompiledProgram,
  type CompiledInstruction,
} from './compiler/compile.js';
export { denseWeights, type DenseWeights } from './compiler/dense.js';
export { NativeMachine, runNative } from './runtime/native/interpreter.js';
export { FfnMachine, createTap, type FfnTap } from './runtime/ffn/engine.js';
export type { MachineSnapshot, Engine } from './runtime/state.js';
export type { Fault, FaultKind } from './runtime/fault.js';
export {
  exportTrace,
  exportTraceInterruptible,
  type ExportOptions,
  type ExportResult,
} from './trace/write/export.js';
export {
  openTrace,
  readCell,
  type OpenTrace,
  type OpenOptions,
  type TraceBatch,
} from './trace/read/reader.js';
export { columnSlots, type ColumnSlot, type TraceDims } from './trace/format/layout.js';
export { TraceFormatError } from './trace/format/errors.js';
export type { TraceMetadata, Claim } from './trace/format/metadata.js';
export { checkTrace, type CheckOptions, type CheckReport, type Failure } from './check/check.js';
