/**
 * Size limits of a training run, checked before anything is allocated: the spec's own limits
 * (validateSpec: widths, depth, parameters, inputs, classes) and an up-front estimate of the
 * memory a training step needs against what the WebAssembly kernels can address. A run that
 * would only fail at its first optimizer step ("Maximum memory size exceeded") is refused
 * at once, with the estimate and the limit.
 */
import { describeSpec, trainingMemoryEstimate, validateSpec, type ModelSpec } from '../models.js';
import { getOptimizer, type OptimizerName } from '../optim/registry.js';
import { WASM_MAX_BYTES } from '../kernels/wasm/loader.js';
import { inputError, usageError } from './errors.js';

const GiB = 2 ** 30;
/** The kernels' allocator rounds each block up to a size class (a quarter power of two): up to 25% more. */
export const USABLE_BYTES = WASM_MAX_BYTES * 0.8;

/** An allocation failure during training (wasm memory.grow, a typed array too large), as a usage error naming the flags. */
export function outOfMemory(e: unknown, spec: ModelSpec, batchSize: number): Error | null {
  if (!(e instanceof RangeError) || !/memory|allocation|array buffer|invalid typed array length/i.test(e.message)) return null;
  return usageError(`out of memory training ${describeSpec(spec)} with --batch-size ${batchSize} (${e.message}); use ${narrower(spec)} or a smaller --batch-size`);
}

/** The flag that sized the model, as given: `--layers 512,256`, or `--arch` for a layer list (--arch or --model). */
const modelFlag = (spec: ModelSpec): string => (spec.arch ? '--arch' : `--layers ${spec.layers.join(',')}`);
const narrower = (spec: ModelSpec): string => (spec.arch ? 'fewer or narrower layers in --arch' : 'narrower --layers');
const gib = (b: number): string => `${(b / GiB).toFixed(b < 10 * GiB ? 2 : 1)} GiB`;

/**
 * Check that the model fits: a spec the data makes invalid (no features, too many inputs or
 * classes) is bad input naming `data` (exit 3); one the flags make too large is a usage
 * error naming --layers / --batch-size (exit 2). Returns the validated spec.
 */
export function checkModelFits(spec: ModelSpec, batchSize: number, optimizer: OptimizerName, data: string): ModelSpec {
  let valid: ModelSpec;
  try {
    valid = validateSpec(spec, 'the model');
  } catch (e) {
    const msg = (e as Error).message;
    if (/^the model: (inputs|outputs) /.test(msg)) {
      throw inputError(`${data}: ${spec.inputs} features per example and ${spec.outputs} ${spec.output === 'softmax' ? 'classes' : 'targets'}: ${msg.replace(/^the model: /, '')}`);
    }
    throw usageError(`${modelFlag(spec)}: ${msg}; use fewer or narrower layers`);
  }
  const m = trainingMemoryEstimate(valid, batchSize, getOptimizer(optimizer).stateBuffers);
  if (m.total > USABLE_BYTES) {
    throw usageError(
      `${modelFlag(spec)} with --batch-size ${batchSize} and ${optimizer}: training ${describeSpec(valid)} needs about ${gib(m.total)} ` +
        `(parameters ${gib(m.parameters)} and their copy ${gib(m.parameterCopy)}, gradients ${gib(m.gradients)}, optimizer state ${gib(m.optimizer)}, activations ${gib(m.activations)}), ` +
        `more than the ${gib(USABLE_BYTES)} usable of the ${gib(WASM_MAX_BYTES)} WebAssembly memory (its allocator rounds blocks up by as much as 25%); use ${narrower(spec)} or a smaller --batch-size`,
    );
  }
  return valid;
}
