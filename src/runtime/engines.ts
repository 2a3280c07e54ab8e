/** The engines by name (native, ffn, tensor), created from one set of options. */
import type { Program } from '../isa/program.js';
import { FfnMachine } from './ffn/engine.js';
import { NativeMachine } from './native/interpreter.js';
import type { Engine } from './state.js';

/** Options an engine may use; each engine ignores what it does not need. */
export interface EngineOptions {
  /** Tensor engine: tfjs backend name or 'auto'. */
  backend?: string;
}

type EngineFactory = (program: Program, options: EngineOptions) => Engine | Promise<Engine>;

/** The engines `run --engine` offers, by name. Engines register here; nothing else lists them. */
const FACTORIES = new Map<string, EngineFactory>([
  ['native', (program) => new NativeMachine(program)],
  ['ffn', (program) => FfnMachine.fromProgram(program)],
  // Loaded lazily: tfjs is only imported when the tensor engine is asked for.
  [
    'tensor',
    async (program, options) =>
      (await import('./tensor/engine.js')).TensorMachine.create(program, {
        backend: options.backend,
      }),
  ],
]);

export const ENGINE_NAMES: readonly string[] = [...FACTORIES.keys()];

export async function createEngine(
  name: string,
  program: Program,
  options: EngineOptions = {},
): Promise<Engine> {
  const factory = FACTORIES.get(name);
  if (factory === undefined)
    throw new RangeError(`unknown engine '${name}' (expected one of ${ENGINE_NAMES.join(', ')})`);
  return factory(program, options);
}
