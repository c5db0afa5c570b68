/**
 * `gradlab export --pytorch`: PyTorch (/usr/bin/python3, torch 1.13) loads the exported script
 * and the .safetensors weights and gives the same outputs as gradlab on the same inputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HIDDEN_ACTIVATIONS } from '../../src/cli/options.js';
import { buildModel, type ModelSpec } from '../../src/models.js';
import { exportPytorch, pyStr, torchLayers } from '../../src/io/export-pytorch.js';
import { saveModel } from '../../src/io/model.node.js';
import { runExport } from '../../src/cli/commands.js';
import { manualSeed, Generator } from '../../src/random.js';
import { noGrad } from '../../src/autograd.js';
import { Tensor } from '../../src/tensor.js';

const PY = '/usr/bin/python3';
const torchCheck = spawnSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const hasTorch = torchCheck.status === 0;
if (!hasTorch) console.warn(`SKIPPING the PyTorch export comparison: ${PY} cannot import torch (${(torchCheck.stderr || String(torchCheck.error)).trim().split('\n').pop()}). CI installs it.`);

const sink = { write: () => true };

function randomInputs(n: number, k: number, seed: number): Tensor {
  const g = new Generator(seed);
  const x = new Float32Array(n * k);
  for (let i = 0; i < x.length; i++) x[i] = g.normal(0, 1.5);
  return new Tensor(x, [n, k]);
}

describe('export to PyTorch', () => {
  it('writes one torch layer per gradlab layer', () => {
    const spec: ModelSpec = { inputs: 4, layers: [8], activation: 'leakyRelu', init: 'auto', batchnorm: true, dropout: 0.2, outputs: 3, output: 'softmax' };
    expect(torchLayers(spec)).toEqual(['nn.Linear(4, 8)', 'nn.BatchNorm1d(8, eps=1e-05, momentum=0.1)', 'nn.LeakyReLU(negative_slope=0.01)', 'nn.Dropout(p=0.2)', 'nn.Linear(8, 3)']);
    const src = exportPytorch(spec, { weightsPath: 'm.safetensors' });
    expect(src).toContain('WEIGHTS = "m.safetensors"');
    expect(src).toContain('import struct');
    expect(src).not.toMatch(/import safetensors/);
  });

  it('PyTorch gives the same outputs as gradlab for every activation (max rel err ≤ 1e-5 in float64, ≤ 1e-4 in float32)', async () => {
    expect(hasTorch, 'PyTorch is missing: /usr/bin/python3 needs Debian python3-torch (scripts/setup.sh installs it)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-export-'));
    const cases: Array<{ name: string; spec: ModelSpec }> = HIDDEN_ACTIVATIONS.map((activation, i) => ({
      name: activation,
      spec: { inputs: 6, layers: [12, 7], activation, init: 'auto', batchnorm: i % 2 === 0, dropout: i % 3 === 0 ? 0.25 : 0, outputs: 4, output: 'softmax' },
    }));
    const x = randomInputs(9, 6, 3);
    const x64 = new Tensor(Float64Array.from(x.data), x.shape);
    const expected: Record<string, number[]> = {};
    const expected64: Record<string, number[]> = {};
    for (const [i, c] of cases.entries()) {
      manualSeed(100 + i);
      const model = buildModel(c.spec);
      // Non-trivial BatchNorm statistics and affine parameters.
      for (const [k, t] of Object.entries(model.stateDict())) {
        if (k.endsWith('running_mean')) for (let j = 0; j < t.size; j++) t.data[j] = 0.1 * (j - 3);
        if (k.endsWith('running_var')) for (let j = 0; j < t.size; j++) t.data[j] = 0.5 + 0.1 * j;
        if (k.endsWith('num_batches_tracked')) t.data[0] = 42;
      }
      model.eval();
      expected[c.name] = Array.from(noGrad(() => model.forward(x)).data);
      const weights = join(dir, `${c.name}.safetensors`);
      await saveModel(weights, model, { spec: c.spec });
      // The same weights evaluated in float64 (both sides), free of float32 rounding.
      model.to('float64');
      expected64[c.name] = Array.from(noGrad(() => model.forward(x64)).data);
      const r = await runExport({ model: weights, pytorch: join(dir, `${c.name}_model.py`) }, { stdout: sink, stderr: sink });
      expect(r.code).toBe(0);
    }
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ shape: x.shape, data: Array.from(x.data) }));
    const script = `
import importlib, json, sys, torch
sys.path.insert(0, ${JSON.stringify(dir)})
x = json.load(open(${JSON.stringify(join(dir, 'x.json'))}))
xt = torch.tensor(x["data"], dtype=torch.float32).reshape(x["shape"])
out = {}
out64 = {}
for name in ${JSON.stringify(cases.map((c) => c.name))}:
    mod = importlib.import_module(name + "_model")
    m = mod.load_model()
    assert not m.training
    with torch.no_grad():
        out[name] = m(xt).reshape(-1).tolist()
        out64[name] = m.double()(xt.double()).reshape(-1).tolist()
    assert int(m.state_dict()[next(k for k in m.state_dict() if k.endswith("num_batches_tracked"))]) == 42 if any(k.endswith("num_batches_tracked") for k in m.state_dict()) else True
print(json.dumps({'f32': out, 'f64': out64}))
`;
    const py = spawnSync(PY, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const { f32: got, f64: got64 } = JSON.parse(py.stdout) as Record<'f32' | 'f64', Record<string, number[]>>;
    for (const c of cases) {
      // float64 on both sides: the exported network and weights are exactly gradlab's.
      const a64 = expected64[c.name];
      const b64 = got64[c.name];
      expect(b64.length).toBe(a64.length);
      const rel64 = a64.map((v, i) => Math.abs(v - b64[i]) / Math.max(Math.abs(v), 1e-6));
      expect(Math.max(...rel64), `${c.name} (float64): max relative error`).toBeLessThanOrEqual(1e-5);
      const a = expected[c.name];
      const b = got[c.name];
      expect(b.length).toBe(a.length);
      // Relative error per output, with a floor of 1% of the largest |output|: a logit that is
      // the float32 sum of O(1) terms cancelling to ~1e-3 carries ~1e-7 absolute rounding error
      // in either library, which says nothing about the export.
      const floor = 1e-2 * Math.max(...a.map(Math.abs));
      const rel = a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(v), floor));
      const worst = rel.indexOf(Math.max(...rel));
      // float32 on both sides: the two libraries round differently (gradlab evaluates
      // activations in float64 and sums in a different order), amplified by the layers.
      expect(rel[worst], `${c.name} (float32): max relative error at ${worst}: gradlab ${a[worst]} torch ${b[worst]}`).toBeLessThanOrEqual(1e-4);
    }
  });

  it('hostile file, class and feature names cannot change the generated program (run by Python)', async () => {
    expect(hasTorch, 'PyTorch is missing: /usr/bin/python3 needs Debian python3-torch').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-export-hostile-'));
    const hostile = [
      'x""";print("INJECTED");"""y',
      "a'''b';print('INJECTED')#",
      'C:\\Users\\new\\U0001f600\\x',
      'line\nprint("INJECTED")\n',
      '\\',
      'tab\tcr\rnul\u0000esc\u001b[31m',
      'emoji 😀 ü \u2028 \ud800 lone',
      '{}%s{0}',
    ];
    const spec: ModelSpec = { inputs: 2, layers: [3], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: hostile.length, output: 'softmax' };
    manualSeed(1);
    const model = buildModel(spec);
    const featureNames = [hostile[0], hostile[3]];
    const weights = join(dir, `${hostile[0]} ${hostile[2]} ${hostile[3]}.safetensors`);
    await saveModel(weights, model, { spec, data: { classNames: hostile, featureNames, scaler: { method: 'standard', offset: [0.5, -1], scale: [2, 3] } } });
    const script = join(dir, 'exported.py');
    const r = await runExport({ model: weights, pytorch: script }, { stdout: sink, stderr: sink });
    expect(r.code).toBe(0);
    const run = spawnSync(PY, [script], { encoding: 'utf8', timeout: 120_000, cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('INJECTED');
    expect(run.stdout).toContain('parameters loaded');
    // The names arrive in Python unchanged (compared as code points, which JSON cannot carry
    // for a lone surrogate).
    const check = `
import json, sys
sys.path.insert(0, ${pyStr(dir)})
import exported as m
cps = lambda s: [ord(c) for c in s]
print(json.dumps({"classes": [cps(c) for c in m.CLASS_NAMES], "features": [cps(c) for c in m.FEATURE_NAMES], "source": cps(m.SOURCE), "scaler": m.SCALER}))
`;
    const py = spawnSync(PY, ['-c', check], { encoding: 'utf8', timeout: 120_000 });
    expect(py.stderr).toBe('');
    const got = JSON.parse(py.stdout);
    const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0));
    expect(got.classes).toEqual(hostile.map(cps));
    expect(got.features).toEqual(featureNames.map(cps));
    expect(got.source).toEqual(cps(weights));
    expect(got.scaler).toEqual({ offset: [0.5, -1], scale: [2, 3] });
    // Plain ASCII, whatever the names.
    expect(exportPytorch(spec, { weightsPath: hostile[6], source: hostile[0], data: { classNames: hostile } })).toMatch(/^[\x20-\x7e\n]*$/);
  });
});

describe('export to PyTorch: conv nets', () => {
  it('every layer type of the layer registry: PyTorch gives gradlab\'s outputs in eval and in train mode (batch statistics), and the same running statistics after it (≤ 1e-5)', async () => {
    expect(hasTorch, 'PyTorch is missing: /usr/bin/python3 needs Debian python3-torch').toBe(true);
    const { LAYER_TYPES, parseArch } = await import('../../src/arch.js');
    const { Dropout } = await import('../../src/nn/dropout.js');
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-export-conv-'));
    const arch = parseArch(
      'conv(6,3,stride=2,padding=1),bn,relu,conv(6,3,padding=same,dilation=2,groups=3,bias=false),bn,leakyRelu,maxpool(3,stride=2,padding=1),' +
        'residual(6),residual(8,stride=2),avgpool(2,stride=1,padding=1),conv(8,1),prelu,adaptiveavgpool(3),dropout(0.3),flatten,linear(12),bn(eps=0.001,momentum=0.2),silu,linear(5)',
    );
    expect(new Set(arch.map((l) => l.type))).toEqual(new Set([...Object.keys(LAYER_TYPES), 'relu', 'leakyRelu', 'prelu', 'silu']));
    const spec = { inputs: 3 * 20 * 20, inputShape: [3, 20, 20], layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 5, output: 'softmax', arch } as unknown as ModelSpec;
    manualSeed(21);
    const model = buildModel(spec);
    for (const [k, t] of Object.entries(model.stateDict())) {
      if (k.endsWith('running_mean')) for (let j = 0; j < t.size; j++) t.data[j] = 0.1 * (j - 3);
      if (k.endsWith('running_var')) for (let j = 0; j < t.size; j++) t.data[j] = 0.5 + 0.1 * j;
      if (k.endsWith('num_batches_tracked')) t.data[0] = 42;
      if (k.endsWith('bn1.weight') || k.endsWith('bn2.weight')) for (let j = 0; j < t.size; j++) t.data[j] = 1 + 0.05 * j;
    }
    const weights = join(dir, 'conv.safetensors');
    await saveModel(weights, model, { spec });
    const x = randomInputs(4, 1200, 7);
    model.eval();
    const evalOut = Array.from(noGrad(() => model.forward(x)).data);
    // Train mode with Dropout kept in eval mode on both sides (its mask is random).
    model.train();
    for (const m of model.modules()) if (m instanceof Dropout) m.training = false;
    const trainOut = Array.from(noGrad(() => model.forward(x)).data);
    const stats = Object.fromEntries(Object.entries(model.stateDict()).filter(([k]) => /running|num_batches/.test(k)).map(([k, t]) => [k, Array.from(t.data)]));
    expect((await runExport({ model: weights, pytorch: join(dir, 'conv_model.py') }, { stdout: sink, stderr: sink })).code).toBe(0);
    writeFileSync(join(dir, 'x.json'), JSON.stringify(Array.from(x.data)));
    const script = `
import importlib, json, sys, torch
sys.path.insert(0, ${JSON.stringify(dir)})
x = torch.tensor(json.load(open(${JSON.stringify(join(dir, 'x.json'))})), dtype=torch.float32).reshape(4, 1200)
m = importlib.import_module("conv_model").load_model()
with torch.no_grad():
    ev = m(x).reshape(-1).tolist()
    m.train()
    for d in m.modules():
        if isinstance(d, torch.nn.Dropout):
            d.eval()
    tr = m(x).reshape(-1).tolist()
stats = {k: v.reshape(-1).tolist() for k, v in m.state_dict().items() if "running" in k or "num_batches" in k}
print(json.dumps({"eval": ev, "train": tr, "stats": stats}))
`;
    const py = spawnSync(PY, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(py.stderr).toBe('');
    const got = JSON.parse(py.stdout) as { eval: number[]; train: number[]; stats: Record<string, number[]> };
    const rel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / Math.max(...b.map(Math.abs));
    expect(rel(got.eval, evalOut)).toBeLessThan(1e-5);
    expect(rel(got.train, trainOut)).toBeLessThan(1e-5);
    expect(Object.keys(got.stats).sort()).toEqual(Object.keys(stats).sort());
    for (const [k, v] of Object.entries(stats)) expect(rel(got.stats[k], v), k).toBeLessThan(1e-5);
  });
});
