/**
 * 2-D pooling over NCHW tensors, as torch.nn.functional.max_pool2d, avg_pool2d and
 * adaptive_avg_pool2d. Every (n, c) plane is pooled on its own, so the kernels see N·C planes.
 *
 *   max:  y = max over the window (padding is −∞);  ∂L/∂x at the arg max += ∂L/∂y
 *         (the first maximum in window order on ties, as PyTorch).
 *   avg:  y = (1/(k_h·k_w)) Σ over the window, padding counted as zeros (PyTorch's default
 *         count_include_pad = True);  ∂L/∂x += ∂L/∂y/(k_h·k_w) over the window.
 *   adaptive avg: output (i, j) averages rows ⌊i·H/H_o⌋ … ⌈(i+1)·H/H_o⌉ − 1 and columns likewise.
 * Output size ⌊(H + 2p − d·(k − 1) − 1)/s⌋ + 1 (ceil_mode = False).
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { Window2d } from '../kernels/types.js';
import { formatShape, type Tensor } from '../tensor.js';
import { assert4d, pair, window2d, type Size2d } from './conv.js';
import { savedBuffer, showSize, uninitialized } from './util.js';

/** Window geometry for pooling; stride defaults to the kernel size, padding ≤ half the kernel (PyTorch's rule). */
function poolWindow(op: string, x: Tensor, kernelSize: Size2d, stride: Size2d | null | undefined, padding: Size2d, dilation: Size2d = 1): Window2d {
  assert4d(op, x);
  const k = pair(op, 'kernelSize', kernelSize, 1);
  const s = stride === null || stride === undefined ? k : pair(op, 'stride', stride, 1);
  const p = pair(op, 'padding', padding, 0);
  const d = pair(op, 'dilation', dilation, 1);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) {
    throw new Error(`${op}: padding ${p[0]}×${p[1]} must be at most half the kernel size ${k[0]}×${k[1]}`);
  }
  return window2d(op, x, k, s, p, p, d);
}

/** torch.nn.functional.max_pool2d(input, kernel_size, stride = kernel_size, padding = 0, dilation = 1). */
export function maxPool2d(input: Tensor, kernelSize: Size2d, stride: Size2d | null = null, padding: Size2d = 0, dilation: Size2d = 1): Tensor {
  const g = poolWindow('maxPool2d', input, kernelSize, stride, padding, dilation);
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

/** torch.nn.functional.avg_pool2d(input, kernel_size, stride = kernel_size, padding = 0), count_include_pad = True. */
export function avgPool2d(input: Tensor, kernelSize: Size2d, stride: Size2d | null = null, padding: Size2d = 0): Tensor {
  const g = poolWindow('avgPool2d', input, kernelSize, stride, padding);
  const [n, c] = input.shape;
  const planes = n * c;
  const out = uninitialized([n, c, g.oh, g.ow], input);
  K.avgPool2d(input.data, planes, g, out.data);
  return record(out, 'avgPool2d', [input], (gy, grad) => {
    const gx = grad(0);
    if (gx) K.avgPool2dBackward(gy, planes, g, gx);
  });
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
