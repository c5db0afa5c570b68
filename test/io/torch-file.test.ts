/**
 * PyTorch → gradlab by PyTorch's own route: `torch.save(model.state_dict(), 'model.pt')`
 * (test/fixtures/make_torch_pt_fixtures.py, PyTorch 1.13), read by loadModel/--arch and by
 * `model.loadStateDict`, gives PyTorch's outputs in eval and in train mode, and PyTorch's
 * BatchNorm running statistics after a training-mode forward.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { loadModel, loadTorchFile } from '../../src/node.js';
import { isTorchFile, modelFromBytes, modelToBytes, nn, noGrad, Tensor, parseTorchFile } from '../../src/index.js';
import { parseArch } from '../../src/arch.js';
import { Generator } from '../../src/random.js';
import { cli } from '../helpers/cli.js';

ort.env.wasm.numThreads = 1;

const DIR = join(__dirname, '..', 'fixtures', 'torch_pt');
const file = (n: string) => join(DIR, n);
interface NetCase {
  arch: string;
  inputShape: number[];
  x: number[];
  n: number;
  eval: number[];
  train: number[];
  stateAfterTrain: Record<string, number[]>;
}
const expected = JSON.parse(readFileSync(file('expected.json'), 'utf8')) as {
  zoo: NetCase;
  cnn_small: NetCase;
  bn_args: NetCase;
  checkpoint: { spec: Record<string, unknown>; x: number[]; n: number; eval: number[] };
  params: Record<string, number[]>;
  odd: Record<string, { shape: number[]; values: number[] }>;
};

/** max |a − b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let e = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    e = Math.max(e, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return e / m;
}

describe('PyTorch .pt state dicts (torch.save)', () => {
  for (const name of ['zoo', 'cnn_small', 'bn_args'] as const) {
    it(`${name}: loadModel(path, {arch}) gives PyTorch's outputs in eval and train mode, and its running statistics after the training-mode forward (≤ 1e-5)`, async () => {
      const c = expected[name];
      const { model, spec } = await loadModel(file(`${name}.pt`), { arch: { arch: parseArch(c.arch), inputShape: c.inputShape } });
      expect(spec.inputShape).toEqual(c.inputShape);
      const features = c.inputShape.reduce((a, b) => a * b, 1);
      const x = () => new Tensor(Float32Array.from(c.x), [c.n, features]);
      expect(model.training).toBe(false);
      expect(relErr(noGrad(() => model.forward(x())).data, c.eval)).toBeLessThan(1e-5);
      model.train();
      expect(relErr(noGrad(() => model.forward(x())).data, c.train)).toBeLessThan(1e-5);
      // gradlab's first module unflattens the rows: PyTorch's module i is gradlab's i + 1.
      const sd = model.stateDict();
      for (const [k, v] of Object.entries(c.stateAfterTrain)) {
        const ours = sd[k.replace(/^(\d+)\./, (_, i: string) => `${Number(i) + 1}.`)];
        expect(ours, k).toBeDefined();
        if (k.endsWith('num_batches_tracked')) expect(ours.data[0], k).toBe(v[0]);
        else expect(relErr(ours.data, v), k).toBeLessThan(1e-5);
      }
    });
  }

  it('a file written by PyTorch 2 (more archive entries) loads to the same outputs', async () => {
    const c = JSON.parse(readFileSync(file('torch2_expected.json'), 'utf8')) as { torch: string; arch: string; x: number[]; eval: number[] };
    expect(c.torch).toMatch(/^2\./);
    const { model } = await loadModel(file('torch2_conv.pt'), { arch: { arch: parseArch(c.arch) } });
    expect(model.stateDict()['2.num_batches_tracked'].data[0]).toBe(1);
    expect(relErr(noGrad(() => model.forward(new Tensor(Float32Array.from(c.x), [3, 100]))).data, c.eval)).toBeLessThan(1e-5);
  });

  it('a hand-built nn.Sequential loads the file with loadStateDict((await loadTorchFile(path)).tensors), as a PyTorch user writes it', async () => {
    const c = expected.cnn_small;
    const model = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(16 * 7 * 7, 64), new nn.BatchNorm1d(64), new nn.ReLU(), new nn.Linear(64, 10),
    );
    model.loadStateDict((await loadTorchFile(file('cnn_small.pt'))).tensors);
    model.eval();
    const y = noGrad(() => model.forward(new Tensor(Float32Array.from(c.x), [c.n, 1, 28, 28])));
    expect(relErr(y.data, c.eval)).toBeLessThan(1e-5);
  });

  it('loadModel takes the architecture as train --arch does: the compact form, a preset name, or a spec whose arch is either', async () => {
    const c = expected.cnn_small;
    const x = () => new Tensor(Float32Array.from(c.x), [c.n, 784]);
    for (const arch of [c.arch, 'cnn-small', { arch: c.arch }, { arch: 'cnn-small', inputShape: [1, 28, 28] }]) {
      const { model } = await loadModel(file('cnn_small.pt'), { arch });
      expect(relErr(noGrad(() => model.forward(x())).data, c.eval), JSON.stringify(arch)).toBeLessThan(1e-5);
    }
    await expect(loadModel(file('cnn_small.pt'), { arch: 'conv(8,3),bogus' })).rejects.toThrow(/unknown layer type "bogus"/);
  });

  it("a training checkpoint dict {'epoch', 'model_state_dict', 'optimizer_state_dict'}: the model's state dict inside is found and loaded", async () => {
    const c = expected.checkpoint;
    const t = parseTorchFile(readFileSync(file('checkpoint.pt')), 'checkpoint.pt');
    expect(t.path).toBe('model_state_dict');
    const { model, spec } = await loadModel(file('checkpoint.pt'), { arch: c.spec });
    expect(spec.layers).toEqual([12, 8]);
    expect(spec.batchnorm).toBe(true);
    const y = noGrad(() => model.forward(new Tensor(Float32Array.from(c.x), [c.n, 6])));
    expect(relErr(y.data, c.eval)).toBeLessThan(1e-5);
  });

  it('Parameters (dict(model.named_parameters())) and views: transposed, sliced, sharing a storage; float64, float16 and int64', () => {
    const p = parseTorchFile(readFileSync(file('params.pt')));
    expect([...p.tensors.keys()]).toEqual(Object.keys(expected.params));
    for (const [k, v] of Object.entries(expected.params)) expect(Array.from(p.tensors.get(k)!.data as Float32Array)).toEqual(Array.from(Float32Array.from(v)));
    const odd = parseTorchFile(readFileSync(file('odd.pt')));
    const dtypes = Object.fromEntries([...odd.tensors].map(([k, e]) => [k, e.dtype]));
    expect(dtypes).toEqual({ transposed: 'F32', sliced: 'F32', shared: 'F32', double: 'F64', half: 'F16', count: 'I64' });
    for (const [k, want] of Object.entries(expected.odd)) {
      const e = odd.tensors.get(k)!;
      expect(e.shape, k).toEqual(want.shape);
      if (k === 'count') expect(e.data[0]).toBe(123456789012n);
      else expect(Array.from(e.data as Float32Array | Float64Array), k).toEqual(want.values);
    }
  });

  it('a pickled whole module, the legacy format, a safetensors or random file, and damaged archives are refused with the reason', async () => {
    const bytes = (n: string) => new Uint8Array(readFileSync(file(n)));
    expect(() => parseTorchFile(bytes('whole.pt'), 'whole.pt')).toThrow(/whole\.pt: this file pickles a whole module \(torch\.nn\.modules\.container\.Sequential\).*model\.state_dict\(\)/);
    expect(() => parseTorchFile(bytes('legacy.pt'), 'legacy.pt')).toThrow(/legacy\.pt: this is torch\.save's legacy format.*save it again/);
    expect(() => parseTorchFile(new Uint8Array(100), 'x.pt')).toThrow(/x\.pt: not a PyTorch file/);
    const zoo = bytes('zoo.pt');
    expect(() => parseTorchFile(zoo.subarray(0, zoo.length - 30), 'cut.pt')).toThrow(/cut\.pt: not a readable PyTorch file: no ZIP end-of-central-directory record \(is the file truncated\?\)/);
    // A pickle that calls os.system (make_torch_evil_fixture.py): refused by the GLOBAL's name, nothing run.
    expect(() => parseTorchFile(bytes('evil.pt'), 'evil.pt')).toThrow(/^evil\.pt: the pickle refers to the Python object posix\.system, which a state dict does not hold/);
    // An archive re-zipped with compression: named as such.
    const zipped = bytes('params.pt');
    const dv = new DataView(zipped.buffer, zipped.byteOffset, zipped.byteLength);
    for (let o = 0; o + 4 <= zipped.length; o++) if (dv.getUint32(o, true) === 0x02014b50) dv.setUint16(o + 10, 8, true);
    expect(() => parseTorchFile(zipped, 'z.pt')).toThrow(/z\.pt: entry "params\/data\.pkl" is compressed \(method 8\).*re-zipped/);
    // Random damage: every outcome is a state dict or an Error naming the file, never a hang or another exception.
    const g = new Generator(5);
    const small = bytes('params.pt');
    for (let trial = 0; trial < 300; trial++) {
      const b = small.slice();
      for (let k = 0; k < 1 + (trial % 4); k++) b[Math.floor(g.uniform() * b.length)] = Math.floor(g.uniform() * 256);
      try {
        parseTorchFile(b, 'damaged.pt');
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^damaged\.pt: /);
      }
    }
  });

  it('a gradlab model file whose safetensors header is 640 bytes long (it begins 0x80 0x02, as a pickle does) is still a model file', () => {
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 2));
    let bytes: Uint8Array | undefined;
    for (let k = 0; k < 800 && !bytes; k++) {
      const b = modelToBytes(net, { summary: { pad: 'x'.repeat(k) } });
      if (b[0] === 0x80 && b[1] === 0x02 && b[2] === 0) bytes = b;
    }
    expect(bytes, 'no padding gave a 640-byte header').toBeDefined();
    expect(isTorchFile(bytes!)).toBe(false);
    expect(modelFromBytes(bytes!, 'm.safetensors').spec.layers).toEqual([3]);
  });

  it('the CLI: inspect/evaluate a .pt with --arch; without --arch, a whole module, or an image size the tensors do not fix, exit 3 saying what to do; export --onnx runs in onnxruntime with PyTorch\'s logits', async () => {
    const c = expected.cnn_small;
    const arch = JSON.stringify({ arch: c.arch });
    const ins = await cli('inspect', file('cnn_small.pt'), '--arch', c.arch, '--json');
    expect(ins.code, ins.err).toBe(0);
    expect(JSON.parse(ins.out).format).toBe('pytorch.state_dict');
    const ev = await cli('evaluate', file('cnn_small.pt'), '--arch', arch, '--data', 'mnist', '--limit', '50', '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(JSON.parse(ev.out).examples).toBeGreaterThan(0);
    // As train takes them: a preset's name, or the list without its output linear (implied, its width from the tensors).
    for (const a of ['cnn-small', c.arch.replace(/,linear\(10\)$/, '')]) {
      const r = await cli('inspect', file('cnn_small.pt'), '--arch', a, '--json');
      expect(r.code, `${a}: ${r.err}`).toBe(0);
      expect(JSON.parse(r.out).architecture, a).toMatch(/linear\(64\) → bn → relu → linear\(10\) → softmax$/);
    }
    const noArch = await cli('inspect', file('cnn_small.pt'));
    expect(noArch.code).toBe(3);
    expect(noArch.err).toMatch(/cnn_small\.pt: a PyTorch file \(torch\.save\) holds weights but no architecture; give it: --arch/);
    const whole = await cli('inspect', file('whole.pt'), '--arch', '{"activation": "relu"}');
    expect(whole.code).toBe(3);
    expect(whole.err).toMatch(/pickles a whole module/);
    expect(whole.err).not.toMatch(/at .*\.ts:\d+/);

    // After adaptive pooling the tensors fix no image size: guessing one would be wrong, so the user is asked.
    const unsized = await cli('inspect', file('zoo.pt'), '--arch', expected.zoo.arch);
    expect(unsized.code).toBe(3);
    expect(unsized.err).toMatch(/zoo\.pt: the tensors fit images of any size from 3×1×1 to 3×1024×1024 .*"inputShape": \[3, H, W\]/);
    const sized = await cli('inspect', file('zoo.pt'), '--arch', JSON.stringify({ arch: expected.zoo.arch, inputShape: [3, 16, 16] }));
    expect(sized.code, sized.err).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'gradlab-pt-'));
    const onnx = join(dir, 'cnn_small.onnx');
    const ex = await cli('export', file('cnn_small.pt'), '--arch', c.arch, '--onnx', onnx);
    expect(ex.code, ex.err).toBe(0);
    const session = await ort.InferenceSession.create(readFileSync(onnx));
    const r = await session.run({ input: new ort.Tensor('float32', Float32Array.from(c.x), [c.n, 784]) });
    expect(relErr(r.logits.data as Float32Array, c.eval)).toBeLessThan(1e-5);
    writeFileSync(join(dir, 'done'), '');
  });
});
