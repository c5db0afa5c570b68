/**
 * 2-D pooling over NCHW tensors, as torch.nn.functional.max_pool2d, avg_pool2d and
 * adaptive_avg_pool2d. Every (n, c) plane is pooled on its own, so the kernels see N·C planes.
 *
 *   max:  y = max over the window (padding is −∞);  ∂L/∂x at the arg max += ∂L/∂y
 *         (the first maximum in window order on ties, as PyTorch).
 *   avg:  y = (1/D) Σ over the window, D = k_h·k_w with padding counted as zeros (PyTorch's
 *         default count_include_pad = True);  ∂L/∂x += ∂L/∂y/D over the window. PyTorch's D in
 *         general: the window clipped to the padded input (count_include_pad), or to the input
 *         (count_include_pad = False), or divisor_override.
 *   adaptive avg: output (i, j) averages rows ⌊i·H/H_o⌋ … ⌈(i+1)·H/H_o⌉ − 1 and columns likewise.
 * Output size ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1; with ceil_mode ⌈…⌉ + 1, less one where the last
 * window would start past the input and its left padding (PyTorch's pooling_output_shape).
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { Window2d } from '../kernels/types.js';
import { formatShape, Tensor } from '../tensor.js';
import { assert4d, pair, window2d, type Size2d } from './conv.js';
import { mul } from './arithmetic.js';
import { checkBool } from '../options.js';
import { savedBuffer, showSize, uninitialized } from './util.js';

/** Window geometry for pooling; stride defaults to the kernel size, padding ≤ half the kernel (PyTorch's rule). */
function poolWindow(op: string, x: Tensor, kernelSize: Size2d, stride: Size2d | null | undefined, padding: Size2d, dilation: Size2d = 1, ceilMode = false): Window2d {
  assert4d(op, x);
  checkBool(op, 'ceilMode', ceilMode);
  const k = pair(op, 'kernelSize', kernelSize, 1);
  const s = stride === null || stride === undefined ? k : pair(op, 'stride', stride, 1);
  const p = pair(op, 'padding', padding, 0);
  const d = pair(op, 'dilation', dilation, 1);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new Error(`${op}: padding ${p[0]}×${p[1]} must be at most half the kernel size ${k[0]}×${k[1]}`);
  }
  const g = window2d(op, x, k, s, p, p, d);
  if (ceilMode) {
    // One more window where a partial one remains, unless it would start past the input and its
    // left padding (it would see only right padding): PyTorch's pooling_output_shape.
    const size = (n: number, ki: number, si: number, pi: number, di: number) => {
      let o = Math.ceil((n + 2 * pi - di * (ki - 1) - 1) / si) + 1;
      if ((o - 1) * si >= n + pi) o--;
      return o;
    };
    g.oh = size(g.h, k[0], s[0], p[0], d[0]);
    g.ow = size(g.w, k[1], s[1], p[1], d[1]);
  }
  return g;
}

/**
 * torch.nn.functional.max_pool2d(input, kernel_size, stride = kernel_size, padding = 0, dilation = 1,
 * ceil_mode = False).
 */
export function maxPool2d(input: Tensor, kernelSize: Size2d, stride: Size2d | null = null, padding: Size2d = 0, dilation: Size2d = 1, ceilMode = false): Tensor {
  const g = poolWindow('maxPool2d', input, kernelSize, stride, padding, dilation, ceilMode);
  const [n, c] = input.shape;
  const planes = n * c;
  const out = uninitialized([n, c, g.oh, g.ow], input);
  // The arg-max indices, saved for backward, live where the kernels can reach them (wasm memory):
  // int32 over float32-sized storage (savedBuffer; a step boundary's copy keeps the bits).
  const store = savedBuffer(out.size, 'float32', false);
  const view = () => new Int32Array(store.data.buffer, store.data.byteOffset, out.size);
  K.maxPool2d(input.data, planes, g, out.data, view());
  record(out, 'maxPool2d', [input], (gy, grad) => {
    const gx = grad.target(0);
    if (gx) K.maxPool2dBackward(gy, view(), planes, g, gx.data, gx.beta);
  }, () => store.dispose());
  return out;
}

