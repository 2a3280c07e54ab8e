/** The schema documents written to schemas/ (trace-v2.json, air-v2.json), built from the column and AIR tables. */
import { COLUMNS, INPUT_VECTOR, LOG_GAP_BITS, MAX_TRACE_ROWS } from './columns.js';
import { airDocument, ARGUMENTS, CONSTRAINTS, SOUND_FIELDS } from './definition.js';

/** Names of the columns a variable reference touches (`x[...]` touches both input parts). */
function columnsOf(ref: string): string[] {
  const name = ref.replace(/^next\./, '').replace(/\[.*$/, '');
  return name === INPUT_VECTOR.name ? [...INPUT_VECTOR.parts] : [name];
}

/** For each column, the constraints and arguments that read it. */
export function readers(): Map<string, string[]> {
  const map = new Map<string, string[]>(COLUMNS.map((c) => [c.name, []]));
  const add = (column: string, reader: string) => {
    const list = map.get(column);
    if (list !== undefined && !list.includes(reader)) list.push(reader);
  };
  for (const constraint of CONSTRAINTS) {
    for (const term of constraint.terms)
      for (const v of term.vars) for (const column of columnsOf(v)) add(column, constraint.name);
    if (constraint.target)
      for (const column of columnsOf(constraint.target)) add(column, constraint.name);
  }
  for (const argument of ARGUMENTS) {
    for (const side of [argument.left, argument.right]) {
      if (side.rows === undefined) continue;
      const refs = [...side.rows.tuple, ...side.rows.multiplicity.flatMap((term) => term.vars)];
      for (const ref of refs) for (const column of columnsOf(ref)) add(column, argument.name);
    }
  }
  return map;
}

const ARROW_TYPES = { bool: 'Bool', int8: 'Int8', int16: 'Int16', int32: 'Int32' } as const;

/** schemas/trace-v2.json: the witness file's layout, column by column. */
export function traceDocument(): Record<string, unknown> {
  const readBy = readers();
  return {
    $comment:
      'Generated from src/air/columns.ts and src/air/definition.ts by `npm run schemas`; do not edit by hand.',
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'tvm-trace witness, trace schema v2',
    version: 'tvm-trace/trace/v2',
    changes_from_v1:
      "v2 (before the first release, so v1 files are no longer read): AIR v2 (schemas/air-v2.json) with its new columns active, last_step, log_prev and log_last (log_continue removed); select renamed selector; the claim's flags spelled zero_flag and carry_flag as everywhere else; tvm.fields lists only the fields the AIR is sound in (goldilocks).",
    format:
      'Apache Arrow IPC file format (with footer, magic ARROW1), one row per executed step (no padding rows: a prover appends them, as schemas/air-v2.json says), record batches of up to 65,536 rows (set with --batch-rows). Columns appear in the order below. No column is nullable and no cell holds a null; every value lies in the range documented for its column.',
    layout_choice:
      'Flat columns, one per quantity, with vectors as FixedSizeList<T>[width]. Every row has the same width (the widths depend only on ff_dim and the program length, both in the metadata). Each column uses the narrowest integer type that holds every value the AIR allows (bool for 0/1 columns, bit-packed by Arrow; int16 for machine words; int32 where products reach 2^30), which keeps rows small and makes a FixedSizeList child a contiguous row-major matrix a prover can read without copying. A prover lifts every value into its field as an integer (negatives as p - |x|).',
    dimensions: {
      ff_dim:
        'hidden units per row (metadata tvm.ff_dim; default: the widest instruction of the program)',
      instructions: 'program length (metadata tvm.instructions); width of the selector',
      max_rows: `at most 2^${LOG_GAP_BITS} = ${MAX_TRACE_ROWS} rows, so memory-log gaps fit their bits`,
    },
    columns: COLUMNS.map((c) => ({
      name: c.name,
      arrow_type:
        c.width === 1 ? ARROW_TYPES[c.type] : `FixedSizeList<${ARROW_TYPES[c.type]}>[${c.width}]`,
      group: c.group,
      meaning: c.meaning,
      range: c.range,
      read_by: readBy.get(c.name),
    })),
    metadata: {
      'tvm.schema': 'schema version: "tvm-trace/trace/v2"',
      'tvm.air': 'AIR version the trace satisfies: "tvm-trace/air/v2" (schemas/air-v2.json)',
      'tvm.program':
        'the program as canonical .tvm text (printProgram); the checker re-assembles and recompiles it',
      'tvm.memory_size': 'number of memory cells N (decimal)',
      'tvm.initial_memory': 'JSON array of the N initial cell values',
      'tvm.max_steps': 'the step budget of the run (decimal)',
      'tvm.ff_dim': 'hidden units per row (decimal)',
      'tvm.instructions': 'program length (decimal)',
      'tvm.weights_sha256':
        'SHA-256 (hex) of the canonical compiled weights (see schemas/compiled-program-v1.json)',
      'tvm.claim':
        "JSON claim of the run's end: {steps, pc, acc, sp, zero_flag, carry_flag, halted, memory, fault} with fault null or {kind, step, pc, message}; same fields as schemas/claim-v2.json",
      'tvm.fields': `JSON array of the prime fields in which the AIR is sound (${SOUND_FIELDS.join(', ')}; see sound_fields in schemas/air-v2.json) and every value of the trace has a unique signed representative (|v| < p/2)`,
      'tvm.max_abs_value':
        'max(2^15, largest |value| of the int32 columns) (decimal): a bound on every value of the trace (int16 and bool columns stay within 2^15); the checker recomputes it, and tvm.fields from it',
      'tvm.generator': 'the tool and version that wrote the file',
      'tvm.segment':
        "only in a segment of a longer run (export --segment-rows): JSON {index, rows, initial} — segment index k of rows S steps each (a power of two), starting in initial (a state in tvm.claim's form, its steps = k·S); tvm.claim is then the segment's final state and the rows are its steps only. Absent for a whole run",
      'tvm.metadata_sha256':
        'integrity digest: SHA-256 (hex) of the UTF-8 JSON array of all other [key, value] metadata pairs sorted by key; the checker recomputes it, so editing any entry (even the generator, a label or a max_steps the run did not reach) is detected',
    },
  };
}

export { airDocument };
