/**
 * Batch Normalization (Ioffe & Szegedy 2015), as torch.nn.functional.batch_norm.
 *
 * Input [N, C], [N, C, L] or [N, C, H, W]; the last is [N, C, L = H·W] to the kernels (the same
 * memory layout), so BatchNorm2d's statistics run over N·H·W per channel with no permutation.
 * Training: per channel c over the batch (and spatial) dimensions,
 *   μ_B = mean(x),  σ²_B = mean((x − μ_B)²)   (biased: ÷m),
 *   x̂ = (x − μ_B)/√(σ²_B + ε),  y = γ·x̂ + β,
 * and the running statistics move by `momentum` toward the batch's (PyTorch's convention:
 * r ← (1 − momentum)·r + momentum·batch, with the UNBIASED variance σ²_B·m/(m − 1) stored).
 * Evaluation: x̂ uses the running statistics instead.
 * Keras' momentum is the weight of the old value (0.99) and its ε is 1e-3; gradlab follows PyTorch.
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { assertOptionalTensor, assertTensor, checkFiniteOption, savedBuffer, uninitialized } from './util.js';

export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  assertTensor(x, 'batchNorm', 'x');
  if (x.ndim < 2 || x.ndim > 4) throw new Error(`batchNorm: expected input of shape [N, C], [N, C, L] or [N, C, H, W], got ${formatShape(x.shape)}`);
  checkFiniteOption('batchNorm', 'momentum', momentum);
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`batchNorm: eps must be a number > 0, got ${showValue(eps)}`);
  const [n, c] = x.shape;
  const l = x.shape.slice(2).reduce((a, b) => a * b, 1);
  for (const [name, t] of [
    ['runningMean', runningMean],
    ['runningVar', runningVar],
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    assertOptionalTensor(t, 'batchNorm', name);
    if (t != null && (t.ndim !== 1 || t.shape[0] !== c)) {
      throw new Error(`batchNorm: ${name} of shape ${formatShape(t.shape)} does not match ${c} channels of input ${formatShape(x.shape)}`);
    }
  }
  if (training && n * l <= 1) {
    throw new Error(
      `batchNorm: expected more than 1 value per channel when training, got input of shape ${formatShape(x.shape)}: ` +
        'the batch variance of a single value is 0, so normalising it is meaningless. Use a batch of at least 2, or eval mode.',
    );
  }
  if (!training && (runningMean == null || runningVar == null)) {
    throw new Error('batchNorm: evaluation mode needs runningMean and runningVar (or pass training = true to use batch statistics)');
  }
  const y = uninitialized(x.shape, x);
  const saveMean = savedBuffer(c, x.dtype);
  const saveInvStd = savedBuffer(c, x.dtype);
  K.batchNorm({
    x: x.data,
    n,
    c,
    l,
    weight: weight?.data ?? null,
    bias: bias?.data ?? null,
    runningMean: training ? (runningMean?.data ?? null) : runningMean!.data,
    runningVar: training ? (runningVar?.data ?? null) : runningVar!.data,
    training,
    momentum,
    eps,
    y: y.data,
    saveMean: saveMean.data,
    saveInvStd: saveInvStd.data,
  });
  const inputs: Tensor[] = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return record(y, 'batchNorm', inputs, (g, grad) => {
    const gx = grad.target(0);
    K.batchNormBackward({
      x: x.data,
      gy: g,
      n,
      c,
      l,
      weight: weight?.data ?? null,
      saveMean: saveMean.data,
      saveInvStd: saveInvStd.data,
      training,
      gx: gx ? gx.data : null,
      gxBeta: gx ? gx.beta : 1,
      gWeight: weight ? grad(1) : null,
      gBias: bias ? grad(weight ? 2 : 1) : null,
    });
  }, () => {
    saveMean.dispose();
    saveInvStd.dispose();
  });
}
