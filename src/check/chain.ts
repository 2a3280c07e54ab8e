/**
 * The obligations on a segmented run as a whole (schemas/air-v2.json, applies_to "run"): the
 * segments are one run's, in order, each starting where the one before ended, from the
 * program's initial state to the claim. One definition for `check run/` (states from the
 * segment files) and `verify` of a bundle (states from the verified proofs).
 */
import type { Program } from '../isa/program.js';
import type { Claim } from '../trace/format/metadata.js';

/** One segment as the chain sees it: its position, its run's parameters and its boundary states. */
export interface ChainSegment {
  readonly index: number;
  readonly segmentRows: number;
  readonly weightsSha256: string;
  readonly ffDim: number;
  readonly maxSteps: number;
  /** The proof parameters (verify only), as one comparable string. */
  readonly parameters?: string;
  readonly initial: Claim;
  readonly final: Claim;
}

export interface ChainFailure {
  readonly constraint: 'run.segments' | 'run.start' | 'run.link' | 'run.ending' | 'run.claim';
  /** The segment the failure is about (null: the run). */
  readonly segment: number | null;
  readonly message: string;
}

/** The first field where two states differ (`step`, `pc`, …, `memory[a]`, `fault`), or null. */
export function stateDifference(
  a: Claim,
  b: Claim,
): { field: string; left: string; right: string } | null {
  const scalar: Array<[string, unknown, unknown]> = [
    ['step', a.steps, b.steps],
    ['pc', a.pc, b.pc],
    ['acc', a.acc, b.acc],
    ['sp', a.sp, b.sp],
    ['zero_flag', a.zero, b.zero],
    ['carry_flag', a.carry, b.carry],
    ['halted', a.halted, b.halted],
  ];
  for (const [field, x, y] of scalar)
    if (x !== y) return { field, left: String(x), right: String(y) };
  if (a.memory.length !== b.memory.length)
    return {
      field: 'memory size',
      left: String(a.memory.length),
      right: String(b.memory.length),
    };
  for (let i = 0; i < a.memory.length; i++)
    if (a.memory[i] !== b.memory[i])
      return { field: `memory[${i}]`, left: String(a.memory[i]), right: String(b.memory[i]) };
  const fa = JSON.stringify(a.fault);
  const fb = JSON.stringify(b.fault);
  if (fa !== fb) return { field: 'fault', left: fa, right: fb };
  return null;
}

/** The program's initial state, as a claim of 0 steps. */
export function initialClaim(program: Program): Claim {
  return {
    steps: 0,
    pc: 0,
    acc: 0,
    sp: program.memorySize,
    zero: true,
    carry: false,
    halted: false,
    memory: [...program.initialMemory],
    fault: null,
  };
}

/**
 * Every failure of the run obligations over `segments` (in the order given), for `program`
 * (recompiled by the caller: `weightsSha256` is its digest). `claim`, when given, is the final
 * state the run must end in.
 */
export function chainFailures(
  program: Program,
  weightsSha256: string,
  segments: readonly ChainSegment[],
  claim?: Claim,
): ChainFailure[] {
  const failures: ChainFailure[] = [];
  const fail = (constraint: ChainFailure['constraint'], segment: number | null, message: string) =>
    failures.push({ constraint, segment, message });
  if (segments.length === 0) {
    fail('run.segments', null, 'the run has no segments');
    return failures;
  }
  const first = segments[0];
  segments.forEach((s, i) => {
    if (s.index !== i)
      fail('run.segments', i, `segment ${i} is segment ${s.index} of its run (out of order)`);
    if (s.weightsSha256 !== weightsSha256)
      fail(
        'run.segments',
        i,
        `segment ${i} is of another program (weights ${s.weightsSha256.slice(0, 12)}…, the program's ${weightsSha256.slice(0, 12)}…)`,
      );
    const same: Array<[string, string | number | undefined, string | number | undefined]> = [
      ['ff_dim', s.ffDim, first.ffDim],
      ['max_steps', s.maxSteps, first.maxSteps],
      ['segment rows', s.segmentRows, first.segmentRows],
      ['proof parameters', s.parameters, first.parameters],
    ];
    for (const [what, mine, theirs] of same)
      if (mine !== theirs)
        fail('run.segments', i, `segment ${i} has ${what} ${mine}, segment 0 ${theirs}`);
  });
  const start = stateDifference(first.initial, initialClaim(program));
  if (start !== null)
    fail(
      'run.start',
      0,
      `segment 0 does not start in the program's initial state: its ${start.field} is ${start.left}, the program's ${start.right}`,
    );
  for (let i = 1; i < segments.length; i++) {
    const before = segments[i - 1].final;
    if (before.halted || before.fault !== null)
      fail(
        'run.link',
        i,
        `segment ${i} follows segment ${i - 1}, which ${before.halted ? 'halted' : 'faulted'}`,
      );
    const link = stateDifference(segments[i].initial, { ...before, fault: null });
    if (link !== null)
      fail(
        'run.link',
        i,
        `segment ${i} does not start where segment ${i - 1} ended: its initial ${link.field} is ${link.left}, segment ${i - 1}'s final ${link.right}`,
      );
  }
  const last = segments[segments.length - 1];
  const end = last.final;
  if (end.steps > last.maxSteps)
    fail(
      'run.ending',
      null,
      `the run has ${end.steps} steps, more than max_steps ${last.maxSteps}`,
    );
  else if (!end.halted && end.fault === null && end.steps !== last.maxSteps)
    fail(
      'run.ending',
      null,
      `the last segment (${segments.length - 1}) neither halted nor faulted and ends at step ${end.steps}, before max_steps ${last.maxSteps}: segments are missing`,
    );
  if (claim !== undefined) {
    const differ = stateDifference(end, claim);
    if (differ !== null)
      fail(
        'run.claim',
        null,
        `the run ends with ${differ.field} ${differ.left}, the claim says ${differ.right}`,
      );
  }
  return failures;
}
