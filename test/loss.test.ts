import { loss } from '../src/index.js';
import { getLoss, LOSS_NAMES } from '../src/loss.js';
import { expect, it } from 'vitest';
import { checkOp, describeEachBackend, expectThrowsMentioning, filled, t32 } from './helpers/check.js';

const reduction = (a: Record<string, any>) => ({ reduction: a.reduction });

const BAD_REDUCTION = (fn: (a: any, b: any, o: any) => unknown, target = filled([2, 3])) => ({
  what: "an unknown reduction, naming the option",
  run: () => fn(filled([2, 3]), target, { reduction: 'avg' }),
  mentions: ['reduction', "'avg'"],
});
const SHAPE_MISMATCH = (fn: (a: any, b: any) => unknown) => ({
  what: 'input and target of different shapes',
  run: () => fn(filled([2, 3]), filled([3, 2])),
  mentions: ['[2, 3]', '[3, 2]'],
});

checkOp({ title: 'loss.mse', file: 'losses.json', prefix: 'mse/', call: (a) => (x, t) => loss.mse(x, t, reduction(a)), bad: [BAD_REDUCTION(loss.mse), SHAPE_MISMATCH(loss.mse)] });
checkOp({ title: 'loss.l1', file: 'losses.json', prefix: 'l1/', call: (a) => (x, t) => loss.l1(x, t, reduction(a)), bad: [BAD_REDUCTION(loss.l1), SHAPE_MISMATCH(loss.l1)] });
checkOp({
  title: 'loss.huber',
  file: 'losses.json',
  prefix: 'huber/',
  call: (a) => (x, t) => loss.huber(x, t, { reduction: a.reduction, delta: a.delta }),
  bad: [
    BAD_REDUCTION(loss.huber),
    SHAPE_MISMATCH(loss.huber),
    { what: 'delta ≤ 0, naming the option', run: () => loss.huber(filled([2]), filled([2]), { delta: 0 }), mentions: ['delta', '0'] },
  ],
});
checkOp({
  title: 'loss.bceWithLogits',
  file: 'losses.json',
  prefix: 'bceWithLogits/',
  call: (a) => (x, t) => loss.bceWithLogits(x, t, reduction(a)),
  bad: [BAD_REDUCTION(loss.bceWithLogits), SHAPE_MISMATCH(loss.bceWithLogits)],
});
checkOp({
  title: 'loss.crossEntropy',
  file: 'losses.json',
  prefix: 'crossEntropy/',
  call: (a) => (x, y) => loss.crossEntropy(x, y, reduction(a)),
  bad: [
    BAD_REDUCTION(loss.crossEntropy, t32([0, 1], [2])),
    { what: 'logits that are not [N, C]', run: () => loss.crossEntropy(filled([6]), t32([0], [1])), mentions: ['[N, C]', '[6]'] },
    { what: 'one label too few', run: () => loss.crossEntropy(filled([3, 4]), t32([0, 1], [2])), mentions: ['[3]', '[2]'] },
    { what: 'a class index out of range', run: () => loss.crossEntropy(filled([2, 4]), t32([0, 4], [2])), mentions: ['target[1]', '4', '[0, 3]'] },
    { what: 'a fractional class index', run: () => loss.crossEntropy(filled([2, 4]), t32([0, 1.5], [2])), mentions: ['1.5'] },
    { what: 'a negative class index', run: () => loss.crossEntropy(filled([2, 4]), t32([-1, 1], [2])), mentions: ['-1'] },
  ],
});

checkOp({
  title: 'loss.nllLoss',
  file: 'tensor_ops.json',
  prefix: 'nllLoss/',
  call: (a) => (x, y) => loss.nllLoss(x, y, reduction(a)),
  bad: [
    BAD_REDUCTION(loss.nllLoss, t32([0, 1], [2])),
    { what: 'input that is not [N, C]', run: () => loss.nllLoss(filled([6]), t32([0], [1])), mentions: ['nllLoss', '[N, C]', '[6]'] },
    { what: 'a class index out of range', run: () => loss.nllLoss(filled([2, 4]), t32([0, 4], [2])), mentions: ['nllLoss', 'target[1]', '4', '[0, 3]'] },
  ],
});

checkOp({
  title: 'loss.bce',
  file: 'tensor_ops.json',
  prefix: 'bce/',
  call: (a) => (p, t) => loss.bce(p, t, reduction(a)),
  bad: [
    BAD_REDUCTION(loss.bce, t32([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [2, 3])),
    SHAPE_MISMATCH(loss.bce),
    { what: 'a value that is not a probability', run: () => loss.bce(t32([0.5, 1.5], [2]), t32([0, 1], [2])), mentions: ['bce', 'input[1] = 1.5', '[0, 1]', 'sigmoid', 'bceWithLogits'] },
  ],
});

describeEachBackend('loss registry', () => {
  it('finds every loss by name', () => {
    for (const n of LOSS_NAMES) expect(getLoss(n)).toBe(loss[n]);
  });
  it('refuses an unknown loss name, listing the valid ones', () => {
    expectThrowsMentioning(() => getLoss('nll'), ["'nll'", ...LOSS_NAMES]);
  });
  it('defaults to the mean reduction', () => {
    const x = t32([1, 2, 3, 4], [4]);
    const t = t32([0, 0, 0, 0], [4]);
    expect(loss.mse(x, t).item()).toBeCloseTo(7.5, 6);
    expect(loss.mse(x, t, { reduction: 'sum' }).item()).toBeCloseTo(30, 5);
  });
});

describeEachBackend('elementwise losses with input and target of different shapes', () => {
  it("[N, 1] against [N] is refused, saying PyTorch would broadcast to [N, N] and the reshape meant (mse, l1, huber, bce, bceWithLogits)", () => {
    for (const [name, fn] of [['mse', loss.mse], ['l1', loss.l1], ['huber', loss.huber], ['bce', loss.bce], ['bceWithLogits', loss.bceWithLogits]] as const) {
      expectThrowsMentioning(() => fn(filled([4, 1]).sigmoid(), filled([4]).sigmoid()), [
        `${name}: input of shape [4, 1] and target of shape [4] must have the same shape`,
        'PyTorch would broadcast them to [4, 4]',
        'target.reshape(4, 1)',
      ]);
    }
    // Neither broadcastable nor of one size: the shapes alone.
    expectThrowsMentioning(() => loss.mse(filled([4, 3]), filled([5, 3])), ['[4, 3]', '[5, 3]']);
  });
});

describeEachBackend('crossEntropy with logits that are not [N, C]', () => {
  it('one unbatched example [C] (PyTorch takes it) and per-position [N, C, L] say how to make [N, C]', () => {
    expectThrowsMentioning(() => loss.crossEntropy(filled([3]), filled([1]).mul(0)), ['crossEntropy: logits must be [N, C], got [3]', 'logits.unsqueeze(0)']);
    expectThrowsMentioning(() => loss.crossEntropy(filled([2, 3, 4]), filled([2, 4]).mul(0)), ['got [2, 3, 4]', 'flatten to [N·d…, C]']);
  });
});
