/**
 * ONNX export: models trained by gradlab (the CLI, and fit for a sigmoid output), exported to
 * ONNX and run in onnxruntime-web (WebAssembly, in Node), give the probabilities and logits
 * `gradlab predict` gives, at ≤ 1e-5 relative error (probabilities each relative to itself, logits relative to
 * their row's largest).
 */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { HIDDEN_ACTIVATIONS } from '../../src/cli/options.js';
import { runPredict } from '../../src/cli/commands.js';
import { exportOnnx, ONNX_LAYERS, ONNX_OPSET, type OnnxGraph } from '../../src/io/export-onnx.js';
import { loadModel, saveModel } from '../../src/io/model.node.js';
import { buildModel, type ModelSpec } from '../../src/models.js';
import { fit, predict } from '../../src/train/index.js';
import { moons } from '../../src/data/synthetic.js';
import { loadBuiltinMnistSplits } from '../../src/data/datasets.node.js';
import { manualSeed, Generator } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';
import '../../src/tensor-methods.js';
import { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Linear } from '../../src/nn/linear.js';
import { activationModule, Tanh } from '../../src/nn/activation.js';
import { getActivation } from '../../src/activations.js';
import { Capture, cli } from '../helpers/cli.js';

ort.env.wasm.numThreads = 1;

const dir = mkdtempSync(join(tmpdir(), 'gradlab-onnx-'));

function randomRows(n: number, k: number, seed: number, scale = 1.5, shift = 0): number[][] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => Array.from({ length: k }, () => shift + g.normal(0, scale)));
}

async function runOnnx(bytes: Uint8Array, rows: number[][]): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes);
  const x = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  return session.run({ input: x });
}

/** float32's smallest normal number: below it a float32 result has no relative accuracy to speak of. */
const FLT_MIN = 2 ** -126;

/** Elementwise: max |a − b| / |b| (probabilities, each compared in relative terms). */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), FLT_MIN));
  return m;
}

/**
 * Per row (of `width`): max |a − b| / max |b|. Logits near 0 are differences of larger terms,
 * so their error is relative to the row's scale, not to themselves.
 */
function maxRowRelErr(a: ArrayLike<number>, b: ArrayLike<number>, width: number): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let r = 0; r < a.length; r += width) {
    let err = 0;
    let scale = 0;
    for (let j = r; j < r + width; j++) {
      err = Math.max(err, Math.abs(a[j] - b[j]));
      scale = Math.max(scale, Math.abs(b[j]));
    }
    m = Math.max(m, err / Math.max(scale, FLT_MIN));
  }
  return m;
}

/** gradlab predict's per-class probabilities (all classes, in class order) for the rows. */
async function predictProbabilities(model: string, rows: number[][], classes: number): Promise<number[]> {
  const r = await runPredict({ model, input: JSON.stringify(rows), top: classes, json: true, stdinText: '' }, { stdout: new Capture(), stderr: new Capture() });
  const out: number[] = [];
  for (const p of r.predictions) {
    if (classes === 1) out.push(p.probability!);
    else {
      const byClass = new Array<number>(classes);
      for (const t of p.top!) byClass[t.class] = t.probability;
      out.push(...byClass);
    }
  }
  return out;
}

/** The model's logits as `predict` computes them, from the raw rows (scaler applied as predict does). */
async function gradlabLogits(path: string, rows: number[][]): Promise<Float32Array> {
  const m = await loadModel(path);
  const n = m.info.spec.inputs;
  const x = Float32Array.from(rows.flat());
  const s = m.info.data?.scaler;
  if (s) for (let i = 0; i < x.length; i++) x[i] = (x[i] - s.offset[i % n]) / s.scale[i % n];
  const out = await predict(m.model, new Tensor(x, [rows.length, n]), { yieldEvery: 0 });
  return Float32Array.from(out.data);
}

