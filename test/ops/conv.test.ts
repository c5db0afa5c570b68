/**
 * ops.conv2d, ops.maxPool2d, ops.avgPool2d, ops.adaptiveAvgPool2d and ops.batchNorm on
 * [N, C, H, W] against PyTorch 1.13 (test/fixtures/make_conv_fixtures.py → conv_ops.json): stride,
 * padding ('same' with an even kernel too), dilation, groups, bias, odd sizes; finite differences
 * in float64; bad input.
 */
import { expect, it } from 'vitest';
import { nn, ops, tensor, type Tensor } from '../../src/index.js';
import { K, getBackend, setBackend } from '../../src/kernels/index.js';
import { reference } from '../../src/kernels/reference.js';
import { BACKENDS, checkOp, describeEachBackend, expectClose, filled } from '../helpers/check.js';

const conv2dCall = (a: Record<string, any>) => (x: Tensor, w: Tensor, b?: Tensor) => ops.conv2d(x, w, b ?? null, a.stride ?? 1, a.padding ?? 0, a.dilation ?? 1, a.groups ?? 1);

// 3×3, stride 1, between ≥ 16 planes: on the wasm backends, Winograd F(2×2, 3×3) forward and
// input gradient (winogradFits in src/kernels/wasm/backend.ts). 144–180 terms per output of
// magnitude ≈ 0.25 (k·u·max|term| ≈ 6e-6), and the transforms add a few roundings more.
checkOp({
  title: 'ops.conv2d (Winograd shapes)',
  file: 'conv_ops.json',
  prefix: 'conv2dWinograd/',
  call: conv2dCall,
  atol: 1e-5,
  // Their float64 gradients run the reference kernels, checked by finite differences below.
  finiteDifferences: false,
});

checkOp({
  title: 'ops.conv2d',
  file: 'conv_ops.json',
  prefix: 'conv2d/',
  call: conv2dCall,
  // Up to 27 terms per output and 60 per weight-gradient element, of magnitude ≈ 1: k·u ≈ 2e-6
  // at worst (measured: 2.7e-7 on an output of 0.008 where PyTorch itself is off by 8e-8).
  atol: 1e-6,
  bad: [
    { what: 'a 3-D input', run: () => ops.conv2d(filled([3, 5, 5]), filled([2, 3, 3, 3])), mentions: ['conv2d', '[N, C, H, W]', '[3, 5, 5]'] },
    { what: 'a 2-D weight', run: () => ops.conv2d(filled([1, 3, 5, 5]), filled([2, 27])), mentions: ['conv2d', 'weight', '[2, 27]'] },
    {
      what: 'a channel mismatch',
      run: () => ops.conv2d(filled([1, 3, 5, 5]), filled([2, 4, 3, 3])),
      mentions: ['conv2d', '[1, 3, 5, 5]', '3 channels', '[2, 4, 3, 3]', 'expects 4'],
    },
    {
      what: 'input channels not divisible by groups',
      run: () => ops.conv2d(filled([1, 3, 5, 5]), filled([2, 1, 3, 3]), null, 1, 0, 1, 2),
      mentions: ['conv2d', 'input channels 3', 'groups 2'],
    },
    {
      what: 'output channels not divisible by groups',
      run: () => ops.conv2d(filled([1, 4, 5, 5]), filled([3, 2, 3, 3]), null, 1, 0, 1, 2),
      mentions: ['conv2d', 'output channels 3', 'groups 2'],
    },
    {
      what: 'a kernel larger than the padded input',
      run: () => ops.conv2d(filled([1, 1, 3, 3]), filled([1, 1, 5, 5]), null, 1, 0),
      mentions: ['conv2d', 'kernel 5×5', 'padded input 3×3', '[1, 1, 3, 3]', 'empty'],
    },
    {
      what: 'a dilated kernel larger than the padded input',
      run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 1, 0, 2),
      mentions: ['conv2d', 'dilation 2×2', '5×5 effective', '4×4'],
    },
    { what: 'a bias of the wrong size', run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([2, 1, 3, 3]), filled([3])), mentions: ['bias', '[3]', 'expected [2]'] },
    { what: 'stride 0', run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 0), mentions: ['conv2d', 'stride', '0'] },
    { what: 'a negative padding', run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 1, [1, -1]), mentions: ['padding', '[1,-1]'] },
    { what: 'an unknown padding mode', run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 1, 'full' as 'same'), mentions: ['padding', "'full'", "'same'"] },
    { what: "'same' with stride 2", run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 2, 'same'), mentions: ["'same'", 'stride 1'] },
    { what: 'groups 0', run: () => ops.conv2d(filled([1, 1, 4, 4]), filled([1, 1, 3, 3]), null, 1, 0, 1, 0), mentions: ['groups', '0'] },
  ],
});