/**
 * torch.nn.functional.avg_pool2d(input, kernel_size, stride = kernel_size, padding = 0,
 * ceil_mode = False, count_include_pad = True, divisor_override = None).
 */
export function avgPool2d(
  input: Tensor,
  kernelSize: Size2d,
  stride: Size2d | null = null,
  padding: Size2d = 0,
  ceilMode = false,
  countIncludePad = true,
  divisorOverride: number | null = null,
): Tensor {
  const op = 'avgPool2d';
  const g = poolWindow(op, input, kernelSize, stride, padding, 1, ceilMode);
  checkBool(op, 'countIncludePad', countIncludePad);
  if (divisorOverride !== null && divisorOverride !== undefined && !(Number.isInteger(divisorOverride) && divisorOverride > 0)) {
    throw new Error(`${op}: divisorOverride must be a positive integer (or null), got ${String(divisorOverride)}`);
  }
  const [n, c] = input.shape;
  const planes = n * c;
  const out = uninitialized([n, c, g.oh, g.ow], input);
  K.avgPool2d(input.data, planes, g, out.data);
  const pooled = record(out, 'avgPool2d', [input], (gy, grad) => {
    const gx = grad(0);
    if (gx) K.avgPool2dBackward(gy, planes, g, gx);
  });
  // The kernels divide by k_h·k_w; where PyTorch's divisor D differs (a window cut by ceil_mode,
  // padding not counted, an override), rescale each output position by k_h·k_w/D.
  const kk = g.kh * g.kw;
  const factor = new Float64Array(g.oh * g.ow);
  let differs = false;
  for (let oy = 0; oy < g.oh; oy++) {
    const h0 = oy * g.sh - g.ph;
    const h1 = Math.min(h0 + g.kh, g.h + g.ph);
    for (let ox = 0; ox < g.ow; ox++) {
      const w0 = ox * g.sw - g.pw;
      const w1 = Math.min(w0 + g.kw, g.w + g.pw);
      const d =
        divisorOverride != null
          ? divisorOverride
          : countIncludePad
            ? (h1 - h0) * (w1 - w0)
            : (Math.min(h1, g.h) - Math.max(h0, 0)) * (Math.min(w1, g.w) - Math.max(w0, 0));
      factor[oy * g.ow + ox] = kk / d;
      if (d !== kk) differs = true;
    }
  }
  if (!differs) return pooled;
  const f = new Tensor(input.dtype === 'float64' ? factor : Float32Array.from(factor), [g.oh, g.ow]);
  return mul(pooled, f);
}

/**
 * torch.nn.functional.adaptive_avg_pool2d(input, output_size): output_size a number, or
 * [h, w] where null keeps that input dimension.
 */
/** An adaptive pool's outputSize as [h, w] (null: the input's size, where known); throws naming `where` otherwise. */
export function adaptiveOutputSize(where: string, outputSize: unknown, inputHW?: readonly number[]): Array<number | null> {
  const given = typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) && outputSize.length === 2 ? (outputSize as unknown[]) : null;
  const size = given?.map((v, i) => (v === null ? (inputHW?.[i] ?? null) : v));
  if (!size || !size.every((v) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1))) {
    throw new Error(`${where}: outputSize must be a positive integer or a pair [h, w] of them (null keeps the input's size), got ${showSize(outputSize)}`);
  }
  return size as Array<number | null>;
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  assert4d(op, input);
  const [n, c, h, w] = input.shape;
  const size = adaptiveOutputSize(op, outputSize, [h, w]) as number[];
  const [oh, ow] = size;
  if (h === 0 || w === 0) throw new Error(`${op}: input of shape ${formatShape(input.shape)} has an empty plane`);
  const planes = n * c;
  const out = uninitialized([n, c, oh, ow], input);
  K.adaptiveAvgPool2d(input.data, planes, h, w, oh, ow, out.data);
  return record(out, op, [input], (gy, grad) => {
    const gx = grad(0);
    if (gx) K.adaptiveAvgPool2dBackward(gy, planes, h, w, oh, ow, gx);
  });
}
