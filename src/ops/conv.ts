/**
 * 2-D convolution over NCHW tensors, as torch.nn.functional.conv2d (a cross-correlation):
 *
 *   y[n, o, y, x] = b[o] + Σ_{c ∈ group(o)} Σ_{i, j} W[o, c, i, j] · x[n, c, y·s_h − p_h + i·d_h, x·s_w − p_w + j·d_w]
 *
 * with zeros outside the input. Computed by im2col + GEMM (Chellapilla et al. 2006): per
 * group and chunk of S samples, the input patches become the columns of col
 * [C_g·k_h·k_w, S·H_o·W_o], and y_g = W_g · col is one product on the fast GEMM kernel. Backward is the same pair of GEMMs
 * read the other way round:
 *   ∂L/∂W_g = Σ_n ∂L/∂y_g · colᵀ,   ∂L/∂col = W_gᵀ · ∂L/∂y_g  (then col2im, the adjoint of im2col),
 *   ∂L/∂b[o] = Σ_{n, y, x} ∂L/∂y[n, o, y, x].
 * col is rebuilt in backward rather than kept: for a batch it would be k_h·k_w times the input.
 * A 1×1 kernel with stride 1 and no padding needs no im2col at all (col is the input itself).
 *
 * With one group and a large product per sample (a layer after the first), the samples go to
 * the fused kernels (convForward, convBackwardData, convBackwardWeight), which the wasm backend
 * runs in groups of whole samples on its threads — one round per layer and direction instead
 * of one per sample's GEMM, with each sample's col built and used while in cache. So does a
 * one-group convolution with few taps (smallConv: a first layer, c·kh·kw ≤ 32, stride 1), whose
 * forward and ∂W the wasm backend computes directly, without im2col or GEMM.
 */
import { record, type GradTarget } from '../autograd.js';
import { K, alloc } from '../kernels/index.js';
import { smallConv, type Window2d } from '../kernels/types.js';
import { formatShape, type Tensor } from '../tensor.js';
import { assertSameDtype, assertTensor, showSize, uninitialized } from './util.js';

/** Largest im2col matrix (in values: 8 MB of float32) that conv2d builds for a chunk of samples. */
const CHUNK_FLOATS = 1 << 21;
/** Multiply-adds below which one sample's GEMM is dominated by per-call work, so samples are batched. */
const SMALL_PRODUCT = 1 << 20;

/**
 * Row r of `dst` ([rows, len]) ← bias[offset + r]: the GEMM then adds W·col onto the bias (β = 1).
 * The typed array's own fill over a range: a kernel call per row cost more than the row (a chunk's og·S rows of L).
 */
function fillRows(dst: Tensor['data'], rows: number, len: number, bias: Tensor['data'], offset: number): void {
  for (let r = 0; r < rows; r++) dst.fill(bias[offset + r], r * len, (r + 1) * len);
}

/**
 * The GEMM's [rows, S, len] (one row of the product per output channel, samples side by side)
 * ↔ the tensor's [S, outer, len] at channel `first` (per sample, `outer` channels). `toTensor`
 * false reads the tensor into the GEMM layout (the gradient, in backward). Row copies by the
 * typed array's copyWithin-like `set`: a memmove each.
 */
function permuteRows(gemmRows: Tensor['data'], t: Tensor['data'], rows: number, s: number, len: number, outer: number, first: number, sample0: number, toTensor: boolean): void {
  for (let j = 0; j < s; j++)
    for (let r = 0; r < rows; r++) {
      const g = (r * s + j) * len;
      const o = ((sample0 + j) * outer + first + r) * len;
      if (toTensor) t.set(gemmRows.subarray(g, g + len), o);
      else gemmRows.set(t.subarray(o, o + len), g);
    }
}

/** A size given as one number or as [h, w]. */
export type Size2d = number | readonly [number, number];

/**
 * The largest kernel size, stride, padding or dilation: the kernels index in 32-bit integers,
 * and a size past this one can only be a typo (2^24, as the model spec's layer widths).
 */
export const MAX_SIZE_2D = 2 ** 24;

/** [h, w] from a number or a pair, each an integer in [`min`, MAX_SIZE_2D], with an error naming the op and the argument. */
export function pair(op: string, name: string, v: Size2d, min: number): [number, number] {
  const p: readonly number[] = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [];
  if (p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new Error(`${op}: ${name} must be an integer ≥ ${min} or a pair [h, w] of them, got ${showSize(v)}`);
  }
  if (p[0] > MAX_SIZE_2D || p[1] > MAX_SIZE_2D) throw new Error(`${op}: ${name} ${showSize(v)} is too large (at most ${MAX_SIZE_2D} = 2^24)`);
  return [p[0], p[1]];
}

