/**
 * schemas/claim-v2.json against the claims `export --claim` writes. The validator below covers
 * exactly the JSON Schema keywords that schema uses (type, const, enum, pattern, minimum,
 * maximum, required, properties, additionalProperties: false, items, oneOf, $ref into $defs);
 * any other keyword in the schema fails the test, so the subset cannot silently drift.
 */
import { Unpackr } from 'msgpackr';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TRACE_ROWS } from '../../src/air/columns.js';
import { AIR_VERSION } from '../../src/air/definition.js';
import { main } from '../../src/cli/main.js';
import { FAULT_KINDS } from '../../src/runtime/fault.js';
import { CLAIM_SCHEMA_VERSION, claimDocument } from '../../src/trace/format/claim-file.js';
import { TRACE_SCHEMA_VERSION } from '../../src/trace/format/layout.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { assemble } from '../../src/isa/assemble.js';

type Schema = Record<string, unknown>;

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../schemas/claim-v2.json', import.meta.url), 'utf8'),
) as Schema;
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs', '$comment']);
const KEYWORDS = new Set([
  'type',
  'const',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'oneOf',
  '$ref',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Errors of `value` against `schema` (empty when valid), each with its JSON pointer. */
function validate(value: unknown, schema: Schema, root: Schema = schema, at = ''): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(schema)) {
    if (!ANNOTATIONS.has(key) && !KEYWORDS.has(key))
      throw new Error(
        `${at || '/'}: schema keyword '${key}' is not supported by this test's validator`,
      );
  }
  const where = at || '/';
  if (typeof schema.$ref === 'string') {
    const match = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(schema.$ref);
    if (match === null) throw new Error(`unsupported $ref ${schema.$ref}`);
    const target = (root.$defs as Record<string, Schema> | undefined)?.[match[1]];
    if (target === undefined) throw new Error(`dangling $ref ${schema.$ref}`);
    errors.push(...validate(value, target, root, at));
  }
  if (schema.type !== undefined) {
    const actual = typeOf(value);
    const wanted = schema.type as string;
    if (actual !== wanted && !(wanted === 'number' && actual === 'integer'))
      errors.push(`${where}: expected ${wanted}, got ${actual}`);
  }
  if ('const' in schema && value !== schema.const)
    errors.push(`${where}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    errors.push(`${where}: not one of ${JSON.stringify(schema.enum)}`);
  if (
    typeof schema.pattern === 'string' &&
    typeof value === 'string' &&
    !new RegExp(schema.pattern, 'u').test(value)
  )
    errors.push(`${where}: does not match ${schema.pattern}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      errors.push(`${where}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      errors.push(`${where}: above ${schema.maximum}`);
  }
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!(key in object)) errors.push(`${where}: missing '${key}'`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, item] of Object.entries(object)) {
      if (key in properties) errors.push(...validate(item, properties[key], root, `${at}/${key}`));
      else if (schema.additionalProperties === false) errors.push(`${where}: unexpected '${key}'`);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined)
    value.forEach((item, i) =>
      errors.push(...validate(item, schema.items as Schema, root, `${at}/${i}`)),
    );
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter(
      (option) => validate(value, option, root, at).length === 0,
    ).length;
    if (passing !== 1)
      errors.push(`${where}: matches ${passing} of the oneOf options, expected exactly 1`);
  }
  return errors;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-claim-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function writtenClaim(program: string, ...extra: string[]): Promise<Record<string, unknown>> {
  const name = program.replace(/[^a-z_]/gi, '_');
  const claim = join(dir, `${name}.claim`);
  const code = await main(
    ['export', program, '-o', join(dir, `${name}.arrow`), '--claim', claim, ...extra],
    { stdout: () => {}, stderr: () => {} },
  );
  expect(code).toBe(0);
  return new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(
    readFileSync(claim),
  ) as Record<string, unknown>;
}

describe('schemas/claim-v2.json', () => {
  it('describes exactly the keys of claimDocument, in order, with the versions in force', () => {
    const document = claimDocument(
      exportTrace(assemble('HALT\n'), join(dir, 'halt.arrow'), { maxSteps: 5 }).metadata,
    );
    expect(SCHEMA.required).toEqual(Object.keys(document));
    expect(Object.keys(SCHEMA.properties as object)).toEqual(Object.keys(document));
    const properties = SCHEMA.properties as Record<string, Schema>;
    expect(properties.schema.const).toBe(CLAIM_SCHEMA_VERSION);
    expect(properties.trace_schema.const).toBe(TRACE_SCHEMA_VERSION);
    expect(properties.air.const).toBe(AIR_VERSION);
    expect(properties.max_steps.maximum).toBe(MAX_TRACE_ROWS);
    const fault = (SCHEMA.$defs as Record<string, Schema>).fault;
    expect((fault.properties as Record<string, Schema>).kind.enum).toEqual(FAULT_KINDS);
    expect(SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    // Every property carries a description.
    for (const [key, value] of Object.entries(properties))
      expect(typeof value.description, key).toBe('string');
  });

  it.each([
    ['programs/fibonacci.tvm'],
    ['programs/factorial_recursive.tvm'],
    ['programs/fault_stack_underflow.tvm'],
    ['programs/fault_bad_return.tvm'],
    ['programs/infinite_loop.tvm', '--max-steps', '9'],
  ])('the claim written for %s validates', async (program, ...extra) => {
    const document = await writtenClaim(program, ...extra);
    expect(validate(document, SCHEMA)).toEqual([]);
    expect((document.initial_memory as number[]).length).toBe(document.memory_size);
    expect((document.memory as number[]).length).toBe(document.memory_size);
  });

  it('the validator is not vacuous: broken claims are rejected', async () => {
    const good = await writtenClaim('programs/fault_stack_underflow.tvm');
    const broken = (edit: (d: Record<string, unknown>) => void) => {
      const copy = structuredClone(good);
      edit(copy);
      return validate(copy, SCHEMA);
    };
    expect(broken((d) => delete d.steps)).toEqual(["/: missing 'steps'"]);
    expect(broken((d) => (d.extra = 1))).toEqual(["/: unexpected 'extra'"]);
    expect(broken((d) => (d.acc = 40000))).toEqual(['/acc: above 32767']);
    expect(broken((d) => (d.zero_flag = 1))).toEqual(['/zero_flag: expected boolean, got integer']);
    expect(broken((d) => (d.memory = [0, 1.5]))).toEqual([
      '/memory/1: expected integer, got number',
    ]);
    expect(broken((d) => (d.weights_sha256 = 'ABC'))).toEqual([
      '/weights_sha256: does not match ^[0-9a-f]{64}$',
    ]);
    expect(broken((d) => (d.schema = 'tvm-trace/claim/v1'))).toEqual([
      '/schema: expected "tvm-trace/claim/v2"',
    ]);
    expect(broken((d) => ((d.fault as Record<string, unknown>).kind = 'meltdown'))).toEqual([
      '/fault: matches 0 of the oneOf options, expected exactly 1',
    ]);
  });
});
