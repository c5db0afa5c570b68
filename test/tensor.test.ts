import { expect, it } from 'vitest';
import { Generator, manualSeed, rand, randn, tensor, zeros, ones, full, Tensor, labels, nn, ops } from '../src/index.js';
import { describeEachBackend, expectThrowsMentioning } from './helpers/check.js';

describeEachBackend('tensor', () => {
  it('infers shapes from nested arrays, row-major', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.dtype).toBe('float32');
    expect(tensor(3).shape).toEqual([]);
    expect(tensor(3).item()).toBe(3);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(new Float64Array([1, 2])).dtype).toBe('float64');
    expect(labels([0, 2, 1]).shape).toEqual([3]);
  });
  it('refuses ragged nested arrays', () => {
    expectThrowsMentioning(() => tensor([[1, 2], [3]]), ['ragged', 'element [1] has length 1', 'length 2']);
    expectThrowsMentioning(() => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]]), ['ragged', 'element [1, 1] has length 1', 'depth 2', 'length 2']);
    expectThrowsMentioning(() => tensor([[1, 2], 'ab'] as never), ['ragged', 'element [1] is "ab", not a list']);
    expectThrowsMentioning(() => tensor([[1, 2], 3] as never), ['ragged']);
    expectThrowsMentioning(() => tensor([1, [2, 3]] as never), ['ragged']);
  });
  it('refuses elements that are not numbers, naming the element (no NaN, no coercion of "1"); booleans are 0/1 as in PyTorch', () => {
    expectThrowsMentioning(() => tensor(['a', 'b'] as never), ['element [0]', '"a"', 'not a number']);
    expectThrowsMentioning(() => tensor([1, '2'] as never), ['element [1]', '"2"']);
    expectThrowsMentioning(() => tensor([[1, 2], [3, null]] as never), ['element [1, 1]', 'null']);
    expectThrowsMentioning(() => tensor([{}, {}] as never), ['element [0]', '{}', 'not a number']);
    expectThrowsMentioning(() => tensor([[1, undefined]] as never), ['element [0, 1]', 'undefined']);
    expectThrowsMentioning(() => tensor(null as never), ['data must be', 'got null']);
    expectThrowsMentioning(() => tensor(undefined as never), ['data must be', 'got undefined']);
    expectThrowsMentioning(() => tensor('1' as never), ['data must be', '"1"']);
    // torch.tensor(t) copies t's values (PyTorch warns and copies): a new tensor, not a view.
    const src = tensor([1, 2]);
    const copy = tensor(src as never);
    expect(Array.from(copy.data)).toEqual([1, 2]);
    expect(copy.data).not.toBe(src.data);
    expect(Array.from(tensor([true, false] as never).data)).toEqual([1, 0]);
    expect(Array.from(tensor([NaN, Infinity]).data)).toEqual([NaN, Infinity]); // float values, kept
  });
  it('an allocation beyond memory says how much was asked', () => {
    expectThrowsMentioning(() => zeros([1e6, 1e6]), ['cannot allocate', '1,000,000,000,000 float32 elements', 'out of memory']);
  });
  it('an allocation beyond memory names the function or layer and the shape, and the process goes on', () => {
    const huge = (f: () => unknown, mentions: string[]): void => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err, mentions[0]).toBeInstanceOf(RangeError);
      for (const m of mentions) expect((err as Error).message).toContain(m);
      // never V8's "Argument 0 must be in the unsigned long range" or a bare "Invalid typed array length"
      expect((err as Error).message).toMatch(/^[^\n]+: cannot allocate a tensor of shape/);
    };
    huge(() => zeros(1e5, 1e5), ['zeros()', '[100000, 100000]', '10,000,000,000 float32 elements (37.3 GiB']);
    huge(() => randn([1e5, 1e5]), ['randn()', '[100000, 100000]']);
    huge(() => ones([2 ** 40]), ['ones()', '[1099511627776]']);
    huge(() => full([1e12], 0), ['full()', '[1000000000000]']);
    huge(() => new nn.Linear(1e6, 1e6), ['Linear(1000000, 1000000).weight', '[1000000, 1000000]']);
    huge(() => new nn.Conv2d(1e5, 1e5, 3), ['Conv2d(100000, 100000).weight', '[100000, 100000, 3, 3]']);
    huge(() => ops.adaptiveAvgPool2d(randn([1, 1, 2, 2]), 1e6), ['[1, 1, 1000000, 1000000]']);
    expect(randn([64, 64]).matmul(randn([64, 64])).shape).toEqual([64, 64]);
  });
  it('a shape argument that is not a list of dimensions is refused, naming it', () => {
    expectThrowsMentioning(() => tensor([1, 2], '2' as never), ['tensor()', 'shape must be a list', '"2"']);
    expectThrowsMentioning(() => tensor([[1, 2], [3, 4]], 1.5 as never), ['tensor()', 'shape must be a list', '1.5']);
    expectThrowsMentioning(() => tensor([[1, 2], [3, 4]], [4, -1]), ['tensor()', '[4, -1]']);
    expectThrowsMentioning(() => tensor([1n, 2n] as never), ['element [0]', '1n (a BigInt']);
  });
  it('refuses raw bytes, lists of tensors and nesting past 64 levels with the fix, and a requiresGrad that is not a boolean', () => {
    expectThrowsMentioning(() => tensor(new ArrayBuffer(8) as never), ['tensor()', 'ArrayBuffer', 'new Float32Array(buffer)']);
    expectThrowsMentioning(() => tensor(new DataView(new ArrayBuffer(8)) as never), ['tensor()', 'DataView', 'new Float32Array(view.buffer)']);
    expectThrowsMentioning(() => tensor([tensor(1), tensor(2)] as never), ['element [0]', 'Tensor', 'stack([...])']);
    let deep: unknown = [1];
    for (let i = 0; i < 100_000; i++) deep = [deep]; // a stack overflow before
    expectThrowsMentioning(() => tensor(deep as never), ['tensor()', 'nested more than 64 levels deep']);
    expectThrowsMentioning(() => tensor([1, 2], { requiresGrad: 'yes' as never }), ['tensor()', 'requiresGrad must be true or false', '"yes"']);
    expectThrowsMentioning(() => zeros([2], { requiresGrad: 1 as never }), ['zeros()', 'requiresGrad must be true or false']);
    expectThrowsMentioning(() => tensor([1, 2], { dtype: 'int64', requiresGrad: true }), ['tensor()', 'only floating-point tensors can require gradients', "'int64'"]);
  });
  it('refuses data that does not fit the shape, naming both', () => {
    expectThrowsMentioning(() => tensor([1, 2, 3], [2, 2]), ['3 values', '[2, 2]']);
    expectThrowsMentioning(() => tensor([[1, 2], [3, 4]], [3]), ['[2, 2]', '[3]']);
    expectThrowsMentioning(() => tensor(1, [2]), ['[2]']);
    expectThrowsMentioning(() => new Tensor(new Float32Array(3), [2, 2]), ['3 elements', '[2, 2]']);
    expectThrowsMentioning(() => zeros([2, -1]), ['[2, -1]']);
    expectThrowsMentioning(() => zeros([1.5]), ['[1.5]']);
  });
  it('item() refuses tensors with more than one element', () => {
    expectThrowsMentioning(() => tensor([1, 2]).item(), ['[2]', '2 elements']);
  });
  it('zeros/ones/full fill; detach shares storage; clone copies', () => {
    expect(Array.from(ones([2]).data)).toEqual([1, 1]);
    expect(Array.from(full([2], 7).data)).toEqual([7, 7]);
    const a = tensor([1, 2], undefined, { requiresGrad: true });
    const d = a.detach();
    const c = a.clone();
    a.data[0] = 9;
    expect(d.data[0]).toBe(9);
    expect(c.data[0]).toBe(1);
    expect(d.requiresGrad).toBe(false);
  });
  it('manualSeed makes randn/rand reproducible; different seeds differ', () => {
    manualSeed(123);
    const a = Array.from(randn([50]).data);
    const b = Array.from(rand([50]).data);
    manualSeed(123);
    expect(Array.from(randn([50]).data)).toEqual(a);
    expect(Array.from(rand([50]).data)).toEqual(b);
    manualSeed(124);
    expect(Array.from(randn([50]).data)).not.toEqual(a);
    const g1 = new Generator(5);
    const g2 = new Generator(5);
    expect(Array.from(randn([10], { generator: g1 }).data)).toEqual(Array.from(randn([10], { generator: g2 }).data));
  });
  it('a generator state round-trips', () => {
    const g = new Generator(77);
    g.normal();
    const s = g.getState();
    const x = [g.normal(), g.random()];
    g.setState(s);
    expect([g.normal(), g.random()]).toEqual(x);
  });
  it('randn has mean ≈ 0 and std ≈ 1; rand lies in [0, 1)', () => {
    manualSeed(0);
    const n = randn([100000]).data;
    let s = 0;
    let ss = 0;
    for (const v of n) {
      s += v;
      ss += v * v;
    }
    expect(Math.abs(s / n.length)).toBeLessThan(5 / Math.sqrt(n.length));
    expect(Math.abs(Math.sqrt(ss / n.length) - 1)).toBeLessThan(5 / Math.sqrt(2 * n.length));
    const u = rand([10000]).data;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
  it('manualSeed refuses a non-integer seed', () => {
    expectThrowsMentioning(() => manualSeed(1.5), ['seed', '1.5']);
  });
});