/**
 * What an image input of the wrong layout most likely is, for the message of a layer that
 * expects [N, C, H, W] with C = `channels` (null: any C), or '' when nothing fits. The usual
 * slips: channels last as TensorFlow and PIL/NumPy images are ([N, H, W, C], [H, W, C]), one
 * image without its batch dimension ([C, H, W], which PyTorch's layers accept unbatched), a
 * batch of grayscale images without their channel ([N, H, W]), and flat rows ([N, C·H·W],
 * MNIST as a CSV) given to a conv net.
 */
export function imageLayoutHint(shape: readonly number[], channels: number | null): string {
  const c = channels;
  if (shape.length === 4) {
    if (c !== null && shape[1] !== c && shape[3] === c) return ': this looks like channels-last (NHWC) input; gradlab takes [N, C, H, W] as PyTorch does: x.permute(0, 3, 1, 2)';
    if (c === null && shape[3] <= 4 && shape[3] < shape[1] && shape[3] < shape[2]) return `: if this is channels-last (NHWC) input with ${shape[3]} channel(s), gradlab takes [N, C, H, W] as PyTorch does: x.permute(0, 3, 1, 2)`;
    return '';
  }
  if (shape.length === 3) {
    if (c !== null && shape[0] === c) return ': one image without its batch dimension? x.unsqueeze(0) makes it [1, C, H, W]';
    if (c !== null && shape[2] === c) return ': one channels-last image [H, W, C]? x.permute(2, 0, 1).unsqueeze(0) makes it [1, C, H, W]';
    if (c === 1) return ': a batch of single-channel images [N, H, W]? x.unsqueeze(1) makes it [N, 1, H, W]';
    if (c === null) return ': one image [C, H, W] without its batch dimension (x.unsqueeze(0)) or a batch of single-channel images [N, H, W] (x.unsqueeze(1))?';
    return '';
  }
  if (shape.length === 2 && c !== null && shape[1] % c === 0) {
    const side = Math.round(Math.sqrt(shape[1] / c));
    if (side > 1 && side * side * c === shape[1]) return `: flat rows of ${side}×${side} images? x.view(-1, ${c}, ${side}, ${side}) makes them [N, ${c}, ${side}, ${side}]`;
  }
  return '';
}

/** Checks that x is [N, C, H, W]; the message names the expected layout and the shape given. */
export function assert4d(op: string, x: Tensor): void {
  assertTensor(x, op, 'input');
  if (x.ndim !== 4) throw new Error(`${op}: expected input of shape [N, C, H, W], got ${formatShape(x.shape)}${imageLayoutHint(x.shape, null)}`);
}

/**
 * The sliding-window geometry over x's planes: output size ⌊(H + p_before + p_after − d·(k − 1) − 1)/s⌋ + 1
 * (PyTorch's), and an error naming the sizes when the window does not fit the padded input.
 */
export function window2d(
  op: string,
  x: Tensor | readonly number[],
  k: [number, number],
  s: [number, number],
  padBefore: [number, number],
  padAfter: [number, number],
  d: [number, number],
): Window2d {
  const shape = Array.isArray(x) ? (x as readonly number[]) : (x as Tensor).shape;
  const [, , h, w] = shape;
  const eh = d[0] * (k[0] - 1) + 1;
  const ew = d[1] * (k[1] - 1) + 1;
  const hp = h + padBefore[0] + padAfter[0];
  const wp = w + padBefore[1] + padAfter[1];
  if (eh > hp || ew > wp) {
    const dil = d[0] !== 1 || d[1] !== 1 ? ` (dilation ${d[0]}×${d[1]}: ${eh}×${ew} effective)` : '';
    throw new Error(
      `${op}: kernel ${k[0]}×${k[1]}${dil} is larger than the padded input ${hp}×${wp} ` +
        `(input ${formatShape(shape)}, padding ${padBefore[0]}×${padBefore[1]}): the output would be empty${imageLayoutHint(shape, null)}`,
    );
  }
  return {
    h,
    w,
    kh: k[0],
    kw: k[1],
    sh: s[0],
    sw: s[1],
    ph: padBefore[0],
    pw: padBefore[1],
    dh: d[0],
    dw: d[1],
    oh: Math.floor((hp - eh) / s[0]) + 1,
    ow: Math.floor((wp - ew) / s[1]) + 1,
  };
}