checkOp({
  title: 'ops.maxPool2d',
  file: 'conv_ops.json',
  prefix: 'maxPool2d/',
  call: (a) => (x) => ops.maxPool2d(x, a.kernel_size, a.stride ?? null, a.padding ?? 0, a.dilation ?? 1),
  bad: [
    { what: 'a 2-D input', run: () => ops.maxPool2d(filled([4, 4]), 2), mentions: ['maxPool2d', '[N, C, H, W]', '[4, 4]'] },
    { what: 'a kernel larger than the input', run: () => ops.maxPool2d(filled([1, 1, 3, 3]), 4), mentions: ['maxPool2d', 'kernel 4×4', '3×3', 'empty'] },
    { what: 'padding more than half the kernel', run: () => ops.maxPool2d(filled([1, 1, 6, 6]), 2, 2, 2), mentions: ['maxPool2d', 'padding 2×2', 'half', '2×2'] },
    { what: 'kernel size 0', run: () => ops.maxPool2d(filled([1, 1, 6, 6]), 0), mentions: ['maxPool2d', 'kernelSize', '0'] },
    { what: 'a ceilMode that is not a boolean', run: () => ops.maxPool2d(filled([1, 1, 6, 6]), 2, 2, 0, 1, 'yes' as never), mentions: ['maxPool2d', 'ceilMode', 'yes'] },
    { what: 'returnIndices true in nn.MaxPool2d', run: () => new nn.MaxPool2d(2, 2, 0, 1, true as never), mentions: ['MaxPool2d', 'returnIndices', 'true'] },
  ],
});

checkOp({
  title: 'ops.avgPool2d',
  file: 'conv_ops.json',
  prefix: 'avgPool2d/',
  call: (a) => (x) => ops.avgPool2d(x, a.kernel_size, a.stride ?? null, a.padding ?? 0),
  bad: [
    { what: 'a 3-D input', run: () => ops.avgPool2d(filled([1, 4, 4]), 2), mentions: ['avgPool2d', '[N, C, H, W]', '[1, 4, 4]'] },
    { what: 'a kernel larger than the padded input', run: () => ops.avgPool2d(filled([1, 1, 2, 5]), 3, 1, 0), mentions: ['avgPool2d', 'kernel 3×3', '2×5'] },
    { what: 'a stride pair of the wrong length', run: () => ops.avgPool2d(filled([1, 1, 4, 4]), 2, [1, 2, 3] as unknown as [number, number]), mentions: ['stride', '[1,2,3]'] },
    { what: 'divisorOverride 0', run: () => ops.avgPool2d(filled([1, 1, 4, 4]), 2, 2, 0, false, true, 0), mentions: ['avgPool2d', 'divisorOverride', '0'] },
    { what: 'a countIncludePad that is not a boolean', run: () => ops.avgPool2d(filled([1, 1, 4, 4]), 2, 2, 0, false, 0 as never), mentions: ['avgPool2d', 'countIncludePad'] },
    { what: 'a fractional divisorOverride in nn.AvgPool2d', run: () => new nn.AvgPool2d(2, { divisorOverride: 2.5 }), mentions: ['AvgPool2d', 'divisorOverride', '2.5'] },
  ],
});

checkOp({
  title: 'ops.adaptiveAvgPool2d',
  file: 'conv_ops.json',
  prefix: 'adaptiveAvgPool2d/',
  call: (a) => (x) => ops.adaptiveAvgPool2d(x, a.output_size),
  bad: [
    { what: 'a 2-D input', run: () => ops.adaptiveAvgPool2d(filled([4, 4]), 2), mentions: ['adaptiveAvgPool2d', '[N, C, H, W]', '[4, 4]'] },
    { what: 'an output size of 0', run: () => ops.adaptiveAvgPool2d(filled([1, 1, 4, 4]), 0), mentions: ['adaptiveAvgPool2d', 'outputSize', '0'] },
  ],
});

