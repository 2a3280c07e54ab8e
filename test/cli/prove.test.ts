/**
 * `tvm-trace prove` and `verify`: the Rust prover's commands run from the CLI, with its exit
 * codes; a missing binary is one line that says how to build it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from '../support/cli.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('without the prover binary', () => {
  it.each([
    ['prove', 'fixtures/golden/fibonacci.arrow', '-o', 'never.proof'],
    ['verify', 'never.proof', '--program', 'programs/fibonacci.tvm'],
  ])('%s is exit 2 with one line naming the build command', async (...argv) => {
    vi.stubEnv('TVM_PROVE', '/nonexistent/tvm-prove');
    const result = await cli(...argv);
    expect(result).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        'tvm-trace: the Rust prover is not built (/nonexistent/tvm-prove is missing): run `npm run build:prover` (cargo build --release in prover/; needs a Rust toolchain, about 3 minutes the first time)',
      ],
    });
  });
});