/**
 * torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups): input
 * [N, C, H, W], weight [O, C/groups, k_h, k_w], bias [O] or null. padding 'valid' is 0;
 * 'same' pads d·(k − 1) in total, the odd unit after (bottom/right) as PyTorch, and needs stride 1.
 */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: Size2d = 1,
  padding: Size2d | 'same' | 'valid' = 0,
  dilation: Size2d = 1,
  groups = 1,
): Tensor {
  const op = 'conv2d';
  assert4d(op, input);
  assertTensor(weight, op, 'weight');
  assertSameDtype(op, input, weight);
  if (weight.ndim !== 4) throw new Error(`conv2d: expected weight of shape [outChannels, inChannels/groups, kH, kW], got ${formatShape(weight.shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups must be a positive integer, got ${groups}`);
  const [n, c] = input.shape;
  const [o, cg, kh, kw] = weight.shape;
  if (c % groups !== 0) throw new Error(`conv2d: input channels ${c} (input ${formatShape(input.shape)}) are not divisible by groups ${groups}`);
  if (o % groups !== 0) throw new Error(`conv2d: output channels ${o} (weight ${formatShape(weight.shape)}) are not divisible by groups ${groups}`);
  if (cg * groups !== c) {
    throw new Error(
      `conv2d: input ${formatShape(input.shape)} has ${c} channels, but weight ${formatShape(weight.shape)} with groups ${groups} expects ${cg * groups} (weight.shape[1]·groups)${imageLayoutHint(input.shape, cg * groups)}`,
    );
  }
  if (bias !== null) {
    assertTensor(bias, op, 'bias');
    if (bias.ndim !== 1 || bias.shape[0] !== o) throw new Error(`conv2d: bias of shape ${formatShape(bias.shape)} does not match weight ${formatShape(weight.shape)} (expected [${o}])`);
  }
  const s = pair(op, 'stride', stride, 1);
  const d = pair(op, 'dilation', dilation, 1);
  let before: [number, number];
  let after: [number, number];
  if (padding === 'same') {
    if (s[0] !== 1 || s[1] !== 1) throw new Error(`conv2d: padding 'same' needs stride 1 (as PyTorch), got stride ${showSize(stride)}`);
    const th = d[0] * (kh - 1);
    const tw = d[1] * (kw - 1);
    before = [Math.floor(th / 2), Math.floor(tw / 2)];
    after = [th - before[0], tw - before[1]];
  } else if (padding === 'valid') {
    before = after = [0, 0];
  } else if (typeof padding === 'string') {
    throw new Error(`conv2d: padding must be a number, a pair [h, w], 'same' or 'valid', got '${padding}'`);
  } else {
    before = after = pair(op, 'padding', padding, 0);
  }
  const g = window2d(op, input, [kh, kw], s, before, after, d);
  const { h, w, oh, ow } = g;
  const l = oh * ow;
  const hw = h * w;
  const og = o / groups;
  const kk = cg * kh * kw;
  // A 1×1 kernel with stride 1 and no padding: the input planes are already col.
  const direct = kh === 1 && kw === 1 && s[0] === 1 && s[1] === 1 && before[0] === 0 && before[1] === 0 && after[0] === 0 && after[1] === 0;
  const out = uninitialized([n, o, oh, ow], input);
  const xSlice = (data: Tensor['data'], i: number, gi: number) => data.subarray((i * c + gi * cg) * hw, (i * c + (gi + 1) * cg) * hw);
  const ySlice = (data: Tensor['data'], i: number, gi: number) => data.subarray((i * o + gi * og) * l, (i * o + (gi + 1) * og) * l);
  const wSlice = (data: Tensor['data'], gi: number) => data.subarray(gi * og * kk, (gi + 1) * og * kk);

  if (!direct && groups === 1 && (og * kk * l >= SMALL_PRODUCT || smallConv(c, g))) return perSampleConv2d(input, weight, bias, g, out);
  // Samples per GEMM: a chunk's patches sit side by side, col [kk, S·L], so that one product
  // y'_g = W_g · col [og, S·L] covers S samples. Worth it only where a single sample's product
  // is small (a small layer, or a strided first layer: kk = 9), as y' must then be scattered into [S, O, L]; S is
  // bounded so that col stays under CHUNK_FLOATS.
  const chunk = direct || og * kk * l >= SMALL_PRODUCT ? 1 : Math.max(1, Math.min(n, Math.floor(CHUNK_FLOATS / (kk * l))));
  const col = direct ? null : alloc(kk * chunk * l, input.dtype, false);
  // y' for a chunk of S > 1 samples, [og, S·L], scattered into out's [S, O, L] layout.
  const tmp = chunk > 1 ? alloc(og * chunk * l, input.dtype, false) : null;
  for (let i0 = 0; i0 < n; i0 += chunk) {
    const s = Math.min(chunk, n - i0);
    for (let gi = 0; gi < groups; gi++) {
      if (col) for (let j = 0; j < s; j++) K.im2col(xSlice(input.data, i0 + j, gi), cg, g, col.subarray(j * l), s * l);
      const b = col ?? xSlice(input.data, i0, gi);
      if (tmp && s > 1) {
        const t = tmp.subarray(0, og * s * l);
        if (bias) fillRows(t, og, s * l, bias.data, gi * og);
        K.gemm(false, false, og, s * l, kk, 1, wSlice(weight.data, gi), col!.subarray(0, kk * s * l), bias ? 1 : 0, t);
        permuteRows(t, out.data, og, s, l, o, gi * og, i0, true);
      } else {
        const y = ySlice(out.data, i0, gi);
        if (bias) fillRows(y, og, l, bias.data, gi * og);
        K.gemm(false, false, og, l, kk, 1, wSlice(weight.data, gi), col ? col.subarray(0, kk * l) : b, bias ? 1 : 0, y);
      }
    }
  }
  if (col) K.free(col);
  if (tmp) K.free(tmp);

  const inputs = bias ? [input, weight, bias] : [input, weight];
  return record(out, 'conv2d', inputs, (gy, grad) => {
    const gx = grad(0);
    const gw = grad.target(1);
    if (gx || gw) {
      const colB = gw && !direct ? alloc(kk * chunk * l, input.dtype, false) : null;
      const gcol = gx && !direct ? alloc(kk * chunk * l, input.dtype, false) : null;
      const gt = chunk > 1 ? alloc(og * chunk * l, input.dtype, false) : null;
      for (let i0 = 0; i0 < n; i0 += chunk) {
        const s = Math.min(chunk, n - i0);
        for (let gi = 0; gi < groups; gi++) {
          // ∂L/∂y'_g [og, S·L]: gathered from gy's [S, O, L] layout when S > 1.
          let gs = ySlice(gy, i0, gi);
          if (gt && s > 1) {
            gs = gt.subarray(0, og * s * l);
            permuteRows(gs, gy, og, s, l, o, gi * og, i0, false);
          }
          if (gw) {
            if (colB) for (let j = 0; j < s; j++) K.im2col(xSlice(input.data, i0 + j, gi), cg, g, colB.subarray(j * l), s * l);
            // The first chunk writes a fresh gradient (β from the sink), the others add to it.
            K.gemm(false, true, og, kk, s * l, 1, gs, colB ? colB.subarray(0, kk * s * l) : xSlice(input.data, i0, gi), i0 === 0 ? gw.beta : 1, wSlice(gw.data, gi));
          }
          if (gx) {
            if (gcol) {
              K.gemm(true, false, kk, s * l, og, 1, wSlice(weight.data, gi), gs, 0, gcol.subarray(0, kk * s * l));
              for (let j = 0; j < s; j++) K.col2im(gcol.subarray(j * l), cg, g, xSlice(gx, i0 + j, gi), s * l);
            } else K.gemm(true, false, kk, l, og, 1, wSlice(weight.data, gi), gs, 1, xSlice(gx, i0, gi));
          }
        }
      }
      if (colB) K.free(colB);
      if (gcol) K.free(gcol);
      if (gt) K.free(gt);
    }
    const gb = bias ? grad.target(2) : null;
    if (gb) biasGradient(gy, n, o, l, gb, input.dtype);
  });
}

