// Loaded with `node --import` (test/runtime/tensor-cli.test.ts): makes @tensorflow/tfjs-node
// unresolvable, as on a machine where its install failed, so that the CLI's refusal of
// `--backend tensorflow` is tested where tfjs-node does work.
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === '@tensorflow/tfjs-node' || specifier.startsWith('@tensorflow/tfjs-node/')) {
    const error = new Error("Cannot find package '@tensorflow/tfjs-node'");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
