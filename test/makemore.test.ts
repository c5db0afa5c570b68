// Karpathy's "Building makemore Part 3: Activations & Gradients, BatchNorm", ported line by line as
// a PyTorch user would: the from-scratch MLP with a hand-written batch norm, the diagnostics the
// lecture draws (saturation, dead units, activation and gradient statistics, histograms, grad:data
// and update:data ratios), and "PyTorch-ifying" it with user-written Linear/BatchNorm1d/Tanh classes.
// Reference values: test/fixtures/makemore.py (PyTorch 1.13) runs the notebook with its seeds;
// gradlab's Generator draws other numbers, so the notebook's initial tensors and batch indices come
// from torch_pt/makemore.pt and everything computed from them is compared. The lecture's claims are
// then checked on gradlab's own draws. examples/makemore.mjs is the same port as a script.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Generator, multinomial, noGrad, ones, ops as F, randint, randn, tensor, zeros, type Tensor } from '../src/index.js';
import { loadTorchFile } from '../src/node.js';

const REF = JSON.parse(readFileSync(new URL('./fixtures/makemore.json', import.meta.url), 'utf8'));
const PT = new URL('./fixtures/torch_pt/makemore.pt', import.meta.url).pathname;

const rel = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);
const expectRel = (got: number, want: number, tol: number, what: string) => expect(rel(got, want), `${what}: ${got} vs PyTorch ${want}`).toBeLessThanOrEqual(tol);
const expectAllRel = (got: number[], want: number[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  got.forEach((g, i) => expectRel(g, want[i], tol, `${what}[${i}]`));
};

// ---- the data: a synthetic word list (test/fixtures/makemore.py's make_words) -----------------------
const SYLLABLES = ['ka', 'ri', 'an', 'na', 'el', 'la', 'mo', 'jo', 'se', 'ly', 'ch', 'ar', 'de', 'mi', 'to', 've', 'sa', 'ry', 'be', 'lu', 'zo', 'qu', 'ix', 'on', 'ha', 'ne', 'wy', 'fi', 'gu', 'pe'];
function wordsOf(n = 400, s = 12345): string[] {
  const words: string[] = [];
  for (let k = 0; k < n; k++) {
    s = (s * 48271) % 2147483647;
    const m = 2 + (s % 3);
    let w = '';
    for (let j = 0; j < m; j++) {
      s = (s * 48271) % 2147483647;
      w += SYLLABLES[s % SYLLABLES.length];
    }
    words.push(w);
  }
  return words;
}

const words = wordsOf();
const chars = [...new Set(words.join(''))].sort();
const stoi: Record<string, number> = {};
chars.forEach((s, i) => (stoi[s] = i + 1));
stoi['.'] = 0;
const itos: Record<number, string> = {};
for (const [s, i] of Object.entries(stoi)) itos[i] = s;
const vocabSize = Object.keys(itos).length;
const blockSize = 3;

function buildDataset(words: string[]): [Tensor, Tensor] {
  const X: number[][] = [];
  const Y: number[] = [];
  for (const w of words) {
    let context = new Array(blockSize).fill(0);
    for (const ch of w + '.') {
      const ix = stoi[ch];
      X.push(context);
      Y.push(ix);
      context = [...context.slice(1), ix];
    }
  }
  return [tensor(X), tensor(Y)];
}

const n1 = Math.floor(0.8 * words.length);
const n2 = Math.floor(0.9 * words.length);
const [Xtr, Ytr] = buildDataset(words.slice(0, n1));
const [Xdev, Ydev] = buildDataset(words.slice(n1, n2));
const [Xte, Yte] = buildDataset(words.slice(n2));

// ---- part 1: the MLP with a hand-written batch norm ---------------------------------------------------
const nEmbd = 10;
const nHidden = 200;
const batchSize = 32;

interface Part1Init { C: Tensor; W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** The notebook's draws, with gradlab's Generator. `fixed` false: the lecture's first, unscaled init. */
function drawPart1(g: Generator, fixed = true): Part1Init {
  const C = randn([vocabSize, nEmbd], { generator: g });
  const W1 = fixed ? randn([nEmbd * blockSize, nHidden], { generator: g }).mul((5 / 3) / (nEmbd * blockSize) ** 0.5) : randn([nEmbd * blockSize, nHidden], { generator: g });
  const b1 = fixed ? randn([nHidden], { generator: g }).mul(0.01) : randn([nHidden], { generator: g });
  const W2 = fixed ? randn([nHidden, vocabSize], { generator: g }).mul(0.01) : randn([nHidden, vocabSize], { generator: g });
  const b2 = fixed ? randn([vocabSize], { generator: g }).mul(0) : randn([vocabSize], { generator: g });
  return { C, W1, b1, W2, b2 };
}

function trainPart1(init: Part1Init, maxSteps: number, nextBatch: (i: number) => Tensor, { batchnorm = true } = {}) {
  const { C, W1, b1, W2, b2 } = init;
  const bngain = ones([1, nHidden]);
  const bnbias = zeros([1, nHidden]);
  let bnmeanRunning = zeros([1, nHidden]);
  let bnstdRunning = ones([1, nHidden]);
  const parameters = batchnorm ? [C, W1, b1, W2, b2, bngain, bnbias] : [C, W1, b1, W2, b2];
  for (const p of parameters) p.requiresGrad = true;

  const lossi: number[] = [];
  const losses: number[] = [];
  const ud: number[][] = [];
  let first: Record<string, unknown> = {};
  for (let i = 0; i < maxSteps; i++) {
    const ix = nextBatch(i);
    const [Xb, Yb] = [Xtr.index(ix), Ytr.index(ix)];
    const emb = C.index(Xb);
    const embcat = emb.view(emb.shape[0], -1);
    let hpreact = embcat.matmul(W1).add(b1);
    if (batchnorm) {
      const bnmeani = hpreact.mean(0, { keepdim: true });
      const bnstdi = hpreact.std(0, { keepdim: true });
      hpreact = bngain.mul(hpreact.sub(bnmeani)).div(bnstdi).add(bnbias);
      noGrad(() => {
        bnmeanRunning = bnmeanRunning.mul(0.999).add(bnmeani.mul(0.001));
        bnstdRunning = bnstdRunning.mul(0.999).add(bnstdi.mul(0.001));
      });
    }
    const h = F.tanh(hpreact);
    h.retainGrad();
    const logits = h.matmul(W2).add(b2);
    const loss = F.crossEntropy(logits, Yb);
    for (const p of parameters) p.grad = null;
    loss.backward();
    if (i === 0) {
      const [hy, hx] = F.histogram(h.detach(), { density: true });
      first = {
        loss: loss.item(),
        saturated: h.abs().gt(0.99).float().mean().item(),
        deadMask: h.abs().gt(0.99).all(0),
        dead: h.abs().gt(0.99).all(0).sum().item(),
        h: h.detach(),
        hMean: h.mean().item(), hStd: h.std().item(),
        hpreactMean: hpreact.mean().item(), hpreactStd: hpreact.std().item(),
        hgradMean: h.grad!.mean().item(), hgradStd: h.grad!.std().item(),
        hy: hy.tolist(), hx: hx.tolist(),
        gradData: parameters.filter((p) => p.ndim === 2 && p.shape[0] > 1).map((p) => p.grad!.std().div(p.std()).item()),
      };
    }
    const lr = i < 100000 ? 0.1 : 0.01;
    for (const p of parameters) p.data.add_(p.grad!, { alpha: -lr }); // p.data += -lr * p.grad
    losses.push(loss.item());
    lossi.push(loss.log10().item());
    noGrad(() => ud.push(parameters.map((p) => p.grad!.mul(lr).std().div(p.std()).log10().item())));
  }

  // @torch.no_grad() def split_loss(split)
  const splitLoss = (split: 'train' | 'val' | 'test', mean: Tensor, std: Tensor) => noGrad(() => {
    const [x, y] = { train: [Xtr, Ytr], val: [Xdev, Ydev], test: [Xte, Yte] }[split];
    const emb = C.index(x);
    const embcat = emb.view(emb.shape[0], -1);
    let hpreact = embcat.matmul(W1).add(b1);
    hpreact = bngain.mul(hpreact.sub(mean)).div(std).add(bnbias);
    const h = F.tanh(hpreact);
    const logits = h.matmul(W2).add(b2);
    return F.crossEntropy(logits, y).item();
  });
  // Calibrate the batch norm at the end of training.
  const [bnmean, bnstd] = noGrad(() => {
    const emb = C.index(Xtr);
    const embcat = emb.view(emb.shape[0], -1);
    const hpreact = embcat.matmul(W1).add(b1);
    return [hpreact.mean(0, { keepdim: true }), hpreact.std(0, { keepdim: true })];
  });
  return { first, losses, lossi, ud, bnmeanRunning, bnstdRunning, splitLoss, bnmean, bnstd, parameters };
}

// ---- part 2: PyTorch-ifying the code --------------------------------------------------------------------
class Linear {
  weight: Tensor;
  bias: Tensor | null;
  out!: Tensor;
  constructor(fanIn: number, fanOut: number, { bias = true, generator }: { bias?: boolean; generator: Generator }) {
    this.weight = randn([fanIn, fanOut], { generator }).div(fanIn ** 0.5);
    this.bias = bias ? zeros(fanOut) : null;
  }
  call(x: Tensor): Tensor {
    this.out = x.matmul(this.weight);
    if (this.bias !== null) this.out.add_(this.bias); // self.out += self.bias
    return this.out;
  }
  parameters(): Tensor[] {
    return [this.weight, ...(this.bias === null ? [] : [this.bias])];
  }
}

class BatchNorm1d {
  eps: number;
  momentum: number;
  training = true;
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  out!: Tensor;
  constructor(dim: number, eps = 1e-5, momentum = 0.1) {
    this.eps = eps;
    this.momentum = momentum;
    this.gamma = ones(dim);
    this.beta = zeros(dim);
    this.runningMean = zeros(dim);
    this.runningVar = ones(dim);
  }
  call(x: Tensor): Tensor {
    let xmean: Tensor;
    let xvar: Tensor;
    if (this.training) {
      xmean = x.mean(0, { keepdim: true });
      xvar = x.var(0, { keepdim: true });
    } else {
      xmean = this.runningMean;
      xvar = this.runningVar;
    }
    const xhat = x.sub(xmean).div(xvar.add(this.eps).sqrt());
    this.out = this.gamma.mul(xhat).add(this.beta);
    if (this.training) {
      noGrad(() => {
        this.runningMean = this.runningMean.mul(1 - this.momentum).add(xmean.mul(this.momentum));
        this.runningVar = this.runningVar.mul(1 - this.momentum).add(xvar.mul(this.momentum));
      });
    }
    return this.out;
  }
  parameters(): Tensor[] {
    return [this.gamma, this.beta];
  }
}

class Tanh {
  out!: Tensor;
  call(x: Tensor): Tensor {
    this.out = F.tanh(x);
    return this.out;
  }
  parameters(): Tensor[] {
    return [];
  }
}

type Layer = Linear | BatchNorm1d | Tanh;
const nHidden2 = 64;
const dims = [nEmbd * blockSize, nHidden2, nHidden2, nHidden2, nHidden2, nHidden2, vocabSize];

/** The 6-layer stack, scaled as the lecture does; `weights` replace the Linear layers' own draws. */
function buildStack(g: Generator, bn: boolean, gain: number, weights?: Tensor[]): Layer[] {
  const layers: Layer[] = [];
  for (let k = 0; k < 6; k++) {
    const lin = new Linear(dims[k], dims[k + 1], { bias: false, generator: g });
    if (weights) lin.weight = weights[k].clone();
    layers.push(lin);
    if (bn) layers.push(new BatchNorm1d(dims[k + 1]));
    if (k < 5) layers.push(new Tanh());
  }
  noGrad(() => {
    const last = layers[layers.length - 1];
    if (last instanceof BatchNorm1d) last.gamma.mul_(0.1);
    else (last as Linear).weight.mul_(0.1);
    for (const layer of layers.slice(0, -1)) if (layer instanceof Linear) layer.weight.mul_(gain);
  });
  return layers;
}

function stats(layers: Layer[], parameters: Tensor[]) {
  const acts: number[][] = [];
  const grads: number[][] = [];
  layers.slice(0, -1).forEach((layer, i) => {
    if (layer instanceof Tanh) {
      let t = layer.out;
      acts.push([i, t.mean().item(), t.std().item(), t.abs().gt(0.97).float().mean().mul(100).item()]);
      t = layer.out.grad!;
      grads.push([i, t.mean().item(), t.std().item()]);
    }
  });
  const weights: unknown[][] = [];
  for (const p of parameters) {
    const t = p.grad!;
    if (p.ndim === 2) weights.push([p.shape, t.mean().item(), t.std().item(), t.std().div(p.std()).item()]);
  }
  return { acts, grads, weights: weights as [number[], number, number, number][] };
}

function trainStack(C: Tensor, layers: Layer[], steps: number, nextBatch: (i: number) => Tensor) {
  const parameters = [C, ...layers.flatMap((layer) => layer.parameters())];
  for (const p of parameters) p.requiresGrad = true;
  const lossi: number[] = [];
  const ud: number[][] = [];
  let init: ReturnType<typeof stats> | null = null;
  for (let i = 0; i < steps; i++) {
    const ix = nextBatch(i);
    const [Xb, Yb] = [Xtr.index(ix), Ytr.index(ix)];
    const emb = C.index(Xb);
    let x = emb.view(emb.shape[0], -1);
    for (const layer of layers) x = layer.call(x);
    const loss = F.crossEntropy(x, Yb);
    for (const layer of layers) layer.out.retainGrad();
    for (const p of parameters) p.grad = null;
    loss.backward();
    if (i === 0) init = stats(layers, parameters);
    const lr = 0.1;
    for (const p of parameters) p.data.add_(p.grad!, { alpha: -lr });
    lossi.push(loss.log10().item());
    noGrad(() => ud.push(parameters.map((p) => p.grad!.mul(lr).std().div(p.std()).log10().item())));
  }
  return { init: init!, last: stats(layers, parameters), lossi, ud, parameters };
}

const CONFIGS: Array<[string, boolean, number]> = [['bn_5/3', true, 5 / 3], ['nobn_5/3', false, 5 / 3], ['nobn_1', false, 1], ['nobn_0.5', false, 0.5], ['nobn_3', false, 3]];

describe('makemore part 3 (Karpathy), against PyTorch 1.13 from the same initial tensors', () => {
  it('the dataset: stoi/itos, block_size-3 contexts built with plain arrays, torch.tensor(X)', () => {
    expect(vocabSize).toBe(REF.vocab_size);
    expect([Xtr.shape[0], Xdev.shape[0], Xte.shape[0]]).toEqual([REF.ntr, REF.ndev, REF.nte]);
    expect(Xtr.shape).toEqual([REF.ntr, 3]);
    expect(Xtr.narrow(0, 0, 12).tolist()).toEqual(REF.xtr_head);
    expect(Ytr.narrow(0, 0, 12).tolist()).toEqual(REF.ytr_head);
  });

  it('part 1: losses, lossi (log10), split losses (running and calibrated batch norm), update ratios and the init diagnostics', async () => {
    const saved = (await loadTorchFile(PT)).object as Record<string, Tensor>;
    const ix1 = saved.ix1;
    const init: Part1Init = { C: saved.C, W1: saved.W1, b1: saved.b1, W2: saved.W2, b2: saved.b2 };
    const steps = REF.part1.losses.length;
    const run = trainPart1(init, steps, (i) => ix1.select(0, i));
    const ref = REF.init;
    const f = run.first as Record<string, number & number[]>;
    expectRel(f.loss, ref.loss, 1e-5, 'loss at init');
    expect(Math.abs(f.saturated - ref.saturated)).toBeLessThanOrEqual(1 / (batchSize * nHidden));
    expect(f.dead).toBe(ref.dead);
    expectRel(f.hMean, ref.h_mean, 1e-3, 'h.mean()');
    expectRel(f.hStd, ref.h_std, 1e-4, 'h.std()');
    expect(Math.abs(f.hpreactMean - ref.hpreact_mean)).toBeLessThan(1e-5);
    expectRel(f.hpreactStd, ref.hpreact_std, 1e-4, 'hpreact.std()');
    expect(Math.abs(f.hgradMean - ref.hgrad_mean)).toBeLessThan(1e-4 * ref.hgrad_std);
    expectRel(f.hgradStd, ref.hgrad_std, 1e-4, 'h.grad.std()');
    expectAllRel(f.gradData, ref.grad_data, 1e-4, 'p.grad.std() / p.data.std()');
    // torch.histogram(h, density=True): the same edges; counts may move one element across an edge.
    const width = ref.hx[1] - ref.hx[0];
    f.hx.forEach((v: number, i: number) => expect(Math.abs(v - ref.hx[i]), `histogram edge ${i}`).toBeLessThan(1e-5 * width));
    const l1 = f.hy.reduce((s: number, v: number, i: number) => s + Math.abs(v - ref.hy[i]) * width, 0);
    expect(l1).toBeLessThanOrEqual(2 / (batchSize * nHidden) + 1e-6);
    expect(f.hy.reduce((s: number, v: number) => s + v * width, 0)).toBeCloseTo(1, 5);

    expectAllRel(run.losses, REF.part1.losses, 1e-4, 'loss');
    run.lossi.forEach((v, i) => expect(Math.abs(v - REF.part1.lossi[i]), `lossi[${i}]`).toBeLessThan(1e-5));
    // ud: log10 of (lr·grad).std() / data.std(); b1's gradient is ~0 behind the batch norm (1e-8.5), so it is compared loosely.
    run.ud[run.ud.length - 1].forEach((v, i) => expect(Math.abs(v - REF.part1.ud_last[i]), `ud[-1][${i}]`).toBeLessThan(i === 2 ? 0.5 : 1e-3));
    run.ud[0].forEach((v, i) => expect(Math.abs(v - REF.part1.ud_first[i]), `ud[0][${i}]`).toBeLessThan(i === 2 ? 0.5 : 1e-3));
    expectAllRel(Array.from(run.bnstdRunning.data.subarray(0, 10)), REF.part1.bnstd_running, 1e-4, 'bnstd_running');
    run.bnmeanRunning.data.subarray(0, 10).forEach((v, i) => expect(Math.abs(v - REF.part1.bnmean_running[i])).toBeLessThan(1e-4 * REF.part1.bnstd_running[i]));
    for (const s of ['train', 'val'] as const) expectRel(run.splitLoss(s, run.bnmeanRunning, run.bnstdRunning), REF.part1.split_running[s], 1e-4, `split_loss(${s}) with the running statistics`);
    for (const s of ['train', 'val', 'test'] as const) expectRel(run.splitLoss(s, run.bnmean, run.bnstd), REF.part1.split_calibrated[s], 1e-4, `split_loss(${s}) calibrated`);
  });

  it('part 2: Linear/BatchNorm1d/Tanh classes, a 6-layer stack, gain 5/3, 1, 0.5, 3 with and without BatchNorm: per-layer statistics and update ratios', async () => {
    const saved = (await loadTorchFile(PT)).object as Record<string, Tensor>;
    const weights = [0, 1, 2, 3, 4, 5].map((k) => saved[`L${k}`]);
    for (const [name, bn, gain] of CONFIGS) {
      const ref = REF.part2[name];
      const g = new Generator().manualSeed(2147483647);
      const run = trainStack(saved.C2.clone(), buildStack(g, bn, gain, weights), ref.lossi.length, (i) => saved.ix2.select(0, i));
      run.lossi.forEach((v, i) => expect(Math.abs(v - ref.lossi[i]), `${name} lossi[${i}]`).toBeLessThan(1e-5));
      for (const when of ['init', 'last'] as const) {
        const got = run[when];
        const want = ref[when];
        got.acts.forEach(([i, mean, std, sat], k) => {
          expect(i).toBe(want.acts[k][0]);
          expect(Math.abs(mean - want.acts[k][1]), `${name} ${when} layer ${i} mean`).toBeLessThan(1e-4);
          expectRel(std, want.acts[k][2], 1e-4, `${name} ${when} layer ${i} std`);
          expect(Math.abs(sat - want.acts[k][3]), `${name} ${when} layer ${i} saturated %`).toBeLessThanOrEqual(100 / (batchSize * nHidden2) + 1e-4);
        });
        got.grads.forEach(([i, mean, std], k) => {
          expect(Math.abs(mean - want.grads[k][1]), `${name} ${when} layer ${i} grad mean`).toBeLessThan(1e-3 * want.grads[k][2]);
          expectRel(std, want.grads[k][2], 1e-3, `${name} ${when} layer ${i} grad std`);
        });
        got.weights.forEach(([shape, , std, ratio], k) => {
          expect(shape).toEqual(want.weights[k][0]);
          expectRel(std, want.weights[k][2], 1e-3, `${name} ${when} weight ${k} grad std`);
          expectRel(ratio, want.weights[k][3], 1e-3, `${name} ${when} weight ${k} grad:data`);
        });
      }
      run.ud[run.ud.length - 1].forEach((v, i) => expect(Math.abs(v - ref.ud_last[i]), `${name} ud[-1][${i}]`).toBeLessThan(2e-3));
    }
  });
});

describe("makemore part 3: the lecture's claims, on gradlab's own draws", () => {
  const g0 = () => new Generator().manualSeed(2147483647);
  const batches = (g: Generator) => () => randint(0, Xtr.shape[0], [batchSize], { generator: g });

  it('unscaled init: a loss far above −log(1/27) and saturated tanh; after the fix the loss at init is ≈ −log(1/27) = 3.2958', () => {
    const g = g0();
    const bad = trainPart1(drawPart1(g, false), 1, batches(g), { batchnorm: false }).first as Record<string, number>;
    expect(bad.loss).toBeGreaterThan(10);
    expect(bad.saturated).toBeGreaterThan(0.5);
    // "W1 * 5/3" alone, without the 1/√fan_in: still saturated.
    const g2 = g0();
    const init = drawPart1(g2, true);
    const gainOnly = { ...init, W1: init.W1.mul((nEmbd * blockSize) ** 0.5) };
    expect((trainPart1(gainOnly, 1, batches(g2), { batchnorm: false }).first as Record<string, number>).saturated).toBeGreaterThan(0.5);
    const g3 = g0();
    const good = trainPart1(drawPart1(g3, true), 1, batches(g3), { batchnorm: false }).first as Record<string, number>;
    expect(Math.abs(good.loss - -Math.log(1 / 27))).toBeLessThan(0.02);
    expect(good.saturated).toBeLessThan(0.1);
    expect(good.dead).toBe(0);
  });

  it('dead neurons: (h.abs() > 0.99).all(0) marks the columns saturated on every example', () => {
    const g = g0();
    const run = trainPart1(drawPart1(g, false), 1, batches(g), { batchnorm: false }).first as { h: Tensor; deadMask: Tensor; dead: number };
    const [B, H] = run.h.shape;
    const want = Array.from({ length: H }, (_, j) => (Array.from({ length: B }, (_, i) => Math.abs(run.h.data[i * H + j]) > 0.99).every(Boolean) ? 1 : 0));
    expect(run.deadMask.tolist()).toEqual(want);
    expect(run.dead).toBe(want.reduce((a, b) => a + b, 0));
  });

  it('BatchNorm keeps every layer at the same statistics whatever the gain; without it the gain decides (0.5 shrinks, 3 saturates)', () => {
    const stdsOf = (bn: boolean, gain: number) => {
      const g = g0();
      const C = randn([vocabSize, nEmbd], { generator: g });
      const layers = buildStack(g, bn, gain);
      return trainStack(C, layers, 1, batches(g)).init.acts;
    };
    for (const gain of [0.5, 1, 5 / 3, 3]) {
      const acts = stdsOf(true, gain);
      for (const [, mean, std] of acts) {
        expect(Math.abs(mean)).toBeLessThan(0.1);
        expect(std).toBeGreaterThan(0.55);
        expect(std).toBeLessThan(0.75);
      }
    }
    const half = stdsOf(false, 0.5);
    expect(half[4][2]).toBeLessThan(half[0][2] / 5);
    const one = stdsOf(false, 1);
    expect(one[4][2]).toBeLessThan(0.7 * one[0][2]);
    const kaiming = stdsOf(false, 5 / 3);
    expect(kaiming[4][2]).toBeGreaterThan(0.75 * kaiming[0][2]);
    for (const [, , , sat] of stdsOf(false, 3)) expect(sat).toBeGreaterThan(25);
  });

  it('update:data ratios near 1e-3 for lr 0.1 with BatchNorm (log10 ≈ −3)', () => {
    const g = g0();
    const C = randn([vocabSize, nEmbd], { generator: g });
    const run = trainStack(C, buildStack(g, true, 5 / 3), 60, batches(g));
    const last = run.ud[run.ud.length - 1];
    const hidden = run.parameters.map((p, i) => [p, last[i]] as const).filter(([p]) => p.ndim === 2 && p !== C && p.shape[1] !== vocabSize);
    expect(hidden.length).toBe(5);
    for (const [, v] of hidden) {
      expect(v).toBeGreaterThan(-3.6);
      expect(v).toBeLessThan(-2.4);
    }
    expect(run.lossi[run.lossi.length - 1]).toBeLessThan(run.lossi[0]);
  });

  it('sampling from the model: multinomial with a generator gives names of the vocabulary ending in "."', () => {
    const g = g0();
    const { C, W1, b1, W2, b2 } = drawPart1(g, true);
    const gs = new Generator().manualSeed(2147483647 + 10);
    for (let k = 0; k < 5; k++) {
      const out: number[] = [];
      let context = new Array(blockSize).fill(0);
      for (;;) {
        const emb = C.index(tensor([context]));
        const h = F.tanh(emb.view(1, -1).matmul(W1).add(b1));
        const logits = h.matmul(W2).add(b2);
        const probs = F.softmax(logits, 1);
        const ix = multinomial(probs, 1, { generator: gs }).item();
        context = [...context.slice(1), ix];
        out.push(ix);
        if (ix === 0 || out.length > 50) break;
      }
      expect(out[out.length - 1]).toBe(0);
      expect(out.map((i) => itos[i]).join('')).toMatch(/^[a-z]*\.$/);
    }
  });
});