/** ∂L/∂b[o] = Σ_{n, y, x} ∂L/∂y[n, o, y, x] into the bias's sink: Σ over positions per (sample, channel), then over samples. */
function biasGradient(gy: Tensor['data'], n: number, o: number, l: number, gb: GradTarget, dtype: Tensor['dtype']): void {
  const perSample = alloc(n * o, dtype, false);
  K.sumAxis(gy, n * o, l, 1, perSample);
  if (gb.beta === 0) K.sumAxis(perSample, 1, n, o, gb.data);
  else {
    const sums = alloc(o, dtype, false);
    K.sumAxis(perSample, 1, n, o, sums);
    K.axpy(1, sums, gb.data);
    K.free(sums);
  }
  K.free(perSample);
}

/** conv2d, one group, by the fused per-sample kernels (see the file's comment). */
function perSampleConv2d(input: Tensor, weight: Tensor, bias: Tensor | null, g: Window2d, out: Tensor): Tensor {
  const [n, c] = input.shape;
  const o = weight.shape[0];
  K.convForward(input.data, n, c, g, weight.data, o, bias ? bias.data : null, out.data);
  const inputs = bias ? [input, weight, bias] : [input, weight];
  return record(out, 'conv2d', inputs, (gy, grad) => {
    const gx = grad.target(0);
    const gw = grad.target(1);
    const gb = bias ? grad.target(2) : null;
    // The bias gradient in the weight gradient's pass over ∂y when both are wanted.
    if (gw) K.convBackwardWeight(gy, input.data, n, c, g, o, gw.data, gw.beta, gb ? gb.data : null, gb ? gb.beta : 0);
    else if (gb) biasGradient(gy, n, o, g.oh * g.ow, gb, input.dtype);
    if (gx) K.convBackwardData(gy, n, c, g, weight.data, o, gx.data, gx.beta);
  });
}
