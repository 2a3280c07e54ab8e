import type { Program } from '../isa/program.js';
import { NativeMachine } from '../runtime/native/interpreter.js';
import { Reg } from '../runtime/state.js';
import type { Claim } from '../trace/format/metadata.js';

/**
 * Consistency of the claim's ending with the program, by re-execution: a claimed fault must
 * be what the reference interpreter raises from the claimed final state; a run that neither
 * halted nor faulted must have used all of max_steps. Returns failure messages.
 */
/** The obligation statement.ranges on a whole run's final state: it is a machine state. */
export function claimRangeFailures(
  claim: Claim,
  memorySize: number,
): Array<{ constraint: string; message: string; expected: string; actual: string }> {
  const failures: Array<{ constraint: string; message: string; expected: string; actual: string }> =
    [];
  const within = (name: string, value: number, low: number, high: number) => {
    if (value < low || value > high)
      failures.push({
        constraint: 'statement.ranges',
        message: `the claimed final ${name} ${value} is outside ${low}..${high}: no machine state has it`,
        expected: `${low}..${high}`,
        actual: String(value),
      });
  };
  within('pc', claim.pc, 0, 255);
  within('acc', claim.acc, -32768, 32767);
  within('sp', claim.sp, 0, memorySize);
  claim.memory.forEach((v, a) => within(`memory[${a}]`, v, -32768, 32767));
  return failures;
}

export function claimEndingFailures(
  program: Program,
  claim: Claim,
  maxSteps: number,
  rows: number,
): Array<{ constraint: string; message: string; expected: string; actual: string }> {
  const failures: Array<{ constraint: string; message: string; expected: string; actual: string }> =
    [];
  if (claim.steps !== rows)
    failures.push({
      constraint: 'witness.rows',
      message: `the claim says ${claim.steps} steps, the trace has ${rows} rows`,
      expected: String(rows),
      actual: String(claim.steps),
    });
  if (claim.fault !== null) {
    if (claim.halted)
      failures.push({
        constraint: 'claim.fault',
        message: 'the claim is both halted and faulted',
        expected: 'halted or fault',
        actual: 'both',
      });
    const machine = new NativeMachine(program);
    machine.regs[Reg.PC] = claim.pc;
    machine.regs[Reg.ACC] = claim.acc;
    machine.regs[Reg.SP] = claim.sp;
    machine.regs[Reg.ZERO] = claim.zero ? 1 : 0;
    machine.regs[Reg.CARRY] = claim.carry ? 1 : 0;
    machine.memory.set(claim.memory);
    machine.steps = claim.steps;
    machine.advance(1);
    const fault = machine.fault;
    const expected = `${claim.fault.kind} at step ${claim.fault.step}, pc ${claim.fault.pc}`;
    const actual =
      fault === null ? 'the step executes' : `${fault.kind} at step ${fault.step}, pc ${fault.pc}`;
    if (
      fault === null ||
      fault.kind !== claim.fault.kind ||
      fault.step !== claim.fault.step ||
      fault.pc !== claim.fault.pc
    )
      failures.push({
        constraint: 'claim.fault',
        message: `the claimed fault does not happen from the claimed final state: claimed ${expected}, re-execution gives ${actual}`,
        expected,
        actual,
      });
    else if (fault.message !== claim.fault.message)
      failures.push({
        constraint: 'claim.fault',
        message: `the claimed fault's message differs from re-execution's '${fault.message}'`,
        expected: fault.message,
        actual: claim.fault.message,
      });
    // A run that has used all of max_steps stops there: it cannot fault as well.
    if (claim.steps >= maxSteps)
      failures.push({
        constraint: 'claim.fault',
        message: `a fault at step ${claim.steps} is past max_steps ${maxSteps}: the run stops at max_steps first`,
        expected: `steps < ${maxSteps}`,
        actual: String(claim.steps),
      });
  } else if (!claim.halted && claim.steps !== maxSteps) {
    failures.push({
      constraint: 'claim.ending',
      message: `the run neither halted nor faulted, so it must have used max_steps ${maxSteps}, but it has ${claim.steps} steps`,
      expected: String(maxSteps),
      actual: String(claim.steps),
    });
  }
  return failures;
}
