/**
 * Residual connections: nn.BasicBlock against torchvision's ResNet basic block (keys, output,
 * gradients, state; identity and 1×1-projection shortcuts; fixture from make_conv_fixtures.py),
 * nn.Residual's shapes and errors, and He et al. 2016's observation on a small task: a deep
 * plain net trains worse than the same depth with identity shortcuts.
 */
import { expect, it } from 'vitest';
import { loss, manualSeed, nn, ops, optim, tensor } from '../../src/index.js';
import { setBackend } from '../../src/kernels/index.js';
import { reference } from '../../src/kernels/reference.js';
import { spiral } from '../../src/data/synthetic.js';
import { BACKENDS, describeEachBackend, expectGradcheck, expectThrowsMentioning, filled, fixture, load } from '../helpers/check.js';
import { expectMatchesTorch, torchState, type ModelFixture } from '../helpers/models.js';

const BLOCKS = fixture<Record<string, ModelFixture & { inChannels: number; outChannels: number; stride: number }>>('resblock.json');

describeEachBackend('nn.BasicBlock (torchvision ResNet basic block)', () => {
  for (const [name, M] of Object.entries(BLOCKS)) {
    it(`${name} shortcut (${M.inChannels}→${M.outChannels}, stride ${M.stride}): torch's keys, order, shapes, output, gradients and state`, () => {
      const block = new nn.BasicBlock(M.inChannels, M.outChannels, M.stride);
      const sd = block.stateDict();
      expect(Object.keys(sd)).toEqual(M.keys);
      for (const k of M.keys) expect(sd[k].shape, k).toEqual(M.shapes[k]);
      expect(block.namedParameters().map(([k]) => k)).toEqual(M.parameterKeys);
      expectMatchesTorch(block, M, `BasicBlock ${name}`);
    });
  }

  it('input and parameter gradients match finite differences (float64), projection shortcut', () => {
    const M = BLOCKS.projection;
    const block = new nn.BasicBlock(M.inChannels, M.outChannels, M.stride);
    block.loadStateDict(torchState(M.state0));
    block.to('float64');
    const x = load(M.x, { dtype: 'float64', requiresGrad: true });
    const y = load(M.y, { dtype: 'float64' });
    expectGradcheck(() => loss.crossEntropy(ops.flatten(block.forward(x), 1), y), [x, ...block.parameters()], 'BasicBlock');
  });

  it('refuses an input with the wrong channel count, naming the expected layout', () => {
    expectThrowsMentioning(() => new nn.BasicBlock(3, 4).forward(filled([1, 2, 4, 4])), ['BasicBlock(3, 4)', '[N, 3, H, W]', '[1, 2, 4, 4]']);
    expectThrowsMentioning(() => new nn.BasicBlock(3, 4, 0), ['BasicBlock', 'stride']);
  });
});

describeEachBackend('nn.Residual', () => {
  it('computes body(x) + x, or body(x) + shortcut(x), with keys body.* and shortcut.*', () => {
    const body = new nn.Linear(3, 3);
    const r = new nn.Residual(body);
    const x = tensor([[1, 2, 3]]);
    const y = r.forward(x);
    const f = body.forward(x);
    expect(Array.from(y.data)).toEqual(Array.from(f.data, (v, i) => Math.fround(v + x.data[i])));
    expect(Object.keys(r.stateDict())).toEqual(['body.weight', 'body.bias']);
    const p = new nn.Residual(new nn.Sequential(new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1 })), new nn.Sequential(new nn.Conv2d(2, 4, 1, { stride: 2 }), new nn.BatchNorm2d(4)));
    expect(p.forward(filled([2, 2, 5, 5])).shape).toEqual([2, 4, 3, 3]);
    expect(Object.keys(p.stateDict())).toEqual([
      'body.0.weight',
      'body.0.bias',
      'shortcut.0.weight',
      'shortcut.0.bias',
      'shortcut.1.weight',
      'shortcut.1.bias',
      'shortcut.1.running_mean',
      'shortcut.1.running_var',
      'shortcut.1.num_batches_tracked',
    ]);
  });

  it('refuses a body that changes the shape without a shortcut, naming both shapes and the remedy', () => {
    const r = new nn.Residual(new nn.Conv2d(2, 4, 3, { padding: 1 }));
    expectThrowsMentioning(() => r.forward(filled([1, 2, 4, 4])), ['Residual', '[1, 4, 4, 4]', '[1, 2, 4, 4]', 'shortcut', '1×1']);
  });
});

/**
 * He et al. 2016 (Fig. 1/4): with BatchNorm in both, the deeper plain net has the higher
 * *training* loss; shortcuts remove the gap. 21 weight layers of width 16 on a 2-arm spiral
 * (256 points), full-batch SGD (lr 0.05, momentum 0.9), 60 steps. Measured over seeds 0–4:
 * plain 0.17–0.40, residual 0.006–0.014 (ratio ≥ 12); checked on seeds 0–2 with margins:
 * residual < 0.05, plain > 0.1, and plain > 5 × residual.
 */
it('a 21-layer plain net trains worse than the same depth with residual connections (seeds 0–2)', () => {
  // A behaviour, not a kernel check: the fastest backend (the last one listed).
  setBackend(BACKENDS[BACKENDS.length - 1]);
  const W = 16;
  const stem = (): nn.Module[] => [new nn.Linear(2, W), new nn.BatchNorm1d(W), new nn.ReLU()];
  const plain = () => {
    const layers = stem();
    for (let i = 0; i < 20; i++) layers.push(new nn.Linear(W, W), new nn.BatchNorm1d(W), new nn.ReLU());
    return new nn.Sequential(...layers, new nn.Linear(W, 2));
  };
  const residual = () => {
    const layers = stem();
    for (let i = 0; i < 10; i++) {
      const body = new nn.Sequential(new nn.Linear(W, W), new nn.BatchNorm1d(W), new nn.ReLU(), new nn.Linear(W, W), new nn.BatchNorm1d(W));
      layers.push(new nn.Residual(body), new nn.ReLU());
    }
    return new nn.Sequential(...layers, new nn.Linear(W, 2));
  };
  const train = (make: () => nn.Sequential, seed: number) => {
    const ds = spiral({ n: 256, seed });
    manualSeed(seed);
    const model = make();
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    let last = NaN;
    for (let step = 0; step < 60; step++) {
      opt.zeroGrad();
      const l = loss.crossEntropy(model.forward(ds.x), ds.y);
      l.backward();
      opt.step();
      last = l.item();
    }
    return last;
  };
  for (const seed of [0, 1, 2]) {
    const p = train(plain, seed);
    const r = train(residual, seed);
    expect(r, `seed ${seed}: residual loss`).toBeLessThan(0.05);
    expect(p, `seed ${seed}: plain loss`).toBeGreaterThan(0.1);
    expect(p, `seed ${seed}: plain ${p} vs residual ${r}`).toBeGreaterThan(5 * r);
  }
  setBackend(reference);
});
