/**
 * Matrix products. Backward reuses the GEMM kernel in its transposed layouts, so no
 * transpose is ever materialised:
 *   C = A·B  ⇒  ∂L/∂A = ∂L/∂C · Bᵀ,  ∂L/∂B = Aᵀ · ∂L/∂C.
 */
import { record } from '../autograd.js';
import { UNARY } from '../activations.js';
import { K, alloc } from '../kernels/index.js';
import type { UnaryKind } from '../kernels/types.js';
import { Tensor, formatShape } from '../tensor.js';
import { assertOptionalTensor, assertSameDtype, assertTensor, broadcastShapes, broadcastStrides, empty, uninitialized } from './util.js';

/**
 * torch.matmul: 1-D·1-D is a dot product, 2-D·2-D a matrix product, a 1-D operand is
 * promoted to a row (left) or column (right) and the added dimension removed, and leading
 * (batch) dimensions broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  assertTensor(a, 'matmul', 'a');
  assertTensor(b, 'matmul', 'b');
  assertSameDtype('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both operands need at least 1 dimension, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const aShape = a.ndim === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.ndim === 1 ? [b.shape[0], 1] : b.shape;
  const m = aShape[aShape.length - 2];
  const k = aShape[aShape.length - 1];
  const k2 = bShape[bShape.length - 2];
  const n = bShape[bShape.length - 1];
  if (k !== k2) {
    throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (${m}×${k} and ${k2}×${n})`);
  }
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes('matmul', aBatch, bBatch);
  } catch {
    throw new Error(`matmul: the batch dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)}, ${formatShape(aBatch)} and ${formatShape(bBatch)}, cannot be broadcast together (the last two dimensions are the matrices)`);
  }
  let outShape = [...batch, m, n];
  if (a.ndim === 1) outShape.splice(outShape.length - 2, 1);
  if (b.ndim === 1) outShape = outShape.slice(0, -1);
  const out = empty(outShape, a);

  const batches = batch.reduce((p, d) => p * d, 1);
  const aStr = broadcastStrides(aBatch, batch);
  const bStr = broadcastStrides(bBatch, batch);
  // Offsets (in matrices) of each batch entry's operands.
  const aOff = new Int32Array(batches);
  const bOff = new Int32Array(batches);
  for (let i = 0; i < batches; i++) {
    let r = i;
    for (let d = batch.length - 1; d >= 0; d--) {
      const idx = r % batch[d];
      r = Math.floor(r / batch[d]);
      aOff[i] += idx * aStr[d];
      bOff[i] += idx * bStr[d];
    }
  }
  const mk = m * k;
  const kn = k * n;
  const mn = m * n;
  const view = (x: Float32Array | Float64Array, off: number, len: number) => (batches === 1 ? x : x.subarray(off * len, off * len + len));
  for (let i = 0; i < batches; i++) {
    K.gemm(false, false, m, n, k, 1, view(a.data, aOff[i], mk), view(b.data, bOff[i], kn), 0, view(out.data, i, mn));
  }
  return record(out, 'matmul', [a, b], (g, grad) => {
    if (batches === 1) {
      // One product: each gradient is written whole, so a fresh buffer is written, not zeroed and added to.
      const ta = grad.target(0);
      if (ta) K.gemm(false, true, m, k, n, 1, g, b.data, ta.beta, ta.data);
      const tb = grad.target(1);
      if (tb) K.gemm(true, false, k, n, m, 1, a.data, g, tb.beta, tb.data);
      return;
    }
    const ga = grad(0);
    const gb = grad(1);
    for (let i = 0; i < batches; i++) {
      const gi = view(g, i, mn);
      // β = 1 accumulates, which also sums over broadcast batch entries.
      if (ga) K.gemm(false, true, m, k, n, 1, gi, view(b.data, bOff[i], kn), 1, view(ga, aOff[i], mk));
      if (gb) K.gemm(true, false, k, n, m, 1, view(a.data, aOff[i], mk), gi, 1, view(gb, bOff[i], kn));
    }
  });
}

/**
 * y = x·Wᵀ + b, as torch.nn.functional.linear, with W of shape [out, in] (PyTorch's layout)
 * and x of shape [..., in].
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return linearActivation(x, weight, bias, 'linear');
}

/**
 * y = f(x·Wᵀ + b) as one op: a Linear layer and the elementwise activation after it, for an
 * activation whose derivative is a function of its output (registry `derivativeFromOutput`:
 * ReLU, sigmoid, tanh, identity). Sequential runs such pairs through it.
 *
 * Why: y is written over z = x·Wᵀ + b (f′ comes from y, so z need not be kept), which spares
 * the activation's pass over memory and its buffer in forward; in backward one kernel writes
 * ∂L/∂z = f′(y)·∂L/∂y and sums it over rows into ∂L/∂b (biasActivationBackward), where the
 * unfused pair made a second pass for the sum. Values and gradients are bit-identical to
 * linear() followed by the activation.
 *
 * Backward, with gz = ∂L/∂z: ∂L/∂x = gz·W, ∂L/∂W = gzᵀ·x, ∂L/∂b = Σ_rows gz; each is written
 * whole (β = 0) when its buffer is fresh, accumulated otherwise.
 */
export function linearActivation(x: Tensor, weight: Tensor, bias: Tensor | null, kind: UnaryKind, p = NaN): Tensor {
  assertTensor(x, 'linear', 'x');
  assertTensor(weight, 'linear', 'weight');
  assertOptionalTensor(bias, 'linear', 'bias');
  bias ??= null;
  assertSameDtype('linear', x, weight);
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D [out, in], got ${formatShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(`linear: input of shape ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} (expected last dimension ${inF})`);
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias of shape ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)} (expected [${outF}])`);
  }
  if (!UNARY[kind]?.derivativeFromOutput) {
    throw new Error(`linearActivation: activation '${kind}' cannot be fused (its derivative needs the pre-activation); use linear() and then the activation`);
  }
  const rows = x.size / inF;
  const out = uninitialized([...x.shape.slice(0, -1), outF], x);
  K.gemm(false, true, rows, outF, inF, 1, x.data, weight.data, 0, out.data);
  if (bias || kind !== 'linear') K.biasActivation(kind, p, out.data, bias ? bias.data : null, rows, outF, out.data);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(out, kind === 'linear' ? 'linear' : `linear+${kind}`, inputs, (g, grad) => {
    const gb = bias ? grad.target(2) : null;
    let gz = g;
    let biasDone = false;
    if (kind !== 'linear') {
      gz = alloc(g.length, x.dtype, false);
      biasDone = gb !== null && gb.beta === 0;
      K.biasActivationBackward(kind, p, out.data, g, rows, outF, gz, biasDone ? gb!.data : null);
    }
    const gx = grad.target(0);
    if (gx) K.gemm(false, false, rows, inF, outF, 1, gz, weight.data, gx.beta, gx.data);
    const gw = grad.target(1);
    if (gw) K.gemm(true, false, outF, inF, rows, 1, gz, x.data, gw.beta, gw.data);
    if (gb && !biasDone) {
      if (gb.beta === 0) K.sumAxis(gz, 1, rows, outF, gb.data);
      else {
        const colSums = alloc(outF, x.dtype, false);
        K.sumAxis(gz, 1, rows, outF, colSums);
        K.axpy(1, colSums, gb.data);
        K.free(colSums);
      }
    }
    if (gz !== g) K.free(gz);
  });
}
