import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualSeed } from '../../src/random.js';
import { buildModel, countParameters, describeSpec, stateDictShapes, validateSpec, type ModelSpec } from '../../src/models.js';
import { torchLayers } from '../../src/io/export-pytorch.js';
import { inferStateDictSpec, parseModel, serializeCheckpoint, serializeModel } from '../../src/io/model.js';
import { loadModel, saveModel } from '../../src/io/model.node.js';
import { parseSafetensors, readSafetensorsHeader, serializeSafetensors } from '../../src/io/safetensors.js';
import { Generator } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';
import type { RunConfig } from '../../src/recipe.js';

const spec: ModelSpec = { inputs: 5, layers: [8, 6], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0.1, outputs: 3, output: 'softmax' };

function trainedLike(s: ModelSpec = spec) {
  manualSeed(1);
  const m = buildModel(s);
  // Make the BatchNorm state non-trivial.
  const sd = m.stateDict();
  sd['1.running_mean'].data.set([0.1, -0.2, 0.3, 0, 1, 2, 3, 4]);
  sd['1.num_batches_tracked'].data[0] = 17;
  return m;
}

function reserialize(bytes: Uint8Array, edit: (md: Record<string, string>, t: Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> | BigInt64Array }>) => void): Uint8Array {
  const f = parseSafetensors(bytes);
  const md = { ...f.metadata! };
  const t = new Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> | BigInt64Array }>();
  for (const [k, e] of f.tensors) t.set(k, { dtype: e.dtype, shape: e.shape, data: e.data as ArrayLike<number> });
  edit(md, t);
  return serializeSafetensors(t as never, md);
}

describe('model specs', () => {
  it('builds Linear → BatchNorm1d → activation → Dropout per hidden layer with PyTorch state-dict keys', () => {
    const m = buildModel(spec);
    expect(m.toString()).toContain('BatchNorm1d');
    expect(Object.keys(m.stateDict())).toEqual(stateDictShapes(spec).map((e) => e.key));
    expect(Object.keys(m.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
      '4.weight', '4.bias', '5.weight', '5.bias', '5.running_mean', '5.running_var', '5.num_batches_tracked',
      '8.weight', '8.bias',
    ]);
    expect(m.numParameters()).toBe(countParameters(spec));
  });

  it('rejects invalid specs naming the field and the valid values', () => {
    expect(() => validateSpec({ ...spec, activation: 'relu6' })).toThrow(/activation must be one of linear, sigmoid, tanh, relu/);
    expect(() => validateSpec({ ...spec, init: 'he' })).toThrow(/init must be one of auto, pytorch/);
    expect(() => validateSpec({ ...spec, layers: [8, -1] })).toThrow(/layers\[1\]/);
    expect(() => validateSpec({ ...spec, dropout: 1 })).toThrow(/dropout/);
    expect(() => validateSpec({ ...spec, layers: [60000, 60000, 60000] })).toThrow(/parameters/);
  });
});

