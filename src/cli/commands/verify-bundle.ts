/**
 * `tvm-trace verify run.proof --program P [--claim C]` for a bundle: every segment proof
 * verified against the circuit of the statement its header states (several at once), then
 * the chain over those verified states (check/chain.ts) — never over the bundle's manifest,
 * which must only agree with them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainFailures, stateDifference, type ChainSegment } from '../../check/chain.js';
import { compileProgram } from '../../compiler/compile.js';
import type { Program } from '../../isa/program.js';
import { decodeBundle } from '../../prove/bundle.js';
import {
  headerState,
  proofHeader,
  statementFromClaim,
  statementFromProof,
  StatementError,
  StatementMismatch,
  type ProofHeaderDocument,
} from '../../prove/statement.js';
import type { Claim } from '../../trace/format/metadata.js';
import { stateRecord } from '../state-format.js';
import { CliError, ExitCode } from '../errors.js';
import { readInput } from '../io.js';
import type { Output } from '../options.js';
import { runProverOnCircuit } from '../prover.js';

/** Largest bundle read: thousands of segment proofs of ~0.5 MB. */
const MAX_BUNDLE_BYTES = 2 ** 32;

const rejected = (message: string) =>
  new CliError('rejected', `rejected: ${message}`, ExitCode.CONSTRAINT_FAILED);

export async function verifyBundleCommand(
  args: { proof: string; claim?: string; json: boolean; jobs?: number },
  program: Program,
  out: Output,
): Promise<number> {
  let bundle;
  let headers: ProofHeaderDocument[];
  try {
    bundle = decodeBundle(readInput(args.proof, MAX_BUNDLE_BYTES), args.proof);
    headers = bundle.proofs.map((proof, i) => proofHeader(proof, `${args.proof}: segment ${i}`));
  } catch (error) {
    if (error instanceof StatementError)
      throw new CliError('bad_input', error.message, ExitCode.BAD_INPUT);
    throw error;
  }
  if (bundle.manifest.segments.length !== bundle.proofs.length)
    throw rejected(
      `run.segments: the bundle's manifest lists ${bundle.manifest.segments.length} segments, it holds ${bundle.proofs.length} proofs`,
    );
  let claim: Claim | undefined;
  let claimMaxSteps: number | undefined;
  if (args.claim !== undefined) {
    try {
      const statement = statementFromClaim(
        program,
        readInput(args.claim),
        headers[0]?.ff_dim ?? 1,
        args.claim,
      );
      claim = statement.claim;
      claimMaxSteps = statement.maxSteps;
    } catch (error) {
      if (error instanceof StatementMismatch) throw rejected(error.message);
      if (error instanceof StatementError)
        throw new CliError('bad_input', error.message, ExitCode.BAD_INPUT);
      throw error;
    }
  }
  // Each proof against its own header's statement: the proof verifies only if the header is true.
  const dir = mkdtempSync(join(tmpdir(), 'tvm-bundle-'));
  const started = performance.now();
  try {
    const statements = headers.map((header, i) => {
      if (header.segment === undefined)
        throw rejected(`run.segments: segment ${i}'s proof is of a whole run, not a segment`);
      try {
        return statementFromProof(program, header);
      } catch (error) {
        if (error instanceof StatementMismatch) throw rejected(`segment ${i}: ${error.message}`);
        if (error instanceof StatementError)
          throw new CliError('bad_input', `segment ${i}: ${error.message}`, ExitCode.BAD_INPUT);
        throw error;
      }
    });
    const jobs = Math.max(1, Math.min(args.jobs ?? availableParallelism(), headers.length));
    let next = 0;
    let failure: CliError | null = null;
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        while (failure === null && next < headers.length) {
          const i = next++;
          const path = join(dir, `segment-${i}.proof`);
          writeFileSync(path, bundle.proofs[i]);
          const errors: string[] = [];
          const code = await runProverOnCircuit(
            statements[i],
            (circuit) => ['verify', path, '--circuit', circuit],
            { stdout: () => {}, stderr: (line) => errors.push(line) },
          );
          if (code !== ExitCode.OK) {
            const line = (errors.pop() ?? `the verifier exited ${code}`).replace(
              /^tvm-prove: (rejected: )?/,
              '',
            );
            failure ??= new CliError(
              'rejected',
              `rejected: segment ${i}: ${line}`,
              code === ExitCode.CONSTRAINT_FAILED ? code : code === 130 ? 130 : ExitCode.BAD_INPUT,
            );
          }
        }
      }),
    );
    if (failure !== null) throw failure as CliError;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The chain, over the verified headers' states.
  const chain: ChainSegment[] = headers.map((h) => ({
    index: h.segment!.index,
    segmentRows: h.segment!.rows,
    weightsSha256: h.weights_sha256,
    ffDim: h.ff_dim,
    maxSteps: h.max_steps,
    parameters: JSON.stringify(h.params),
    initial: headerState(h.initial),
    final: headerState(h.final),
  }));
  const failures = chainFailures(program, compileProgram(program).digest, chain, claim);
  if (claimMaxSteps !== undefined && claimMaxSteps !== headers[0].max_steps)
    failures.unshift({
      constraint: 'run.segments',
      segment: null,
      message: `the proofs are of a run of max_steps ${headers[0].max_steps}, the claim's is ${claimMaxSteps}`,
    });
  // The bundle's manifest is for readers; it must say what the proofs prove.
  bundle.manifest.segments.forEach((entry, i) => {
    for (const [which, proved, listed] of [
      ['initial', chain[i].initial, entry.initial],
      ['final', chain[i].final, entry.final],
    ] as const) {
      const d = stateDifference(proved, { ...listed, fault: null });
      if (d !== null)
        failures.push({
          constraint: 'run.segments',
          segment: i,
          message: `the bundle's manifest says segment ${i}'s ${which} ${d.field} is ${d.right}, its proof proves ${d.left}`,
        });
    }
  });
  if (failures.length > 0) {
    const f = failures[0];
    throw rejected(
      `${f.constraint}: ${f.message}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`,
    );
  }
  const end = chain[chain.length - 1].final;
  const seconds = (performance.now() - started) / 1000;
  if (args.json)
    out.stdout(
      JSON.stringify({
        verified: true,
        segments: chain.length,
        segment_rows: chain[0].segmentRows,
        max_steps: headers[0].max_steps,
        final: stateRecord(end),
        seconds: Math.round(seconds * 1000) / 1000,
      }),
    );
  else
    out.stdout(
      `verified: ${args.proof}: ${chain.length} segments of ${chain[0].segmentRows} rows chain from the program's initial state to steps ${end.steps}, ${end.halted ? 'halted' : `max_steps ${headers[0].max_steps}`}, acc ${end.acc}${args.claim === undefined ? '' : ' (the claim)'} (${seconds.toFixed(2)} s)`,
    );
  return ExitCode.OK;
}