describe('ONNX export', () => {
  it('every activation (BatchNorm, Dropout, multi-class softmax), trained by the CLI, runs in onnxruntime with the probabilities of predict (≤ 1e-5 relative)', async () => {
    const rows = randomRows(16, 2, 7);
    const errs: Record<string, [number, number]> = {};
    for (const [i, activation] of HIDDEN_ACTIVATIONS.entries()) {
      const model = join(dir, `moons-${activation}.safetensors`);
      const onnx = join(dir, `moons-${activation}.onnx`);
      const flags = ['--data', 'moons', '--samples', '200', '--layers', '8,6', '--epochs', '3', '--batch-size', '16', '--seed', String(i), '--activation', activation];
      if (i % 2 === 1) flags.push('--no-batchnorm');
      if (i % 3 === 0) flags.push('--dropout', '0.2');
      const t = await cli('train', ...flags, '--out', model, '--quiet');
      expect(t.code, t.err).toBe(0);
      const e = await cli('export', model, '--onnx', onnx);
      expect(e.code, e.err).toBe(0);
      expect(e.out).toContain(onnx);
      const got = await runOnnx(readFileSync(onnx), rows);
      expect(got.probabilities.dims).toEqual([16, 2]);
      const probs = await predictProbabilities(model, rows, 2);
      const logits = await gradlabLogits(model, rows);
      errs[activation] = [maxRelErr(got.probabilities.data as Float32Array, probs), maxRowRelErr(got.logits.data as Float32Array, logits, 2)];
    }
    console.log('max relative error [probabilities, logits] per activation:', JSON.stringify(errs));
    for (const [a, [p, l]] of Object.entries(errs)) {
      expect(p, `${a} probabilities`).toBeLessThanOrEqual(1e-5);
      expect(l, `${a} logits`).toBeLessThanOrEqual(1e-5);
    }
  });

  it('the default model (784 → 512 → 256 → 10, BatchNorm, ReLU) trained by `gradlab train` on MNIST digits: the same probabilities', async () => {
    const model = join(dir, 'mnist.safetensors');
    const t = await cli('train', '--limit', '300', '--epochs', '1', '--out', model, '--quiet');
    expect(t.code, t.err).toBe(0);
    const onnx = join(dir, 'mnist.onnx');
    expect((await cli('export', model, '--onnx', onnx)).code).toBe(0);
    const { test } = await loadBuiltinMnistSplits();
    const n = 200;
    const rows = Array.from({ length: n }, (_, i) => Array.from(test.x.data.subarray(i * 784, (i + 1) * 784)));
    const got = await runOnnx(readFileSync(onnx), rows);
    const logits = await gradlabLogits(model, rows);
    const probs: number[] = [];
    for (let i = 0; i < n; i++) {
      const l = Array.from(logits.subarray(10 * i, 10 * i + 10));
      const mx = Math.max(...l);
      const z = l.reduce((a, v) => a + Math.exp(v - mx), 0);
      probs.push(...l.map((v) => Math.exp(v - mx) / z));
    }
    expect(maxRelErr(got.probabilities.data as Float32Array, probs)).toBeLessThanOrEqual(1e-5);
    expect(maxRowRelErr(got.logits.data as Float32Array, logits, 10)).toBeLessThanOrEqual(1e-5);
  });

  it('PReLU with a learned slope per channel, BatchNorm statistics far from (0, 1), and a CSV-trained model whose scaler goes into the graph', async () => {
    // A CSV with 3 classes and features on very different scales: train fits a scaler.
    const g = new Generator(3);
    const lines = ['a,b,c,species'];
    for (let i = 0; i < 150; i++) {
      const k = i % 3;
      lines.push([100 + 20 * k + g.normal(0, 8), 0.01 * k + g.normal(0, 0.004), -5 + k + g.normal(0, 0.5), ['x', 'y', 'z'][k]].join(','));
    }
    const csv = join(dir, 'three.csv');
    writeFileSync(csv, lines.join('\n') + '\n');
    const model = join(dir, 'three.safetensors');
    const t = await cli('train', '--data', csv, '--label', 'species', '--layers', '6', '--activation', 'prelu', '--epochs', '5', '--batch-size', '10', '--out', model, '--quiet');
    expect(t.code, t.err).toBe(0);
    const m = await loadModel(model);
    expect(m.info.data?.scaler).toBeDefined();
    const bytes = exportOnnx(m.model, m.info);
    const rows = [[100, 0, -5], [120, 0.01, -4], [140, 0.02, -3], [130, -0.01, -2.5]];
    const got = await runOnnx(bytes, rows);
    const probs = await predictProbabilities(model, rows, 3);
    expect(maxRelErr(got.probabilities.data as Float32Array, probs)).toBeLessThanOrEqual(1e-5);
    expect(maxRowRelErr(got.logits.data as Float32Array, await gradlabLogits(model, rows), 3)).toBeLessThanOrEqual(1e-5);

    // A per-channel PReLU and BatchNorm with large running statistics (library-built).
    manualSeed(5);
    const spec: ModelSpec = { inputs: 3, layers: [4], activation: 'prelu', init: 'auto', batchnorm: true, dropout: 0, outputs: 3, output: 'softmax' };
    const net = buildModel(spec);
    const sd = net.stateDict();
    sd['1.running_mean'].data.set([3, -2, 0.5, 10]);
    sd['1.running_var'].data.set([4, 0.25, 9, 100]);
    sd['1.weight'].data.set([1.5, -0.5, 2, 0.7]);
    sd['2.weight'].data.set([-0.3]);
    net.eval();
    const path = join(dir, 'bn.safetensors');
    await saveModel(path, net, { spec });
    const rows2 = randomRows(10, 3, 11, 4);
    const got2 = await runOnnx(exportOnnx(net, { spec }), rows2);
    expect(maxRelErr(got2.probabilities.data as Float32Array, await predictProbabilities(path, rows2, 3))).toBeLessThanOrEqual(1e-5);
    expect(maxRowRelErr(got2.logits.data as Float32Array, await gradlabLogits(path, rows2), 3)).toBeLessThanOrEqual(1e-5);
  });

  it('a one-unit sigmoid output trained with fit: "probabilities" is σ(logit), as predict reports', async () => {
    manualSeed(2);
    const spec: ModelSpec = { inputs: 2, layers: [10], activation: 'softplus', init: 'auto', batchnorm: true, dropout: 0.1, outputs: 1, output: 'sigmoid' };
    const net = buildModel(spec);
    const ds = moons({ n: 200, noise: 0.1, seed: 1 });
    const y = new Tensor(Float32Array.from(ds.y.data), [ds.y.shape[0], 1]);
    await fit(net, { x: ds.x, y }, { loss: 'bceWithLogits', epochs: 5, batchSize: 20, lr: 0.02, yieldEvery: 0, health: false });
    net.eval();
    const path = join(dir, 'sigmoid.safetensors');
    await saveModel(path, net, { spec });
    // Inputs up to ±30 also exercise Softplus's threshold at 20 (the first Linear can exceed it).
    const rows = [...randomRows(12, 2, 5), [30, -30], [-30, 30], [25, 25]];
    const got = await runOnnx(exportOnnx(net, { spec }), rows);
    expect(got.probabilities.dims).toEqual([15, 1]);
    expect(maxRelErr(got.probabilities.data as Float32Array, await predictProbabilities(path, rows, 1))).toBeLessThanOrEqual(1e-5);
    expect(maxRowRelErr(got.logits.data as Float32Array, await gradlabLogits(path, rows), 1)).toBeLessThanOrEqual(1e-5);
  });

  it('the file declares opset 17, a dynamic batch dimension, and the two outputs; batch sizes 1 and 1000 both run', async () => {
    manualSeed(1);
    const spec: ModelSpec = { inputs: 5, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 4, output: 'linear' };
    const net = buildModel(spec);
    const bytes = exportOnnx(net, { spec, data: { classNames: undefined } });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['values', 'logits']);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(17);
    for (const n of [1, 1000]) {
      const rows = randomRows(n, 5, n);
      const r = await session.run({ input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [n, 5]) });
      const want = await predict(net, new Tensor(Float32Array.from(rows.flat()), [n, 5]), { yieldEvery: 0 });
      expect(r.values.dims).toEqual([n, 4]);
      expect(maxRowRelErr(r.values.data as Float32Array, want.data, 4)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('each activation\'s ONNX form computes the registry\'s f(x) over [−30, 30] (PyTorch\'s formulas, float64 reference)', async () => {
    const xs: number[] = [];
    for (let x = -30; x <= 30; x += 0.0625) xs.push(x);
    xs.push(-1e-3, 1e-3, 19.99, 20.01, 88, -88, -100);
    const x32 = Float32Array.from(xs);
    const errs: Record<string, number> = {};
    for (const name of HIDDEN_ACTIVATIONS) {
      const act = getActivation(name);
      const net = new Sequential(activationModule(name));
      const spec: ModelSpec = { inputs: 1, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 1, output: 'linear' };
      const got = (await runOnnx(exportOnnx(net, { spec }), Array.from(x32, (v) => [v]))).values.data as Float32Array;
      const want = Array.from(x32, (v) => act.value!(v, act.defaultParam));
      // Relative even in the tails (GELU at x = −8 is about −5e-15); floor 1e-20 (SiLU at −30 is −3e-12).
      errs[name] = Math.max(...want.map((w, i) => Math.abs(got[i] - w) / Math.max(Math.abs(w), 1e-20)));
    }
    console.log('max relative error of each activation over the grid:', JSON.stringify(errs));
    for (const [name, e] of Object.entries(errs)) expect(e, name).toBeLessThanOrEqual(1e-5);
  });

  it('a new layer type is one ONNX_LAYERS entry: a residual block (x + inner(x)) exported by recursing into its child', async () => {
    class Skip extends Module {
      constructor(readonly inner: Module) {
        super();
      }
      forward(x: Tensor): Tensor {
        return x.add(this.inner.forward(x));
      }
    }
    const rule = { name: 'Skip', module: Skip, export: (m: Module, x: string, g: OnnxGraph, key: string) => g.node('Add', [x, g.layer((m as Skip).inner, x, `${key}.inner`)]) };
    ONNX_LAYERS.push(rule);
    try {
      manualSeed(4);
      const net = new Sequential(new Linear(3, 5), new Skip(new Sequential(new Linear(5, 5), new Tanh())), new Linear(5, 2));
      const spec: ModelSpec = { inputs: 3, layers: [5], activation: 'tanh', init: 'auto', batchnorm: false, dropout: 0, outputs: 2, output: 'softmax' };
      const rows = randomRows(6, 3, 9);
      const got = await runOnnx(exportOnnx(net, { spec }), rows);
      const want = await predict(net, new Tensor(Float32Array.from(rows.flat()), [6, 3]), { yieldEvery: 0 });
      expect(maxRowRelErr(got.logits.data as Float32Array, want.data, 2)).toBeLessThanOrEqual(1e-5);
    } finally {
      ONNX_LAYERS.splice(ONNX_LAYERS.indexOf(rule), 1);
    }
  });

  it('a layer without an ONNX rule is named in the error, with the exportable layers', () => {
    class Weird extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const net = new Sequential(new Linear(2, 3), new Weird(), new Linear(3, 2));
    const spec: ModelSpec = { inputs: 2, layers: [3], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 2, output: 'softmax' };
    expect(() => exportOnnx(net, { spec })).toThrow(/layer 1 \(Weird\) has no ONNX form; exportable layers: .*Linear.*BatchNorm1d/);
    expect(ONNX_LAYERS.map((r) => r.name)).toContain('Linear');
  });

  it('gradlab export: --onnx and --pytorch together; neither is a usage error; an unwritable path exits 4; a bad model exits 3', async () => {
    const model = join(dir, 'cli.safetensors');
    const t = await cli('train', '--data', 'xor', '--samples', '100', '--layers', '4', '--epochs', '1', '--out', model, '--quiet');
    expect(t.code, t.err).toBe(0);
    const both = await cli('export', model, '--onnx', join(dir, 'cli.onnx'), '--pytorch', join(dir, 'cli.py'), '--json');
    expect(both.code, both.err).toBe(0);
    const j = JSON.parse(both.out);
    expect(j.onnx).toBe(join(dir, 'cli.onnx'));
    expect(j.pytorch).toBe(join(dir, 'cli.py'));
    expect(readFileSync(join(dir, 'cli.py'), 'utf8')).toContain('nn.Sequential');
    expect((await runOnnx(readFileSync(join(dir, 'cli.onnx')), [[0.5, -0.5]])).probabilities.dims).toEqual([1, 2]);

    const none = await cli('export', model);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--onnx.*--pytorch|--pytorch.*--onnx/);

    const ro = join(dir, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    for (const target of [join(dir, 'no', 'such', 'dir', 'm.onnx'), join(ro, 'm.onnx'), dir]) {
      const w = await cli('export', model, '--onnx', target);
      if (target.startsWith(ro) && process.getuid?.() === 0) continue; // root writes anywhere
      expect(w.code, target).toBe(4);
      expect(w.err).toContain('gradlab: error:');
      expect(w.err).not.toMatch(/\n\s+at /);
    }
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a model');
    const bad = await cli('export', junk, '--onnx', join(dir, 'junk.onnx'));
    expect(bad.code).toBe(3);
    expect(bad.err).toContain(junk);
  });
});

describe('ONNX export of conv nets', () => {
  it('a conv net with BatchNorm2d, pooling, a residual block with projection and global pooling runs in onnxruntime with gradlab\'s outputs', async () => {
    const { buildModel } = await import('../../src/models.js');
    const { optim, loss, tensor, noGrad: ng } = await import('../../src/index.js');
    manualSeed(3);
    const spec = {
      inputs: 64, inputShape: [1, 8, 8], layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 3, output: 'softmax',
      arch: [
        { type: 'conv', out: 4, kernel: 3, padding: 'same' }, { type: 'bn' }, { type: 'relu' },
        { type: 'maxpool', kernel: 2 },
        { type: 'residual', out: 6, stride: 2 },
        { type: 'avgpool', kernel: 1 },
        { type: 'adaptiveavgpool', size: 1 },
        { type: 'flatten' }, { type: 'linear', out: 3 },
      ],
    } as unknown as ModelSpec;
    const net = buildModel(spec);
    // A few steps so that BatchNorm's running statistics are not the initial ones.
    const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
    const rows = randomRows(12, 64, 5);
    const labels = rows.map((_, i) => i % 3);
    net.train();
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      loss.crossEntropy(net.forward(tensor(rows.flat(), [12, 64])), tensor(labels, [12])).backward();
      opt.step();
    }
    net.eval();
    const want = ng(() => Array.from(net.forward(tensor(rows.flat(), [12, 64])).data));
    const got = await runOnnx(exportOnnx(net, { spec }), rows);
    expect(got.logits.dims).toEqual([12, 3]);
    expect(maxRowRelErr(got.logits.data as Float32Array, want, 3)).toBeLessThan(1e-5);
  });

  it('every layer type of the layer registry (and adaptive pooling to sizes that do and do not divide the input) runs in onnxruntime with gradlab\'s eval-mode outputs', async () => {
    const { buildModel } = await import('../../src/models.js');
    const { LAYER_TYPES, parseArch } = await import('../../src/arch.js');
    const { optim, loss, tensor, noGrad: ng } = await import('../../src/index.js');
    manualSeed(4);
    const arch = parseArch(
      'conv(6,3,stride=2,padding=1),bn,relu,conv(6,3,padding=same,dilation=2,groups=3,bias=false),bn,leakyRelu,maxpool(3,stride=2,padding=1),' +
        'residual(6),residual(8,stride=2),avgpool(2,stride=1,padding=1),conv(8,1),prelu,adaptiveavgpool(2),selu,dropout(0.3),' +
        'conv(8,1,padding=valid),softplus,adaptiveavgpool(3),flatten,linear(12),bn(eps=0.001,momentum=0.2),gelu,dropout(0.2),linear(10),elu,linear(5)',
    );
    expect(new Set(arch.map((l) => l.type))).toEqual(new Set([...Object.keys(LAYER_TYPES), 'relu', 'leakyRelu', 'prelu', 'selu', 'softplus', 'gelu', 'elu']));
    // On 24×24: adaptive pooling 4×4 → 2×2 (an AveragePool), then 2×2 → 3×3 (overlapping windows).
    const spec = { inputs: 3 * 24 * 24, inputShape: [3, 24, 24], layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 5, output: 'softmax', arch } as unknown as ModelSpec;
    const net = buildModel(spec);
    const rows = randomRows(6, 3 * 24 * 24, 8);
    const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
    net.train();
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      loss.crossEntropy(net.forward(tensor(rows.flat(), [6, 1728])), tensor([0, 1, 2, 3, 4, 0], [6])).backward();
      opt.step();
    }
    // The export evaluates in eval mode (BatchNorm's running statistics, Dropout the identity) and leaves the model's mode alone.
    const bytes = exportOnnx(net, { spec });
    expect(net.training).toBe(true);
    net.eval();
    const want = ng(() => Array.from(net.forward(tensor(rows.flat(), [6, 1728])).data));
    const got = await runOnnx(bytes, rows);
    expect(maxRowRelErr(got.logits.data as Float32Array, want, 5)).toBeLessThan(1e-5);
  });

  it('AdaptiveAvgPool2d with [null, w] (keep the height) inside a hand-built residual body, and PReLU with a slope per channel on images', async () => {
    const { nn, noGrad: ng, tensor } = await import('../../src/index.js');
    manualSeed(6);
    // A slope per channel on [N, C, H, W] (ONNX broadcasts from the last dimension: [C, 1, 1]).
    const prelu = new nn.PReLU(4);
    prelu.weight.data.set([0.1, -0.2, 0.3, 0.45]);
    const net = new nn.Sequential(
      new nn.Unflatten(1, [2, 5, 7]),
      new nn.Conv2d(2, 4, 3, { padding: 1 }),
      prelu,
      new nn.AdaptiveAvgPool2d([null, 3]),
      new nn.Residual(new nn.Sequential(new nn.Conv2d(4, 4, 1), new nn.AdaptiveAvgPool2d([5, 3]))),
      new nn.Flatten(),
      new nn.Linear(4 * 5 * 3, 3),
    );
    net.eval();
    const spec: ModelSpec = { inputs: 70, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 3, output: 'softmax' };
    const rows = randomRows(4, 70, 9);
    const want = ng(() => Array.from(net.forward(tensor(rows.flat(), [4, 70])).data));
    const got = await runOnnx(exportOnnx(net, { spec }), rows);
    expect(maxRowRelErr(got.logits.data as Float32Array, want, 3)).toBeLessThan(1e-5);
  });
});