describe('model files', () => {
  it('round-trips weights, buffers and metadata; num_batches_tracked is a 0-d I64', () => {
    const m = trainedLike();
    const config: RunConfig = {
      data: { source: 'blobs', seed: 0, scaler: 'none', testFraction: 0.2 },
      model: spec,
      optimizer: 'sgd',
      optimizerOptions: { lr: 0.001, weightDecay: 0, momentum: 0, dampening: 0, nesterov: false },
      schedule: 'none',
      epochs: 1,
      batchSize: 8,
      clip: null,
      seed: 0,
    };
    const bytes = serializeModel(m, { spec, config, data: { classNames: ['a', 'b', 'c'] } });
    const header = readSafetensorsHeader(bytes);
    const nbt = header.entries.find((e) => e.name === '1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.shape).toEqual([]);
    expect(header.entries.find((e) => e.name === '0.weight')!.dtype).toBe('F32');
    expect(JSON.parse(header.metadata!.spec)).toEqual(spec);
    const loaded = parseModel(bytes, 'm.safetensors');
    expect(loaded.info.spec).toEqual(spec);
    expect(loaded.info.config).toEqual(config);
    expect(loaded.info.data?.classNames).toEqual(['a', 'b', 'c']);
    expect(loaded.model.training).toBe(false);
    const a = m.stateDict();
    const b = loaded.model.stateDict();
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
  });

  it('checkpoints carry optimizer buffers and generator state', () => {
    const m = trainedLike();
    const params = m.parameters();
    const optimizer = { type: 'Adam', step: 3, groups: [{ lr: 0.001, initialLr: 0.001 }], buffers: params.map((p) => ({ exp_avg: Array.from({ length: p.size }, (_, i) => i * 0.5) })) };
    const g = new Generator(5);
    g.normal();
    const bytes = serializeCheckpoint(m, { spec }, { epoch: 2, optimizer, scheduler: { lastEpoch: 2 }, generator: g.getState(), shuffle: new Generator(9).getState() });
    const loaded = parseModel(bytes, 'ckpt');
    expect(loaded.format).toBe('gradlab.checkpoint');
    expect(loaded.training!.epoch).toBe(2);
    expect(loaded.training!.optimizer).toEqual(optimizer);
    expect(loaded.training!.generator).toEqual(g.getState());
    expect(loaded.training!.scheduler).toEqual({ lastEpoch: 2 });
  });

  const good = () => serializeModel(trainedLike(), { spec });
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['an empty file', () => new Uint8Array(0), /too short/],
    ['a truncated file', () => good().subarray(0, 200), /exceeds the file|data section|reach past/],
    ['a safetensors file without metadata', () => serializeSafetensors({ '0.weight': new Tensor(new Float32Array(4), [2, 2]) }), /not a gradlab model/],
    ['a wrong format tag', () => reserialize(good(), (md) => (md.format = 'other')), /"format" is "other"/],
    ['a future format version', () => reserialize(good(), (md) => (md.format_version = '9')), /format_version "9" is not supported/],
    ['a spec that is not JSON', () => reserialize(good(), (md) => (md.spec = '{nope')), /"spec" is not valid JSON/],
    ['an unknown activation', () => reserialize(good(), (md) => (md.spec = JSON.stringify({ ...spec, activation: 'swish' }))), /activation must be one of/],
    ['a missing tensor', () => reserialize(good(), (_md, t) => t.delete('4.bias')), /missing tensor "4.bias"/],
    ['an unexpected tensor', () => reserialize(good(), (_md, t) => t.set('9.weight', { dtype: 'F32', shape: [1], data: [0] })), /unexpected tensor "9.weight"/],
    ['a wrong shape', () => reserialize(good(), (_md, t) => t.set('8.bias', { dtype: 'F32', shape: [2], data: [0, 0] })), /"8.bias" has shape \[2\] but the architecture needs \[3\]/],
    ['a NaN weight', () => reserialize(good(), (_md, t) => t.set('8.bias', { dtype: 'F32', shape: [3], data: [0, NaN, 0] })), /non-finite value \(NaN\)/],
    ['a float counter', () => reserialize(good(), (_md, t) => t.set('1.num_batches_tracked', { dtype: 'F32', shape: [], data: [3] })), /must be an integer \(I64\)/],
    ['a negative variance', () => reserialize(good(), (_md, t) => t.set('1.running_var', { dtype: 'F32', shape: [8], data: [1, 1, 1, -1, 1, 1, 1, 1] })), /negative variance/],
    ['an architecture of absurd size', () => reserialize(good(), (md) => (md.spec = JSON.stringify({ ...spec, layers: [65536, 65536, 65536] }))), /parameters, more than/],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what} with a clear error`, () => {
      expect(() => parseModel(make(), 'bad.safetensors')).toThrow(message);
      expect(() => parseModel(make(), 'bad.safetensors')).toThrow(/^bad\.safetensors/);
    });
  }

  it('never crashes or hangs on corrupted bytes: every outcome is a model or an Error', () => {
    const bytes = good();
    const g = new Generator(42);
    const t0 = performance.now();
    let rejected = 0;
    for (let trial = 0; trial < 400; trial++) {
      const b = bytes.slice();
      const flips = 1 + g.int(4);
      for (let k = 0; k < flips; k++) b[g.int(b.length)] = g.int(256);
      try {
        parseModel(b, 'fuzz');
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message.startsWith('fuzz')).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('saves atomically: a failed save leaves the previous file intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-model-'));
    const path = join(dir, 'model.safetensors');
    const m = trainedLike();
    await saveModel(path, m, { spec });
    const before = readFileSync(path);
    // The spec does not match the model: serialisation fails before anything is written.
    await expect(saveModel(path, m, { spec: { ...spec, layers: [8] } })).rejects.toThrow(/does not match its spec/);
    expect(readFileSync(path).equals(before)).toBe(true);
    // A write into a missing directory fails without leaving anything behind.
    await expect(saveModel(join(dir, 'missing', 'm.safetensors'), m, { spec })).rejects.toThrow(/cannot write/);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    const loaded = await loadModel(path);
    expect(loaded.info.spec).toEqual(spec);
  });

  it('names the path when a file cannot be read', async () => {
    await expect(loadModel('/nonexistent/model.safetensors')).rejects.toThrow('/nonexistent/model.safetensors: cannot read: no such file');
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-model-'));
    const p = join(dir, 'junk.safetensors');
    writeFileSync(p, 'hello world, not a model');
    await expect(loadModel(p)).rejects.toThrow(/junk\.safetensors: not a safetensors file: it is a text file/);
    await expect(loadModel(dir)).rejects.toThrow(/is a directory/);
  });
});

describe('per-layer model specs (the lab sets activation and BatchNorm per layer)', () => {
  it('builds, describes, checks shapes and exports per-layer activations and BatchNorm', () => {
    const spec = validateSpec({
      inputs: 3, layers: [4, 5], activation: 'relu', activations: ['tanh', 'prelu'], init: 'auto',
      batchnorm: false, batchnorms: [true, false], dropout: 0, outputs: 2, output: 'softmax',
    });
    const model = buildModel(spec);
    expect(model.layers.map((m) => m.typeName)).toEqual(['Linear', 'BatchNorm1d', 'Tanh', 'Linear', 'PReLU', 'Linear']);
    expect(describeSpec(spec)).toBe('3 → Linear(4) → BatchNorm1d → tanh → Linear(5) → prelu → Linear(2) → softmax');
    const shapes = stateDictShapes(spec).map((e) => `${e.key}:${e.shape.join('x')}`);
    expect(shapes).toEqual(Object.entries(model.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`));
    expect(torchLayers(spec)).toEqual(['nn.Linear(3, 4)', 'nn.BatchNorm1d(4, eps=1e-05, momentum=0.1)', 'nn.Tanh()', 'nn.Linear(4, 5)', 'nn.PReLU(num_parameters=1, init=0.25)', 'nn.Linear(5, 2)']);
  });

  it('rejects per-layer arrays of the wrong length or with bad values, naming the field', () => {
    const base = { inputs: 3, layers: [4, 5], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 2, output: 'softmax' };
    expect(() => validateSpec({ ...base, activations: ['tanh'] })).toThrow(/activations must be an array with one entry per hidden layer \(2\)/);
    expect(() => validateSpec({ ...base, activations: ['tanh', 'nope'] })).toThrow(/activations\[1\] must be one of/);
    expect(() => validateSpec({ ...base, batchnorms: [true, 'yes'] })).toThrow(/batchnorms\[1\] must be true or false/);
  });
});

describe('a PyTorch state dict of an MLP with a tensor missing or misshapen', () => {
  const entry = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const sd = (drop: string, reshape: Record<string, number[]> = {}) =>
    new Map(
      Object.entries({ '0.weight': [8, 4], '0.bias': [8], '2.weight': [3, 8], '2.bias': [3] })
        .filter(([k]) => k !== drop)
        .map(([k, s]) => [k, entry(reshape[k] ?? s)]),
    );
  it('names the missing tensor, or the shape a Linear weight cannot have', () => {
    expect(() => inferStateDictSpec(sd(''), { activation: 'relu' })).not.toThrow();
    expect(() => inferStateDictSpec(sd('0.weight'), { activation: 'relu' })).toThrow(/tensor "0\.weight" is missing: module 0 must be a Linear \(tensors of module 0: "0\.bias"\)/);
    expect(() => inferStateDictSpec(sd('2.bias'), { activation: 'relu' })).toThrow(/tensor "2\.bias" is missing: module 2 must be a Linear with a bias/);
    expect(() => inferStateDictSpec(sd('', { '0.weight': [8, 2, 2] }), { activation: 'relu' })).toThrow(/"0\.weight" has shape \[8, 2, 2\]; module 0 must be a Linear/);
  });
});