// makemore's `W1 = torch.randn(...) * (5/3) / fan_in**0.5` then `p.requires_grad = True`: W1 is a leaf (nothing it came
// from requires grad), so the flag can be set; on a tensor computed from ones that require grad, PyTorch refuses a change.
it("requiresGrad is set on leaves, including a computed tensor without a graph; a graph's intermediate refuses a change, naming detach()", () => {
  const W1 = randn([30, 200]).mul((5 / 3) / 30 ** 0.5);
  expect(W1.isLeaf).toBe(true);
  W1.requiresGrad = true;
  W1.sum().backward();
  expect(W1.grad!.shape).toEqual([30, 200]);
  const a = tensor([1, 2], { requiresGrad: true });
  const b = a.mul(2);
  b.requiresGrad = true; // no change: allowed
  expect(() => { b.requiresGrad = false; }).toThrow(/requiresGrad: only a leaf's flag can change, and this tensor \(shape \[2\]\) was computed by mul; use t\.detach\(\)/);
  expect(() => b.requiresGrad_(false)).toThrow(/only a leaf's flag can change/);
  expect(b.requiresGrad).toBe(true);
  b.sum().backward();
  expect(Array.from(a.grad!.data)).toEqual([2, 2]);
  const d = b.detach();
  d.requiresGrad = false;
  expect(d.requiresGrad).toBe(false);
});
