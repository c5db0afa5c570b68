/**
 * loadStateDict as PyTorch's load_state_dict: a plain object or a Map (loadSafetensors'
 * `.tensors`), int64 entries, every problem in one error, non-strict loading. The fixture
 * torch_mlp.safetensors is a PyTorch state dict written by make_state_dict_fixtures.py, with
 * PyTorch's eval-mode outputs in torch_mlp.json.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { nn, noGrad, tensor } from '../../src/index.js';
import { loadSafetensors } from '../../src/node.js';
import { describeEachBackend, expectClose, expectThrowsMentioning, fixture } from '../helpers/check.js';

const T = fixture<{ x: number[][]; output: number[][]; numBatchesTracked: number; keys: string[] }>('torch_mlp.json');
const file = fileURLToPath(new URL('../fixtures/torch_mlp.safetensors', import.meta.url));

const build = () => new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));

describeEachBackend('loadStateDict', () => {
  it("loads PyTorch's safetensors state dict in one line and gives PyTorch's eval-mode outputs", async () => {
    const model = build();
    model.loadStateDict((await loadSafetensors(file)).tensors);
    model.eval();
    expect(model.stateDict()['1.num_batches_tracked'].item()).toBe(T.numBatchesTracked);
    const out = noGrad(() => model.forward(tensor(T.x)));
    expect(out.shape).toEqual([5, 3]);
    expectClose(out.data, T.output.flat(), 'eval output vs PyTorch', { group: 'state dict from PyTorch' });
  });

  it('the safetensors entries keep PyTorch’s dtypes: num_batches_tracked arrives as int64 (BigInt64Array)', async () => {
    const f = await loadSafetensors(file);
    const nbt = f.tensors.get('1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.data).toBeInstanceOf(BigInt64Array);
    expect([...f.tensors.keys()].sort()).toEqual([...T.keys].sort());
  });

  it('{shape, data} whose data is a string or holds non-numbers is refused (it was written as NaN); a bare typed array is told how to give a shape', () => {
    const lin = new nn.Linear(3, 2);
    const before = Array.from(lin.weight.data);
    const bias = { shape: [2], data: new Float32Array(2) };
    for (const [data, says] of [
      ['abcdef', "'weight' has data a string"],
      [[1, 2, '3', 4, 5, 6], "'weight' has data[2] = \"3\", not a number"],
      [[1, 2, null, 4, 5, 6], "'weight' has data[2] = null, not a number"],
      [[[1, 2, 3], [4, 5, 6]], "'weight' has data[0] = an array, not a number (data is the flat list of values"],
      [[1n, 2, 3, 4, 5, 6], "'weight' has data[0] = 1n"],
    ] as const) {
      expectThrowsMentioning(() => lin.loadStateDict({ weight: { shape: [2, 3], data: data as never }, bias }), ['loadStateDict(Linear)', 'nothing was loaded', says]);
      expect(Array.from(lin.weight.data)).toEqual(before);
    }
    expectThrowsMentioning(() => lin.loadStateDict({ weight: new Float64Array(6) as never, bias }), ["'weight'", 'got a Float64Array', 'values without a shape', 'tensor(values, [2, 3])']);
    expectThrowsMentioning(() => lin.loadStateDict({ weight: new Int32Array(6) as never, bias }), ['got an Int32Array']);
    expectThrowsMentioning(() => lin.loadStateDict({ weight: new Uint8Array(6) as never, bias }), ['got a Uint8Array']);
    expect(Array.from(lin.weight.data)).toEqual(before);
    // Typed arrays of any numeric dtype with a shape load, converted as PyTorch's copy_ converts.
    lin.loadStateDict({ weight: { shape: [2, 3], data: new Int32Array([1, 2, 3, 4, 5, 6]) }, bias: { shape: [2], data: new Float64Array([0.5, -0.5]) } });
    expect(Array.from(lin.weight.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(lin.bias!.data)).toEqual([0.5, -0.5]);
  });

  it('a Map and a plain object load the same values', () => {
    const src = build();
    const a = build();
    const b = build();
    a.loadStateDict(src.stateDict());
    b.loadStateDict(new Map(Object.entries(src.stateDict())));
    for (const [k, t] of Object.entries(src.stateDict())) {
      expect(Array.from(a.stateDict()[k].data), k).toEqual(Array.from(t.data));
      expect(Array.from(b.stateDict()[k].data), k).toEqual(Array.from(t.data));
    }
  });

  it('strict: one error lists every missing key, every unexpected key and every shape mismatch, and nothing is written', () => {
    const model = build();
    const before = Array.from(model.stateDict()['3.weight'].data);
    const s: Record<string, nn.StateEntry> = { ...build().stateDict() };
    delete s['1.running_mean'];
    delete s['1.running_var'];
    s['extra.weight'] = tensor([1]);
    s['head.bias'] = tensor([1]);
    s['0.weight'] = { shape: [4, 8], data: new Float32Array(32) };
    s['3.bias'] = { shape: [2], data: [0, 0] };
    const err = expectThrowsMentioning(() => model.loadStateDict(s), [
      'missing keys',
      "'1.running_mean', '1.running_var'",
      'unexpected keys',
      "'extra.weight', 'head.bias'",
      "size mismatch for '0.weight': shape [4, 8] in the state dict, [8, 4] in the model",
      "size mismatch for '3.bias': shape [2] in the state dict, [3] in the model",
      'nothing was loaded',
    ]);
    expect(err.message.split('\n').length).toBe(5);
    expect(Array.from(model.stateDict()['3.weight'].data)).toEqual(before);
  });

  it("a state dict saved from nn.DataParallel (keys 'module.0.weight', …) says to strip 'module.'", () => {
    const model = build();
    const wrapped = Object.fromEntries(Object.entries(build().stateDict()).map(([k, v]) => [`module.${k}`, v]));
    expectThrowsMentioning(() => model.loadStateDict(wrapped), ["unexpected keys (in the state dict, not in the model): 'module.0.weight'", "the state dict's keys start with 'module.', as (Distributed)DataParallel saves them"]);
  });

  it('non-strict: loads what matches and returns {missingKeys, unexpectedKeys}; shape mismatches still throw', () => {
    const model = build();
    const r = model.loadStateDict({ '0.weight': { shape: [8, 4], data: new Array(32).fill(0.5) }, 'other.bias': tensor([1, 2]) }, false);
    expect(r.unexpectedKeys).toEqual(['other.bias']);
    expect(r.missingKeys).toContain('1.num_batches_tracked');
    expect(r.missingKeys).not.toContain('0.weight');
    expect(Array.from(model.stateDict()['0.weight'].data).every((v) => v === 0.5)).toBe(true);
    expectThrowsMentioning(() => model.loadStateDict({ '0.bias': tensor([1, 2]) }, false), ["size mismatch for '0.bias'", '[2]', '[8]']);
    expect(build().loadStateDict(build().stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it('int64 values beyond 2^53, entries that are not tensors, and a state dict that is not an object are named errors', () => {
    const model = build();
    const s: Record<string, nn.StateEntry> = { ...build().stateDict() };
    s['1.num_batches_tracked'] = { shape: [], data: new BigInt64Array([2n ** 60n]) };
    expectThrowsMentioning(() => model.loadStateDict(s), ["'1.num_batches_tracked'", '1152921504606846976', '2^53']);
    s['1.num_batches_tracked'] = { shape: [], data: new BigInt64Array([7n]) };
    model.loadStateDict(s);
    expect(model.stateDict()['1.num_batches_tracked'].item()).toBe(7);
    expectThrowsMentioning(() => model.loadStateDict({ ...build().stateDict(), '0.bias': 3 as never }), ["'0.bias'", 'not a tensor', 'number']);
    expectThrowsMentioning(() => model.loadStateDict([] as never), ['plain object or a Map', 'array']);
    expectThrowsMentioning(() => model.loadStateDict(null as never), ['plain object or a Map', 'null']);
  });
});