checkOp({
  title: 'ops.batchNorm [N, C, H, W]',
  file: 'conv_ops.json',
  prefix: 'batchNorm/',
  call: (a) => (x, rm, rv, w, b) => ops.batchNorm(x, rm ?? null, rv ?? null, w ?? null, b ?? null, a.training, a.momentum, a.eps),
  bad: [
    { what: 'a 5-D input', run: () => ops.batchNorm(filled([2, 2, 2, 2, 2]), null, null, null, null, true), mentions: ['[N, C, H, W]', '[2, 2, 2, 2, 2]'] },
    {
      what: 'one value per channel in training',
      run: () => ops.batchNorm(filled([1, 3, 1, 1]), null, null, null, null, true),
      mentions: ['[1, 3, 1, 1]', 'more than 1 value per channel'],
    },
  ],
});

describeEachBackend('ops.maxPool2d ties and NaN', () => {
  it('picks the same maximum as the reference kernels (first in window order; a NaN wins), with and without padding', () => {
    // Integer values (many ties) and two NaNs; the reference is checked against PyTorch's ties above.
    const values = Array.from({ length: 2 * 3 * 6 * 7 }, (_, i) => ((i * 7) % 5) - 2);
    values[10] = NaN;
    values[100] = NaN;
    for (const [k, s, p] of [
      [2, 2, 0],
      [3, 2, 1],
      [3, 1, 0],
    ] as const) {
      const run = () => {
        const x = tensor(values, [2, 3, 6, 7], { requiresGrad: true });
        const y = ops.maxPool2d(x, k, s, p);
        y.backward(tensor(Array.from({ length: y.size }, (_, i) => i + 1), y.shape));
        return [Array.from(y.data), Array.from(x.grad!.data)];
      };
      const got = run();
      const active = getBackend();
      setBackend(reference);
      const want = run();
      setBackend(BACKENDS.find((b) => b.name === active)!);
      expect(got, `k=${k} s=${s} p=${p}`).toEqual(want);
    }
  });
});

describeEachBackend('ops.batchNorm [N, C, H, W] accumulating into a gradient', () => {
  it('an input normalised twice gets the sum of both gradients (as the reference kernels), train and eval', () => {
    for (const training of [true, false]) {
      const run = () => {
        const x = tensor(Array.from({ length: 3 * 2 * 5 * 3 }, (_, i) => Math.sin(1.3 * i) * (1 + (i % 4))), [3, 2, 5, 3], { requiresGrad: true });
        const w = tensor([0.8, 1.3], [2], { requiresGrad: true });
        const rm = tensor([0.1, -0.2], [2]);
        const rv = tensor([0.9, 1.4], [2]);
        const y = ops.add(ops.batchNorm(x, rm, rv, w, null, training), ops.mul(ops.batchNorm(x, rm, rv, null, null, training), 0.5));
        y.backward(tensor(Array.from({ length: y.size }, (_, i) => Math.cos(i)), y.shape));
        return [x.grad!.data, w.grad!.data];
      };
      const [gx, gw] = run();
      const active = getBackend();
      setBackend(reference);
      const [rx, rw] = run();
      setBackend(BACKENDS.find((b) => b.name === active)!);
      expectClose(gx, rx, `grad x (${training ? 'train' : 'eval'})`, { atol: 1e-6 });
      expectClose(gw, rw, `grad w (${training ? 'train' : 'eval'})`);
    }
  });
});

