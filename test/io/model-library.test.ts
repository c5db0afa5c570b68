/**
 * Model files in the library: what the CLI saves, loadModel (gradlab/node) opens with the same
 * predictions; what saveModel saves from a hand-built nn.Sequential, the CLI evaluates, inspects
 * and predicts with; modelToBytes/modelFromBytes (browser entry) are the same bytes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/node.js';
import { exportOnnx, modelFromBytes, modelToBytes, nn, fit, predict, manualSeed, moons, tensor, specFromModel } from '../../src/index.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-modelfiles-'));
const rows = [
  [0.5, -0.3],
  [-1, 0.8],
  [1.7, 0.1],
  [0, 0],
];

describe('model files in the library', () => {
  it('a CLI-trained file opened by loadModel gives the predictions `gradlab predict` gives, with its spec, recipe and data info', async () => {
    const path = join(dir, 'cli.safetensors');
    const t = await cli('train', '--data', 'moons', '--samples', '200', '--layers', '8', '--activation', 'tanh', '--epochs', '2', '--seed', '4', '--out', path, '--quiet');
    expect(t.code, t.err).toBe(0);
    const { model, spec, config, data } = await loadModel(path);
    expect(spec).toMatchObject({ inputs: 2, layers: [8], activation: 'tanh', outputs: 2, output: 'softmax' });
    expect(config?.data.source).toBe('moons');
    expect(config?.epochs).toBe(2);
    expect(data).toBeDefined();
    const logits = await predict(model, tensor(rows), { yieldEvery: 0 });
    const p = await cli('predict', path, JSON.stringify(rows), '--top', '2', '--json');
    expect(p.code, p.err).toBe(0);
    const preds = JSON.parse(p.out).predictions as Array<{ top: Array<{ class: number; probability: number }> }>;
    rows.forEach((_, i) => {
      const l = Array.from(logits.data.subarray(2 * i, 2 * i + 2));
      const z = Math.exp(l[0]) + Math.exp(l[1]);
      for (const t of preds[i].top) expect(t.probability).toBeCloseTo(Math.exp(l[t.class]) / z, 7);
    });
  });

  it('a hand-built, fit-trained nn.Sequential saved by saveModel is read by gradlab inspect, evaluate and predict', async () => {
    manualSeed(9);
    const net = new nn.Sequential(new nn.Linear(2, 12), new nn.BatchNorm1d(12), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(12, 6), new nn.GELU(), new nn.Dropout(0.1), new nn.Linear(6, 2));
    const ds = moons({ n: 300, noise: 0.1, seed: 0 });
    await fit(net, { x: ds.x, y: ds.y }, { loss: 'crossEntropy', epochs: 30, batchSize: 32, lr: 0.02, yieldEvery: 0, health: false });
    net.eval();
    const path = join(dir, 'lib.safetensors');
    await saveModel(path, net, { data: { name: 'moons', classNames: ['upper', 'lower'] } });

    const ins = await cli('inspect', path, '--json');
    expect(ins.code, ins.err).toBe(0);
    const info = JSON.parse(ins.out);
    expect(info.architecture).toBe('2 → Linear(12) → BatchNorm1d → relu → Dropout(0.1) → Linear(6) → gelu → Dropout(0.1) → Linear(2) → softmax');
    expect(info.spec).toMatchObject({ activations: ['relu', 'gelu'], batchnorms: [true, false], dropout: 0.1 });

    // No stored recipe: evaluate needs --data; the model learned moons, so it beats chance clearly.
    const noData = await cli('evaluate', path);
    expect(noData.code).toBe(2);
    expect(noData.err).toContain('give --data');
    const ev = await cli('evaluate', path, '--data', 'moons', '--samples', '400', '--seed', '1', '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(JSON.parse(ev.out).accuracy).toBeGreaterThan(0.8);

    const p = await cli('predict', path, JSON.stringify(rows), '--json');
    expect(p.code, p.err).toBe(0);
    const want = await predict(net, tensor(rows), { yieldEvery: 0 });
    JSON.parse(p.out).predictions.forEach((pr: { class: number; label: string }, i: number) => {
      const best = want.data[2 * i] >= want.data[2 * i + 1] ? 0 : 1;
      expect(pr.class).toBe(best);
      expect(pr.label).toBe(['upper', 'lower'][best]);
    });

    // The browser entry's bytes are the file's bytes, and read back to the same model.
    expect(Buffer.from(modelToBytes(net, { data: { name: 'moons', classNames: ['upper', 'lower'] } })).equals(readFileSync(path))).toBe(true);
    const back = modelFromBytes(readFileSync(path), path);
    expect(Array.from((await predict(back.model, tensor(rows), { yieldEvery: 0 })).data)).toEqual(Array.from(want.data));
    expect(back.data?.classNames).toEqual(['upper', 'lower']);
  });

  it('a hand-built conv net (nn.Unflatten first) saved by saveModel: a layer-list file that loads to the same outputs, and that gradlab predict and export --onnx read', async () => {
    manualSeed(12);
    const net = new nn.Sequential(
      new nn.Unflatten(1, [2, 12, 12]),
      new nn.Conv2d(2, 6, 3, { stride: 2, padding: 1 }), new nn.BatchNorm2d(6), new nn.ReLU(),
      new nn.Conv2d(6, 6, 3, { padding: 'same', dilation: 2, groups: 3, bias: false }), new nn.ELU(),
      new nn.MaxPool2d(3, 1, 1), new nn.BasicBlock(6, 8, 2), new nn.AvgPool2d(2, 1, 1), new nn.AdaptiveAvgPool2d(2),
      new nn.Flatten(), new nn.Dropout(0.2), new nn.Linear(32, 10), new nn.BatchNorm1d(10, { eps: 1e-3, momentum: 0.05 }), new nn.PReLU(), new nn.Linear(10, 3),
    );
    const g = new Float32Array(20 * 288).map((_, i) => Math.sin(i * 0.37));
    const x = tensor(Array.from(g), [20, 288]);
    await fit(net, { x, y: tensor(Array.from({ length: 20 }, (_, i) => i % 3), [20]) }, { loss: 'crossEntropy', epochs: 2, batchSize: 10, yieldEvery: 0, health: false });
    net.eval();
    const path = join(dir, 'conv.safetensors');
    await saveModel(path, net);
    const loaded = await loadModel(path);
    expect(loaded.metadata.format_version).toBe('2');
    expect(loaded.spec.arch?.map((l) => l.type)).toEqual(['conv', 'bn', 'relu', 'conv', 'elu', 'maxpool', 'residual', 'avgpool', 'adaptiveavgpool', 'flatten', 'dropout', 'linear', 'bn', 'prelu', 'linear']);
    const want = await predict(net, x, { yieldEvery: 0 });
    expect(Array.from((await predict(loaded.model, x, { yieldEvery: 0 })).data)).toEqual(Array.from(want.data));
    const p = await cli('predict', path, JSON.stringify([Array.from(g.subarray(0, 288))]), '--json');
    expect(p.code, p.err).toBe(0);
    const onnx = await cli('export', path, '--onnx', join(dir, 'conv.onnx'));
    expect(onnx.code, onnx.err).toBe(0);
  });

  it('conv nets a layer list cannot describe are refused with the layer and the reason', async () => {
    const u = () => new nn.Unflatten(1, [1, 8, 8]);
    const bad: Array<[() => nn.Module, RegExp]> = [
      [() => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(72, 2)), /layer 0 is Conv2d: .*put nn\.Unflatten\(1, \[C, H, W\]\) first/],
      [() => new nn.Sequential(u(), new nn.Conv2d(1, 2, [3, 1]), new nn.Flatten(), new nn.Linear(96, 2)), /layer 1 \(Conv2d\): Conv2d's kernel size \[3,1\] is not square/],
      [() => new nn.Sequential(u(), new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2, { affine: false }), new nn.Flatten(), new nn.Linear(72, 2)), /layer 2 is BatchNorm2d\(2, .*affine=false.*but the layer list's bn is BatchNorm2d\(2, .*affine=true/],
      [() => new nn.Sequential(u(), new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2, { momentum: null }), new nn.Flatten(), new nn.Linear(72, 2)), /layer 2 \(BatchNorm2d\): momentum null \(a cumulative average\) has no layer-list form/],
      [() => new nn.Sequential(u(), new nn.Conv2d(1, 2, 3), new nn.LeakyReLU(0.2), new nn.Flatten(), new nn.Linear(72, 2)), /layer 2 is LeakyReLU\(.*0\.2.*but the layer list's leakyRelu is/],
      [() => new nn.Sequential(u(), new nn.MaxPool2d(2, 2, 0, 2), new nn.Flatten(), new nn.Linear(9, 2)), /layer 1 \(MaxPool2d\): MaxPool2d has dilation 2/],
      [() => new nn.Sequential(u(), new nn.Conv2d(1, 2, 3), new nn.Flatten(), new nn.Linear(72, 2), new nn.Softmax(1)), /layer 4 \(Softmax\) is not a layer type/],
    ];
    for (const [make, msg] of bad) await expect(saveModel(join(dir, 'bad.safetensors'), make())).rejects.toThrow(msg);
  });

  it('models a model file cannot describe are refused with the reason', async () => {
    const bad: Array<[() => nn.Module, RegExp, object?]> = [
      [() => new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh(), new nn.Linear(3, 2), new nn.Softmax()), /ends with Softmax.*give output "softmax"/],
      [() => new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 2)), /layer 1 is Linear, expected a hidden activation/],
      [() => new nn.Sequential(new nn.Linear(2, 3), new nn.LeakyReLU(0.2), new nn.Linear(3, 2)), /LeakyReLU\) has parameter 0.2/],
      [() => new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1)), /one output: say how it is read/],
      [() => new nn.Linear(2, 2), /not a Sequential/],
      [() => new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(3, 3), new nn.ReLU(), new nn.Linear(3, 2)), /different dropout probabilities \(0.5, 0\)/],
    ];
    for (const [make, msg] of bad) {
      await expect(saveModel(join(dir, 'bad.safetensors'), make())).rejects.toThrow(msg);
    }
    const one = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
    expect(specFromModel(one, { output: 'sigmoid' })).toMatchObject({ outputs: 1, output: 'sigmoid' });
    await saveModel(join(dir, 'one.safetensors'), one, { output: 'sigmoid' });
    expect((await loadModel(join(dir, 'one.safetensors'))).spec.output).toBe('sigmoid');
  });

  it('misuse is named: no model, a misspelt loadModel option, a save into a missing directory (which writes nothing)', async () => {
    await expect(saveModel(join(dir, 'null.safetensors'), null as never)).rejects.toThrow(/specFromModel: the model is null, not a Sequential/);
    const one = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 2));
    await saveModel(join(dir, 'two.safetensors'), one);
    await expect(loadModel(join(dir, 'two.safetensors'), { archh: {} } as never)).rejects.toThrow(/loadModel: unknown option 'archh' \(did you mean 'arch'\?\); the options are arch/);
    await expect(saveModel(join(dir, 'no', 'such', 'm.safetensors'), one)).rejects.toThrow(/cannot write ".*m\.safetensors": the directory .*such does not exist$/);
    await expect(saveModel(dir, one)).rejects.toThrow(/cannot write ".*": it is a directory, not a regular file/);
    expect(() => exportOnnx(one, undefined as never)).toThrow(/^exportOnnx: info must be \{spec, data\?\}/);
  });
});
