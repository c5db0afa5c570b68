/**
 * A model trained in PyTorch (test/fixtures/make_torch_trained_fixture.py), saved as a plain
 * state dict with no gradlab metadata, read by evaluate/predict/inspect/export with --arch:
 * gradlab's loss, accuracy and probabilities are PyTorch's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/node.js';
import { modelFromBytes, predict, tensor } from '../../src/index.js';
import { cli } from '../helpers/cli.js';

ort.env.wasm.numThreads = 1;

const FIX = join(__dirname, '..', 'fixtures');
const SD = join(FIX, 'torch_trained.safetensors');
const CSV = join(FIX, 'torch_trained.csv');
const ref = JSON.parse(readFileSync(join(FIX, 'torch_trained.json'), 'utf8')) as { keys: string[]; loss: number; accuracy: number; x: number[][]; logits: number[][]; probabilities: number[][] };
const ARCH = '{"activations": ["tanh", "prelu"], "dropout": 0.2}';
const dir = mkdtempSync(join(tmpdir(), 'gradlab-statedict-'));

describe('PyTorch state dicts with --arch', () => {
  it('evaluate: the loss and accuracy PyTorch computed on the same CSV', async () => {
    const r = await cli('evaluate', SD, '--arch', ARCH, '--data', CSV, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.examples).toBe(240);
    expect(j.accuracy).toBeCloseTo(ref.accuracy, 6);
    expect(Math.abs(j.loss - ref.loss) / ref.loss).toBeLessThan(1e-5);
  });

  it('predict: PyTorch\'s softmax probabilities (≤ 1e-5 relative); the architecture may come from a .json file', async () => {
    const archFile = join(dir, 'arch.json');
    writeFileSync(archFile, ARCH);
    const r = await cli('predict', SD, JSON.stringify(ref.x), '--arch', archFile, '--top', '3', '--json');
    expect(r.code, r.err).toBe(0);
    const preds = JSON.parse(r.out).predictions as Array<{ top: Array<{ class: number; probability: number }> }>;
    preds.forEach((p, i) => {
      for (const t of p.top) expect(Math.abs(t.probability - ref.probabilities[i][t.class]) / ref.probabilities[i][t.class]).toBeLessThan(1e-5);
    });
  });

  it('inspect: the architecture read off the tensors (BatchNorm, PReLU, Dropout, widths) and the state dict\'s keys', async () => {
    const r = await cli('inspect', SD, '--arch', ARCH, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('pytorch.state_dict');
    expect(j.architecture).toBe('3 → Linear(16) → BatchNorm1d → tanh → Dropout(0.2) → Linear(8) → prelu → Dropout(0.2) → Linear(3) → softmax');
    expect(j.tensors.map((t: { name: string }) => `net.${t.name}`)).toEqual(ref.keys);
    const text = await cli('inspect', SD, '--arch', ARCH);
    expect(text.out).toContain('PyTorch state dict');
  });

  it('export --onnx: onnxruntime gives PyTorch\'s probabilities', async () => {
    const onnx = join(dir, 'torch.onnx');
    const r = await cli('export', SD, '--arch', ARCH, '--onnx', onnx);
    expect(r.code, r.err).toBe(0);
    const s = await ort.InferenceSession.create(readFileSync(onnx));
    const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from(ref.x.flat()), [ref.x.length, 3]) });
    const p = out.probabilities.data as Float32Array;
    ref.probabilities.flat().forEach((want, i) => expect(Math.abs(p[i] - want) / want).toBeLessThan(1e-5));
    const py = await cli('export', SD, '--arch', ARCH, '--pytorch', join(dir, 'x.py'));
    expect(py.code).toBe(2);
    expect(py.err).toContain('--onnx');
  });

  it('the library reads it too: loadModel(path, {arch}) and modelFromBytes(bytes, name, {arch})', async () => {
    const m = await loadModel(SD, { arch: { activations: ['tanh', 'prelu'] } });
    expect(m.spec).toMatchObject({ inputs: 3, layers: [16, 8], batchnorms: [true, false], activations: ['tanh', 'prelu'], dropout: 0.5, outputs: 3, output: 'softmax' });
    expect(m.format).toBe('pytorch.state_dict');
    const b = modelFromBytes(readFileSync(SD), 'sd', { arch: { activations: ['tanh', 'prelu'] } });
    expect(b.spec.layers).toEqual([16, 8]);
  });

  it('the older fixture (Sequential(Linear, BatchNorm1d, ReLU, Linear), unprefixed keys) loads with only the activation given', async () => {
    const t = JSON.parse(readFileSync(join(FIX, 'torch_mlp.json'), 'utf8')) as { x: number[][]; output: number[][] };
    const m = await loadModel(join(FIX, 'torch_mlp.safetensors'), { arch: { activation: 'relu' } });
    expect(m.spec).toMatchObject({ inputs: 4, layers: [8], batchnorm: true, dropout: 0, outputs: 3, output: 'softmax' });
    const out = await predict(m.model, tensor(t.x), { yieldEvery: 0 });
    const want = t.output.flat();
    const scale = Math.max(...want.map(Math.abs));
    want.forEach((w, i) => expect(Math.abs(out.data[i] - w) / scale).toBeLessThan(1e-5));
  });

  it('a layer list of another architecture names every mismatching key with both shapes in one error (it listed the first six tensors)', async () => {
    const r = await cli('inspect', SD, '--arch', 'linear(16),tanh,linear(8),relu,linear(3)');
    expect(r.code).toBe(3);
    expect(r.err).toContain('its tensors are not the state dict of linear(16) → tanh → linear(8) → relu → linear(3): ');
    for (const p of ['missing tensor "2.weight" (shape [8, 16])', 'tensor "4.weight" has shape [8, 16], the layer list needs [3, 8]', 'unexpected tensor "1.running_mean" (shape [16])', 'unexpected tensor "7.bias" (shape [3])']) expect(r.err).toContain(p);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('mistakes are named: no --arch, bad JSON, a missing activation, an architecture the tensors contradict, --arch on a gradlab file', async () => {
    const none = await cli('evaluate', SD, '--data', CSV);
    expect(none.code).toBe(3);
    expect(none.err).toContain('--arch');
    const badJson = await cli('inspect', SD, '--arch', '{"activation": tanh}');
    expect(badJson.code).toBe(2);
    expect(badJson.err).toContain('--arch value is not valid JSON');
    const noFile = await cli('inspect', SD, '--arch', join(dir, 'missing.json'));
    expect(noFile.code).toBe(2);
    expect(noFile.err).toContain('no such file');
    const noAct = await cli('inspect', SD, '--arch', '{}');
    expect(noAct.code).toBe(3);
    expect(noAct.err).toContain('give the hidden activation');
    const badName = await cli('inspect', SD, '--arch', '{"activation": "swish"}');
    expect(badName.code).toBe(3);
    expect(badName.err).toMatch(/activation must be one of .*relu/);
    const misspelt = await cli('inspect', SD, '--arch', '{"activaton": "tanh"}');
    expect(misspelt.code).toBe(3);
    expect(misspelt.err).toMatch(/architecture: unknown field 'activaton' \(did you mean 'activation'\?\); the fields are /);
    const layerList = await cli('inspect', SD, '--arch', '"relu"');
    expect(layerList.code).toBe(2);
    expect(layerList.err).toMatch(/^gradlab: error: --arch layer 1: cannot read/);
    const wrong = await cli('inspect', SD, '--arch', '{"activations": ["tanh", "prelu"], "layers": [16, 9]}');
    expect(wrong.code).toBe(3);
    expect(wrong.err).toMatch(/tensor "4.weight" has shape \[8, 16\] but the architecture needs \[9, 16\]/);
    const model = join(dir, 'g.safetensors');
    expect((await cli('train', '--data', 'xor', '--samples', '60', '--layers', '4', '--epochs', '1', '--out', model, '--quiet')).code).toBe(0);
    const onGradlab = await cli('inspect', model, '--arch', '{"activation": "relu"}');
    expect(onGradlab.code).toBe(2);
    expect(onGradlab.err).toContain('give no architecture');
    // Not a Sequential's keys.
    const odd = join(dir, 'odd.safetensors');
    const header = JSON.stringify({ 'encoder.weight': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    writeFileSync(odd, Buffer.concat([len, Buffer.from(header), Buffer.alloc(4)]));
    const oddR = await cli('inspect', odd, '--arch', '{"activation": "relu"}');
    expect(oddR.code).toBe(3);
    expect(oddR.err).toContain('not those of one torch.nn.Sequential');
  });
});

describe('a PyTorch conv net state dict with --arch as train takes it (a layer list)', () => {
  const CONV = join(FIX, 'torch_conv.safetensors');
  const conv = JSON.parse(readFileSync(join(FIX, 'torch_conv.json'), 'utf8')) as { arch: string; x: number[][]; logits: number[][] };

  it('loads (square image size found from the tensors, indices shifted past gradlab\'s Unflatten) and gives PyTorch\'s logits', async () => {
    const { loadModel: load } = await import('../../src/io/model.node.js');
    const { readArchFlag } = await import('../../src/cli/commands.js');
    const m = await load(CONV, { arch: await readArchFlag(conv.arch) });
    expect(m.info.spec.inputShape).toEqual([1, 8, 8]);
    const { Tensor: T } = await import('../../src/tensor.js');
    const { noGrad: ng } = await import('../../src/autograd.js');
    const out = ng(() => m.model.forward(new T(Float32Array.from(conv.x.flat()), [6, 64])));
    const want = conv.logits.flat();
    for (let i = 0; i < want.length; i++) expect(Math.abs(out.data[i] - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i])));
  });

  it('inspect reads it from the command line; a layer list that does not fit the tensors is a clean error', async () => {
    const ok = await cli('inspect', CONV, '--arch', conv.arch);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('PyTorch state dict');
    const bad = await cli('inspect', CONV, '--arch', 'conv(5,3,padding=1),relu,flatten,linear(3)');
    expect(bad.code).toBe(3);
    expect(bad.err).toMatch(/are not the state dict of/);
  });
});