describeEachBackend('ops.conv2d in chunks of samples', () => {
  it('a batch larger than one im2col chunk (9 samples of 8×64×64, 2 filters 3×3: chunks of 7 and 2) equals sample-by-sample convolution, values and gradients', () => {
    const [n, c, h, w, o] = [9, 8, 64, 64, 2];
    const xs = Array.from({ length: n * c * h * w }, (_, i) => Math.sin(0.37 * i));
    const ws = Array.from({ length: o * c * 9 }, (_, i) => 0.1 * Math.cos(1.1 * i));
    const gys = Array.from({ length: n * o * h * w }, (_, i) => Math.sin(0.011 * i + 1));
    const x = tensor(xs, [n, c, h, w], { requiresGrad: true });
    const wt = tensor(ws, [o, c, 3, 3], { requiresGrad: true });
    const b = tensor([0.1, -0.2], [o], { requiresGrad: true });
    const y = ops.conv2d(x, wt, b, 1, 1);
    y.backward(tensor(gys, y.shape));
    const per = c * h * w;
    const gwSum = new Float64Array(wt.size);
    for (let i = 0; i < n; i++) {
      const xi = tensor(xs.slice(i * per, (i + 1) * per), [1, c, h, w], { requiresGrad: true });
      const wi = tensor(ws, [o, c, 3, 3], { requiresGrad: true });
      const yi = ops.conv2d(xi, wi, tensor([0.1, -0.2], [o]), 1, 1);
      yi.backward(tensor(gys.slice(i * o * h * w, (i + 1) * o * h * w), yi.shape));
      expectClose(y.data.subarray(i * o * h * w, (i + 1) * o * h * w), yi.data, `output of sample ${i}`, { atol: 1e-6 });
      expectClose(x.grad!.data.subarray(i * per, (i + 1) * per), xi.grad!.data, `input gradient of sample ${i}`, { atol: 1e-6 });
      wi.grad!.data.forEach((v, k) => (gwSum[k] += v));
    }
    expectClose(wt.grad!.data, gwSum, 'weight gradient', { rtol: 1e-4, atol: 1e-4 });
  });
});

