/** The claim's obligations outside the polynomials: ranges, ending, fault by re-execution, a segment's boundary. */
import type { Program } from '../isa/program.js';
import { NativeMachine } from '../runtime/native/interpreter.js';
import { Reg } from '../runtime/state.js';
import type { Claim, SegmentPosition } from '../trace/format/metadata.js';

/**
 * Consistency of the claim's ending with the program, by re-execution: a claimed fault must
 * be what the reference interpreter raises from the claimed final state; a run that neither
 * halted nor faulted must have used all of max_steps. Returns failure messages.
 */
/** The obligation statement.ranges on a boundary state (the final one, or a segment's initial one): it is a machine state. */
export function claimRangeFailures(
  claim: Claim,
  memorySize: number,
  which: 'initial' | 'final' = 'final',
): Array<{ constraint: string; message: string; expected: string; actual: string }> {
  const failures: Array<{ constraint: string; message: string; expected: string; actual: string }> =
    [];
  const within = (name: string, value: number, low: number, high: number) => {
    if (value < low || value > high)
      failures.push({
        constraint: 'statement.ranges',
        message: `the claimed ${which} ${name} ${value} is outside ${low}..${high}: no machine state has it`,
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
  segment?: SegmentPosition,
): Array<{ constraint: string; message: string; expected: string; actual: string }> {
  const failures: Array<{ constraint: string; message: string; expected: string; actual: string }> =
    [];
  const first = segment?.initial.steps ?? 0;
  if (claim.steps - first !== rows)
    failures.push({
      constraint: 'witness.rows',
      message:
        segment === undefined
          ? `the claim says ${claim.steps} steps, the trace has ${rows} rows`
          : `the segment runs from step ${first} to ${claim.steps}, the trace has ${rows} rows`,
      expected: String(rows),
      actual: String(claim.steps - first),
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
  } else if (segment !== undefined) {
    if (!claim.halted && claim.steps !== maxSteps && claim.steps - first !== segment.rows)
      failures.push({
        constraint: 'claim.ending',
        message: `segment ${segment.index} neither halted nor faulted, so it must have ${segment.rows} steps or end at max_steps ${maxSteps}, but it has ${claim.steps - first} steps, to step ${claim.steps}`,
        expected: `${segment.rows} steps or final step ${maxSteps}`,
        actual: String(claim.steps - first),
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

/** The obligation segment.boundary: a segment k of S rows starts at step k·S, running, and has 1..S steps. */
export function segmentBoundaryFailures(
  segment: SegmentPosition,
  claim: Claim,
): Array<{ constraint: string; message: string; expected: string; actual: string }> {
  const failures: Array<{ constraint: string; message: string; expected: string; actual: string }> =
    [];
  const { index, rows, initial } = segment;
  const fail = (message: string, expected: string, actual: string) =>
    failures.push({ constraint: 'segment.boundary', message, expected, actual });
  if (initial.steps !== index * rows)
    fail(
      `segment ${index} of ${rows} rows must start at step ${index * rows}, it starts at ${initial.steps}`,
      String(index * rows),
      String(initial.steps),
    );
  if (initial.halted || initial.fault !== null)
    fail(`segment ${index} starts in a stopped machine`, 'running', 'halted or faulted');
  const steps = claim.steps - initial.steps;
  if (steps < 1 || steps > rows)
    fail(
      `segment ${index} has ${steps} steps, it must have 1..${rows}`,
      `1..${rows}`,
      String(steps),
    );
  return failures;
}
