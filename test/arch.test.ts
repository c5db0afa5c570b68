/**
 * Layer-list architectures (src/arch.ts) through the model description (models.ts), model
 * files, the PyTorch export and `gradlab train --arch`: the grammar and its errors, state-dict
 * shapes computed without building equal to the built model's, format_version 2 round trips
 * (version 1 still written for MLPs), PyTorch giving gradlab's outputs for an exported conv net.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS, parseArch } from '../src/arch.js';
import { noGrad } from '../src/autograd.js';
import { run } from '../src/cli/program.js';
import { runExport } from '../src/cli/commands.js';
import { loadModel, saveModel } from '../src/io/model.node.js';
import { buildModel, countParameters, describeSpec, stateDictShapes, validateSpec, type ModelSpec } from '../src/models.js';
import { Generator, manualSeed } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { expectThrowsMentioning } from './helpers/check.js';

const base = { activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, output: 'softmax' } as const;
const CONV =
  'conv(6,3,padding=1),bn,relu,conv(6,3,groups=2,bias=false),prelu,maxpool(2),residual(6),residual(8,stride=2),avgpool(2,stride=1),dropout(0.1),adaptiveavgpool(2),flatten,linear(12),tanh';
const convSpec = (): ModelSpec => ({ ...base, inputs: 2 * 14 * 13, inputShape: [2, 14, 13], layers: [], arch: parseArch(CONV), outputs: 5 });

const dir = mkdtempSync(join(tmpdir(), 'gradlab-arch-'));

function inputs(n: number, k: number, seed: number): Tensor {
  const g = new Generator(seed);
  return new Tensor(Float32Array.from({ length: n * k }, () => g.normal(0, 1)), [n, k]);
}

describe('arch: the compact grammar', () => {
  it('reads positional and named arguments, numbers, booleans and padding modes', () => {
    expect(parseArch('conv(16, 3, padding=same, bias=false), bn, leakyRelu, maxpool(2,stride=1), flatten, linear(10), dropout(0.5)')).toEqual([
      { type: 'conv', out: 16, kernel: 3, padding: 'same', bias: false },
      { type: 'bn' },
      { type: 'leakyRelu' },
      { type: 'maxpool', kernel: 2, stride: 1 },
      { type: 'flatten' },
      { type: 'linear', out: 10 },
      { type: 'dropout', p: 0.5 },
    ]);
  });

  it('refuses bad layers, naming the layer, the argument and the allowed values', () => {
    expectThrowsMentioning(() => parseArch('conv(16,3),pool(2)'), ['layer 2', '"pool"', 'maxpool']);
    expectThrowsMentioning(() => parseArch('conv(16)'), ['layer 1', 'conv needs kernel']);
    expectThrowsMentioning(() => parseArch('conv(16,3,pad=1)'), ['"pad"', 'padding']);
    expectThrowsMentioning(() => parseArch('conv(16,3,padding=full)'), ['padding', "'same'", '"full"']);
    expectThrowsMentioning(() => parseArch('conv(0,3)'), ['out', 'positive integer', '0']);
    expectThrowsMentioning(() => parseArch('linear(10,true,3)'), ['too many arguments']);
    expectThrowsMentioning(() => parseArch('relu(2)'), ['relu', 'takes none']);
    expectThrowsMentioning(() => parseArch('dropout(1)'), ['dropout', 'p', '[0, 1)']);
    expectThrowsMentioning(() => parseArch('conv(16,3)) relu'), ['cannot read']);
    expectThrowsMentioning(() => parseArch('softmax'), ['"softmax"']);
  });

  it('a string it cannot read says what is wrong with it: brackets, PyTorch syntax, nesting, look-alike letters, separators', () => {
    expectThrowsMentioning(() => parseArch('conv(16,3'), ['layer 1', 'cannot read', '"(" that is never closed']);
    expectThrowsMentioning(() => parseArch('conv(16,3),relu,linear(4))'), ['layer 3', '")" without its "("']);
    expectThrowsMentioning(() => parseArch('nn.Conv2d(1, 16, 3),nn.ReLU()'), ['layer 1', 'without "nn."', 'conv(out, kernel)']);
    expectThrowsMentioning(() => parseArch('conv(16,(3,3))'), ['cannot be nested']);
    expectThrowsMentioning(() => parseArch('relu,lіnear(4)'), ['layer 2', 'U+0456', 'plain ASCII']); // a Cyrillic і
    expectThrowsMentioning(() => parseArch('linear(8);relu'), ['separated by commas']);
    expectThrowsMentioning(() => parseArch('linear(8)]'), ['compact form has no brackets']);
    expectThrowsMentioning(() => parseArch('conv(16,3),,relu'), ['layer 2', 'an empty layer: two commas in a row']);
    expectThrowsMentioning(() => parseArch(' '), ['nothing there']);
    expectThrowsMentioning(() => parseArch('linear128'), ['unknown layer type "linear128"', 'arguments go in parentheses: linear(128)']);
    expectThrowsMentioning(() => parseArch('conv99999'), ['conv(99999, …)']);
    expect(() => parseArch('relu2')).not.toThrow(/parentheses/); // relu takes no arguments: no such hint
    // A list past the limit gives its length, not its JSON.
    const long = parseArch(Array(10_000).fill('relu').join(','));
    expectThrowsMentioning(() => validateSpec({ inputs: 2, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 2, output: 'softmax', arch: long }, '--arch'), ['1 to 256 layers, got 10000']);
  });
});

describe('arch: model specs', () => {
  it("state-dict keys and shapes computed without building equal the built model's (conv, groups, BN, PReLU, residual blocks, linear)", () => {
    const spec = validateSpec(convSpec());
    const built = Object.entries(buildModel(spec).stateDict()).map(([k, t]) => [k, t.shape]);
    expect(stateDictShapes(spec).map((e) => [e.key, e.shape])).toEqual(built);
    expect(stateDictShapes(spec).filter((e) => e.int64).every((e) => e.key.endsWith('num_batches_tracked'))).toBe(true);
    expect(describeSpec(spec)).toBe(`2×14×13 → ${CONV.replace(/,(?![^(]*\))/g, ' → ').replace(/,/g, ', ')} → linear(5) → softmax`);
  });

  it('appends the output layer (after a flatten for images) unless the list ends with linear(outputs)', () => {
    const s = validateSpec({ ...base, inputs: 64, inputShape: [1, 8, 8], layers: [], arch: parseArch('conv(4,3),relu'), outputs: 3 });
    expect(describeSpec(s)).toBe('1×8×8 → conv(4, 3) → relu → flatten → linear(3) → softmax');
    const t = validateSpec({ ...base, inputs: 64, inputShape: [1, 8, 8], layers: [], arch: parseArch('conv(4,3),flatten,linear(3)'), outputs: 3 });
    expect(describeSpec(t)).toBe('1×8×8 → conv(4, 3) → flatten → linear(3) → softmax');
    const m = buildModel(t);
    expect(noGrad(() => m.forward(inputs(2, 64, 1))).shape).toEqual([2, 3]);
  });

  it('refuses layers that cannot take their input, naming the layer and the sizes', () => {
    const spec = (arch: string, inputShape?: number[]): ModelSpec => ({ ...base, inputs: 64, ...(inputShape ? { inputShape } : {}), layers: [], arch: parseArch(arch), outputs: 3 });
    expectThrowsMentioning(() => validateSpec(spec('conv(4,3)')), ['conv', 'needs images', 'inputShape']);
    expectThrowsMentioning(() => validateSpec(spec('conv(4,3),linear(5)', [1, 8, 8])), ['arch[1] (linear)', 'flatten']);
    expectThrowsMentioning(() => validateSpec(spec('conv(4,9)', [1, 8, 8])), ['arch[0] (conv)', 'kernel 9×9', '8×8']);
    expectThrowsMentioning(() => validateSpec(spec('flatten,maxpool(2)', [1, 8, 8])), ['maxpool', 'needs images']);
    expectThrowsMentioning(() => validateSpec(spec('conv(4,3)', [1, 8, 9])), ['inputShape', 'product', '64']);
    expectThrowsMentioning(() => validateSpec({ ...spec('relu'), layers: [4] }), ['either layers', 'arch']);
  });
});

describe('arch: model files and export', () => {
  it('a conv model round-trips through a format_version 2 file; an MLP file is still version 1', async () => {
    manualSeed(3);
    const spec = validateSpec(convSpec());
    const model = buildModel(spec).eval();
    const x = inputs(3, spec.inputs, 2);
    const before = Array.from(noGrad(() => model.forward(x)).data);
    const path = join(dir, 'conv.safetensors');
    await saveModel(path, model, { spec });
    const header = (p: string) => JSON.parse(readFileSync(p).subarray(8, 8 + Number(readFileSync(p).readBigUInt64LE(0))).toString('utf8')).__metadata__;
    expect(header(path).format_version).toBe('2');
    const loaded = await loadModel(path);
    expect(loaded.info.spec).toEqual(spec);
    expect(Array.from(noGrad(() => loaded.model.eval().forward(x)).data)).toEqual(before);
    const mlp = { ...base, inputs: 4, layers: [3], outputs: 2, batchnorm: false } as ModelSpec;
    const mlpPath = join(dir, 'mlp.safetensors');
    await saveModel(mlpPath, buildModel(mlp), { spec: mlp });
    expect(header(mlpPath).format_version).toBe('1');
    expect((await loadModel(mlpPath)).info.spec.layers).toEqual([3]);
  });

  it('PyTorch (/usr/bin/python3) loads the exported conv net and gives gradlab’s outputs (float64 ≤ 1e-9 relative, float32 ≤ 1e-4)', async () => {
    manualSeed(4);
    const spec = validateSpec(convSpec());
    const model = buildModel(spec);
    // Non-trivial running statistics.
    for (const [k, t] of Object.entries(model.stateDict())) {
      if (k.endsWith('running_mean')) for (let j = 0; j < t.size; j++) t.data[j] = 0.1 * (j - 2);
      if (k.endsWith('running_var')) for (let j = 0; j < t.size; j++) t.data[j] = 0.6 + 0.1 * j;
    }
    model.eval();
    const x = inputs(4, spec.inputs, 5);
    const path = join(dir, 'cnn.safetensors');
    await saveModel(path, model, { spec });
    const out32 = Array.from(noGrad(() => model.forward(x)).data);
    model.to('float64');
    const out64 = Array.from(noGrad(() => model.forward(new Tensor(Float64Array.from(x.data), x.shape))).data);
    const sink = { write: () => true };
    expect((await runExport({ model: path, pytorch: join(dir, 'cnn_model.py') }, { stdout: sink, stderr: sink })).code).toBe(0);
    writeFileSync(join(dir, 'x.json'), JSON.stringify(Array.from(x.data)));
    const script = `
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(dir)})
import cnn_model
m = cnn_model.load_model()
x = torch.tensor(json.load(open(${JSON.stringify(join(dir, 'x.json'))})), dtype=torch.float32).reshape(4, -1)
with torch.no_grad():
    print(json.dumps({"f32": m(x).reshape(-1).tolist(), "f64": m.double()(x.double()).reshape(-1).tolist()}))
`;
    const py = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(py.stderr).toBe('');
    const got = JSON.parse(py.stdout) as { f32: number[]; f64: number[] };
    const worst = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(v), 1e-2 * Math.max(...a.map(Math.abs)))));
    expect(got.f64.length).toBe(out64.length);
    expect(worst(out64, got.f64)).toBeLessThanOrEqual(1e-9);
    expect(worst(out32, got.f32)).toBeLessThanOrEqual(1e-4);
  });
});

describe('gradlab train --arch', () => {
  const cli = async (...argv: string[]) => {
    const cap = () => ({ text: '', isTTY: false, write(s: string) { this.text += s; return true; } });
    const stdout = cap();
    const stderr = cap();
    const code = await run(argv, { stdout, stderr });
    return { code, out: stdout.text, err: stderr.text };
  };

  it('trains a conv net on MNIST viewed as [N, 1, 28, 28] and saves a model that evaluates the same', async () => {
    const out = join(dir, 'cli.safetensors');
    const r = await cli('train', '--data', 'mnist', '--limit', '256', '--epochs', '1', '--arch', 'conv(4,3,padding=1),bn,relu,maxpool(2),residual(8,stride=2),adaptiveavgpool(1)', '--out', out, '--json', '-q');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.model).toContain('1×28×28 → conv(4, 3, padding=1)');
    const e = await cli('evaluate', out, '--data', 'mnist', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out).accuracy).toBeCloseTo(summary.test.accuracy, 10);
  });

  it('takes the same list from a JSON file', async () => {
    const file = join(dir, 'arch.json');
    writeFileSync(file, JSON.stringify([{ type: 'linear', out: 8 }, { type: 'relu' }]));
    const r = await cli('train', '--data', 'moons', '--samples', '100', '--epochs', '1', '--arch', file, '--json', '-q');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).model).toBe('2 → linear(8) → relu → linear(2) → softmax');
  });

  it('--model cnn is the VGG-style preset; with --arch it is a usage error', async () => {
    const both = await cli('train', '--data', 'mnist', '--model', 'cnn', '--arch', 'relu', '-q');
    expect(both.code).toBe(2);
    expect(both.err).toContain('--model and --arch');
    const help = await cli('train', '--help');
    expect(help.out).toContain('conv(32,3,padding=1),bn,relu,maxpool(2),conv(64,3,padding=1)');
  });

  it('--resume continues an --arch run exactly (architecture from the checkpoint)', async () => {
    const ck = join(dir, 'ck.safetensors');
    const args = ['--data', 'moons', '--samples', '200', '--batch-size', '16', '--schedule', 'none', '--json', '-q'];
    const arch = ['--arch', 'linear(8),bn,relu,dropout(0.1)'];
    const full = JSON.parse((await cli('train', ...args, ...arch, '--epochs', '2')).out);
    expect((await cli('train', ...args, ...arch, '--epochs', '1', '--checkpoint', ck)).code).toBe(0);
    const resumed = await cli('train', ...args, '--epochs', '2', '--resume', ck);
    expect(resumed.code).toBe(0);
    const r = JSON.parse(resumed.out);
    expect(r.model).toBe(full.model);
    expect(r.train.loss).toBe(full.train.loss);
    expect(r.test.accuracy).toBe(full.test.accuracy);
  });

  it('refuses a bad --arch with a usage error (exit 2) naming the problem, never a stack trace', async () => {
    for (const [arch, mentions] of [
      ['conv(4,3),pool(2)', ['layer 2', '"pool"']],
      ['conv(4,3)', ['needs images', '2 features']],
      ['[{"type": "linear"}]', ['linear needs out']],
      ['[{"type": ', ['not valid JSON']],
    ] as const) {
      const r = await cli('train', '--data', 'moons', '--samples', '100', '--epochs', '1', '--arch', arch, '-q');
      expect(r.code, arch).toBe(2);
      for (const m of mentions) expect(r.err, arch).toContain(m);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});

describe('--model presets', () => {
  it('each preset is a valid layer list on [1, 28, 28] images, with the parameter counts worked out by hand', () => {
    const spec = (arch: string): ModelSpec =>
      validateSpec({ inputs: 784, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 10, output: 'softmax', arch: parseArch(arch), inputShape: [1, 28, 28] });
    // conv 1→c1 (9·c1 + c1), BN (2·c1), conv c1→c2 (9·c1·c2 + c2), BN (2·c2), Linear(c2·7·7 → h), BN (2·h), Linear(h → 10).
    const count = (c1: number, c2: number, h: number) => 10 * c1 + 2 * c1 + 9 * c1 * c2 + c2 + 2 * c2 + (c2 * 49 + 1) * h + 2 * h + (h + 1) * 10;
    expect(countParameters(spec(MODEL_PRESETS.cnn.arch))).toBe(count(32, 64, 128));
    expect(countParameters(spec(MODEL_PRESETS['cnn-small'].arch))).toBe(count(8, 16, 64));
    expect(count(8, 16, 64)).toBe(52314); // the "52 k parameters" of its comment
  });

  const sink = () => ({ text: '', isTTY: false, write(s: string) { this.text += s; return true; } });
  it('--model cnn trains its own 4 epochs unless --epochs is typed', async () => {
    const { MODEL_PRESETS } = await import('../src/cli/train.js');
    // The fast kernels, as the gradlab command selects them (a CNN on the reference kernels is slow).
    await import('../src/kernels/auto.js');
    const epochsOf = async (...extra: string[]) => {
      const out = sink();
      const code = await run(['train', '--data', 'mnist', '--limit', '128', '--model', 'cnn', '--batch-size', '64', '--json', '-q', ...extra], { stdout: out, stderr: sink() });
      expect(code).toBe(0);
      return JSON.parse(out.text).epochs as number;
    };
    expect(await epochsOf()).toBe(MODEL_PRESETS.cnn.epochs);
    expect(MODEL_PRESETS.cnn.epochs).toBe(4);
    expect(await epochsOf('--epochs', '1')).toBe(1);
  });
});