describeEachBackend('ops.conv2d through the per-sample kernels (one group, a large product per sample)', () => {
  /**
   * y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x[n, c, i·s − pad + p·d, j·s − pad + q·d], and its
   * adjoints ∂x, ∂W, ∂b for a given ∂y, as plain float64 loops (the definition, independent of im2col).
   */
  function direct(xs: number[], shape: number[], ws: number[], o: number, k: number, s: number, pad: number, d: number, bs: number[], gys: number[]) {
    const [n, c, h, w] = shape;
    const oh = Math.floor((h + 2 * pad - d * (k - 1) - 1) / s) + 1, ow = Math.floor((w + 2 * pad - d * (k - 1) - 1) / s) + 1;
    const y = new Float64Array(n * o * oh * ow), gx = new Float64Array(xs.length), gw = new Float64Array(ws.length), gb = new Float64Array(o);
    for (let b = 0; b < n; b++)
      for (let oc = 0; oc < o; oc++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            const yi = ((b * o + oc) * oh + i) * ow + j;
            let sum = bs[oc];
            for (let ci = 0; ci < c; ci++)
              for (let p = 0; p < k; p++)
                for (let q = 0; q < k; q++) {
                  const r = i * s - pad + p * d, t = j * s - pad + q * d;
                  if (r < 0 || r >= h || t < 0 || t >= w) continue;
                  const xi = ((b * c + ci) * h + r) * w + t, wi = ((oc * c + ci) * k + p) * k + q;
                  sum += ws[wi] * xs[xi];
                  gx[xi] += ws[wi] * gys[yi];
                  gw[wi] += xs[xi] * gys[yi];
                }
            y[yi] = sum;
            gb[oc] += gys[yi];
          }
    return { y, gx, gw, gb, oh, ow };
  }
  for (const [n, c, h, w, o, k, s, pad, d] of [[3, 16, 16, 16, 32, 3, 1, 1, 1], [2, 16, 21, 19, 80, 3, 2, 1, 1], [2, 9, 18, 18, 48, 3, 1, 2, 2]]) {
    it(`[${n}, ${c}, ${h}, ${w}] by ${o} filters ${k}×${k}, stride ${s}, padding ${pad}, dilation ${d}: values and gradients equal the definition (float64 loops), twice in a row`, () => {
      const xs = Array.from({ length: n * c * h * w }, (_, i) => Math.sin(0.37 * i));
      const ws = Array.from({ length: o * c * k * k }, (_, i) => 0.2 * Math.cos(1.1 * i));
      const bs = Array.from({ length: o }, (_, i) => 0.1 * i - 0.5);
      const ref = direct(xs, [n, c, h, w], ws, o, k, s, pad, d, bs, []);
      const gys = Array.from({ length: ref.y.length }, (_, i) => Math.sin(0.011 * i + 1));
      const want = direct(xs, [n, c, h, w], ws, o, k, s, pad, d, bs, gys);
      // The product per sample is past SMALL_PRODUCT (2^20 multiply-adds): the per-sample kernels.
      expect(o * c * k * k * want.oh * want.ow).toBeGreaterThanOrEqual(1 << 20);
      const x = tensor(xs, [n, c, h, w], { requiresGrad: true });
      const wt = tensor(ws, [o, c, k, k], { requiresGrad: true });
      const b = tensor(bs, [o], { requiresGrad: true });
      // Two steps as a training loop runs them, gradients starting fresh each time.
      for (let step = 0; step < 2; step++) {
        x.grad = wt.grad = b.grad = null;
        const y = ops.conv2d(x, wt, b, s, pad, d);
        expect(y.shape).toEqual([n, o, want.oh, want.ow]);
        y.backward(tensor(gys, y.shape));
        expectClose(y.data, want.y, `output, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
        expectClose(x.grad!.data, want.gx, `input gradient, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
        expectClose(wt.grad!.data, want.gw, `weight gradient, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
        expectClose(b.grad!.data, want.gb, `bias gradient, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
      }
    });
  }
  for (const [n, c, h, w, o] of [[4, 1, 28, 28, 32], [3, 3, 13, 11, 8]]) {
    it(`a first layer [${n}, ${c}, ${h}, ${w}] by ${o} filters 3×3, padding 1 (smallConv: direct kernels on wasm): values, ∂W and ∂b equal the definition; an input without a gradient gets no ∂x pass`, () => {
      const xs = Array.from({ length: n * c * h * w }, (_, i) => Math.sin(0.37 * i));
      const ws = Array.from({ length: o * c * 9 }, (_, i) => 0.2 * Math.cos(1.1 * i));
      const bs = Array.from({ length: o }, (_, i) => 0.1 * i - 0.5);
      const gys = Array.from({ length: n * o * h * w }, (_, i) => Math.sin(0.011 * i + 1));
      const want = direct(xs, [n, c, h, w], ws, o, 3, 1, 1, 1, bs, gys);
      const B = K;
      const calls = { data: 0, weight: 0 };
      const { convBackwardData, convBackwardWeight } = B;
      B.convBackwardData = (...a) => (calls.data++, convBackwardData.apply(B, a));
      B.convBackwardWeight = (...a) => (calls.weight++, convBackwardWeight.apply(B, a));
      try {
        const x = tensor(xs, [n, c, h, w]);
        const wt = tensor(ws, [o, c, 3, 3], { requiresGrad: true });
        const b = tensor(bs, [o], { requiresGrad: true });
        for (let step = 0; step < 2; step++) {
          wt.grad = b.grad = null;
          const y = ops.conv2d(x, wt, b, 1, 1);
          y.backward(tensor(gys, y.shape));
          expectClose(y.data, want.y, `output, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
          expectClose(wt.grad!.data, want.gw, `weight gradient, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
          expectClose(b.grad!.data, want.gb, `bias gradient, step ${step}`, { rtol: 1e-5, atol: 1e-5 });
          expect(x.grad).toBeNull();
        }
      } finally {
        B.convBackwardData = convBackwardData;
        B.convBackwardWeight = convBackwardWeight;
      }
      expect(calls).toEqual({ data: 0, weight: 2 });
    });
  }
  it('an input without a gradient, and a second backward through a kept graph (retainGraph), add as PyTorch does', () => {
    const [n, c, h, w, o] = [2, 16, 16, 16, 32];
    const x = tensor(Array.from({ length: n * c * h * w }, (_, i) => Math.cos(0.3 * i)), [n, c, h, w]);
    const wt = tensor(Array.from({ length: o * c * 9 }, (_, i) => 0.1 * Math.sin(0.7 * i)), [o, c, 3, 3], { requiresGrad: true });
    const y = ops.conv2d(x, wt, null, 1, 1);
    const g = tensor(Array.from({ length: y.size }, (_, i) => Math.sin(0.05 * i)), y.shape);
    y.backward(g, { retainGraph: true });
    const once = Float64Array.from(wt.grad!.data);
    y.backward(g);
    expectClose(wt.grad!.data, once.map((v) => 2 * v), 'weight gradient after two backwards', { rtol: 1e-6, atol: 1e-6 });
    expect(x.grad).toBeNull();
  });
});
