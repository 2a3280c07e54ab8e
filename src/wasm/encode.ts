/**
 * A minimal WebAssembly encoder: one exported function over an imported memory, its body
 * written as instructions into a Code. Only what the generated code of this package needs
 * (the checker's constraint scan, the exporter's batch fill): the binary format of the
 * WebAssembly core specification, version 1, plus shared memories (threads proposal).
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export type ValueType = typeof I32 | typeof I64;

/** Instruction opcodes used by the generated code. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i64Load8S: 0x30,
  i64Load16S: 0x32,
  i64Load32S: 0x34,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Store8: 0x3a,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64GtS: 0x55,
  i64Ne: 0x52,
  i64LtU: 0x54,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Clz: 0x79,
  i64Ctz: 0x7a,
  i64Popcnt: 0x7b,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
} as const;

const BLOCK_VOID = 0x40;

function unsigned(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
}

function signed(value: bigint, out: number[]): void {
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A function body under construction. */
export class Code {
  readonly bytes: number[] = [];

  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  get(local: number): this {
    return this.withIndex(Op.localGet, local);
  }
  set(local: number): this {
    return this.withIndex(Op.localSet, local);
  }
  tee(local: number): this {
    return this.withIndex(Op.localTee, local);
  }
  /** An instruction whose immediate is one index (a local's). */
  private withIndex(opcode: number, index: number): this {
    this.bytes.push(opcode);
    unsigned(index, this.bytes);
    return this;
  }
  i32(value: number): this {
    this.bytes.push(Op.i32Const);
    signed(BigInt(value | 0), this.bytes);
    return this;
  }
  i64(value: bigint | number): this {
    this.bytes.push(Op.i64Const);
    signed(BigInt(value), this.bytes);
    return this;
  }
  /** A load or store with its alignment hint (log2 bytes) and constant offset. */
  memory(opcode: number, align: number, offset: number): this {
    this.bytes.push(opcode, align);
    unsigned(offset, this.bytes);
    return this;
  }
  /** block / loop / if without a result. */
  open(opcode: typeof Op.block | typeof Op.loop | typeof Op.if): this {
    this.bytes.push(opcode, BLOCK_VOID);
    return this;
  }
  branch(opcode: typeof Op.br | typeof Op.brIf, depth: number): this {
    this.bytes.push(opcode);
    unsigned(depth, this.bytes);
    return this;
  }
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  unsigned(content.length, out);
  out.push(...content);
}

function vector(items: number[][], out: number[]): void {
  unsigned(items.length, out);
  for (const item of items) out.push(...item);
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  const out: number[] = [];
  unsigned(bytes.length, out);
  return [...out, ...bytes];
}

export interface FunctionModule {
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  /** Local types beyond the parameters, in order. */
  readonly locals: readonly ValueType[];
  readonly body: Code;
  /** Exported under this name; the memory is imported as env.memory with at least this many pages. */
  readonly exportName: string;
  readonly memoryPages: number;
  /** Import a shared memory of exactly memoryPages pages (threads can run the function over it). */
  readonly shared?: boolean;
}

/** The bytes of a module importing `env.memory` and exporting one function. */
export function encodeModule(spec: FunctionModule): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type: number[] = [0x60];
  vector(
    spec.params.map((t) => [t]),
    type,
  );
  vector(
    spec.results.map((t) => [t]),
    type,
  );
  const types: number[] = [];
  vector([type], types);
  section(1, types, out);
  const imports: number[] = [];
  const limits: number[] = [spec.shared === true ? 0x03 : 0x00];
  unsigned(spec.memoryPages, limits);
  if (spec.shared === true) unsigned(spec.memoryPages, limits);
  vector([[...name('env'), ...name('memory'), 0x02, ...limits]], imports);
  section(2, imports, out);
  const functions: number[] = [];
  vector([[0x00]], functions);
  section(3, functions, out);
  const exports: number[] = [];
  vector([[...name(spec.exportName), 0x00, 0x00]], exports);
  section(7, exports, out);
  // Locals as runs of one type.
  const runs: number[][] = [];
  for (const t of spec.locals) {
    const last = runs.at(-1);
    if (last !== undefined && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  const body: number[] = [];
  vector(
    runs.map(([count, t]) => {
      const entry: number[] = [];
      unsigned(count, entry);
      return [...entry, t];
    }),
    body,
  );
  body.push(...spec.body.bytes, Op.end);
  const func: number[] = [];
  unsigned(body.length, func);
  func.push(...body);
  const code: number[] = [];
  vector([func], code);
  section(10, code, out);
  return Uint8Array.from(out);
}

/** The parts of the WebAssembly JavaScript API used here (Node's type definitions leave them out). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: { env: { memory: WasmMemory } },
  ) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** WebAssembly memory of `pages` 64 KiB pages; `shared`: of exactly that size, over a SharedArrayBuffer. */
export function createMemory(pages: number, shared = false): WasmMemory {
  return shared
    ? new wasmApi.Memory({ initial: pages, maximum: pages, shared: true })
    : new wasmApi.Memory({ initial: pages });
}

export const PAGE_BYTES = 65536;

/** A compiled module, to instantiate over several memories. */
export type WasmModule = object;

/** Compile a module (in this thread: the modules are small). */
export function compileModule(bytes: Uint8Array): WasmModule {
  return new wasmApi.Module(bytes);
}

/** Instantiate a module (compiled here from its bytes, when given those) over `memory`: its exports. */
export function instantiate(
  module: Uint8Array | WasmModule,
  memory: WasmMemory,
): Record<string, unknown> {
  return new wasmApi.Instance(module instanceof Uint8Array ? new wasmApi.Module(module) : module, {
    env: { memory },
  }).exports;
}
