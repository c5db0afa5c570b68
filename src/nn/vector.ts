/**
 * torch.nn.utils.parameters_to_vector / vector_to_parameters: every parameter flattened into one
 * vector, in order (to measure or compare a whole model's weights: ‖θ − θ₀‖, the cosine between
 * two runs), and back.
 */
import { cat } from '../ops/shape.js';
import { reshape } from '../ops/view.js';
import { Tensor, formatShape } from '../tensor.js';
import { noGrad } from '../autograd.js';

function tensorsOf(where: string, parameters: Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : parameters !== null && typeof parameters === 'object' && Symbol.iterator in parameters ? [...parameters] : null;
  if (list === null || list.length === 0 || !list.every((p) => p instanceof Tensor)) throw new Error(`${where}: parameters must be a non-empty list of tensors (model.parameters())`);
  return list;
}

/** One vector of every parameter's values, in order (a new tensor; its gradient flows back to the parameters, as PyTorch's). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const list = tensorsOf('parametersToVector', parameters);
  return cat(list.map((p) => reshape(p, [-1])), 0);
}

/** Copy the values of `vec` into the parameters, in order (PyTorch's vector_to_parameters; outside the graph). */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  const list = tensorsOf('vectorToParameters', parameters);
  if (!(vec instanceof Tensor) || vec.ndim !== 1) throw new Error(`vectorToParameters: expected a 1-D Tensor, got ${vec instanceof Tensor ? `shape ${formatShape(vec.shape)}` : typeof vec}`);
  const total = list.reduce((s, p) => s + p.size, 0);
  if (vec.size !== total) throw new Error(`vectorToParameters: the vector has ${vec.size} values, the parameters ${total}`);
  noGrad(() => {
    let k = 0;
    for (const p of list) {
      p.data.set(vec.data.subarray(k, k + p.size));
      k += p.size;
    }
  });
}
