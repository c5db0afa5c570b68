/**
 * Warnings: mistakes that still give numbers rather than errors, reported once per subject
 * (a module, hence once per model) through console.warn with a 'gradlab:' prefix.
 *
 * The one we know: a softmax right before crossEntropy ("double softmax"). crossEntropy
 * takes logits and applies log-softmax itself; fed probabilities p ∈ (0, 1) it computes
 * softmax(p), whose values differ by at most a factor e, so the loss cannot fall far below
 * log C − 1 and the gradients shrink: training slows or stalls with no error.
 */
import type { Tensor } from './tensor.js';

const warned = new WeakSet<object>();

/** console.warn(`gradlab: ${message}`), the first time only for `subject`. */
export function warnOnce(subject: object, message: string): void {
  if (warned.has(subject)) return;
  warned.add(subject);
  console.warn(`gradlab: ${message}`);
}

/** Outputs of Softmax modules, with the module (weakly held: nothing is kept alive). */
const softmaxOutputs = new WeakMap<Tensor, object>();
/** The subject for softmaxes applied with ops.softmax (no module to name): warned once. */
const SOFTMAX_OP = {};

/** @internal Called by nn.Softmax on its output. */
export function markSoftmaxOutput(out: Tensor, module: object): void {
  softmaxOutputs.set(out, module);
}

/** The text of the double-softmax warning; `source` names what applied the softmax. */
export function doubleSoftmaxMessage(source: string): string {
  return (
    `${source} applies softmax to what crossEntropy receives, but crossEntropy expects logits and applies log-softmax itself ` +
    '(double softmax: the loss cannot fall far and training slows or stalls). Remove the Softmax and pass the logits; apply softmax only to read probabilities.'
  );
}

/** Warn (once per Softmax module) when crossEntropy's input was made by a softmax. */
export function checkDoubleSoftmax(logits: Tensor): void {
  const module = softmaxOutputs.get(logits);
  if (module !== undefined) warnOnce(module, `crossEntropy: ${doubleSoftmaxMessage(`the module ${String(module)}`)}`);
  else if (logits.node?.op === 'softmax') warnOnce(SOFTMAX_OP, `crossEntropy: ${doubleSoftmaxMessage('ops.softmax')}`);
}
