// PyTorch's loss options as users pass them: class weights, ignoreIndex, labelSmoothing, soft
// (probability) targets, NLLLoss weights, BCEWithLogitsLoss posWeight. Losses and gradients equal
// PyTorch's (test/fixtures/pytorch-loss-options.py wrote the JSON).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loss, nn, ops, tensor, type Tensor } from '../src/index.js';

type Ref = { loss: number | number[]; grad: number[][] };
const torch = JSON.parse(readFileSync(new URL('./fixtures/pytorch-loss-options.json', import.meta.url), 'utf8')) as Record<string, Ref>;

const x0 = [[1, 2, 0.5, -1], [0.1, -1, 2, 0.3], [3, 0, 1, 0.2], [-0.5, 0.4, 0, 1.5], [0.2, 0.2, -2, 0.7]];
const y = tensor([1, 2, 0, 3, 2]);
const w = tensor([1, 2, 0.5, 3]);
const soft = ops.softmax(tensor([[0.3, -1, 2, 0], [1, 1, 0, -1], [0, 0.5, 0.5, 0], [2, -2, 0.1, 0.2], [0, 0, 0, 3]]), 1);

function check(name: string, criterion: { forward(x: Tensor, t: Tensor): Tensor }, target: Tensor, logSoftmaxFirst = false): void {
  const x = tensor(x0, { requiresGrad: true });
  const l = criterion.forward(logSoftmaxFirst ? x.logSoftmax(1) : x, target);
  l.sum().backward();
  const want = torch[name];
  const got = l.tolist() as number | number[];
  if (Array.isArray(want.loss)) (got as number[]).forEach((v, i) => expect(v).toBeCloseTo((want.loss as number[])[i], 5));
  else expect(got as number).toBeCloseTo(want.loss, 5);
  (x.grad!.tolist() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want.grad[i][j], 6)));
}

describe('CrossEntropyLoss options equal PyTorch (loss and gradient)', () => {
  it('weight (as an option and positionally, as nn.CrossEntropyLoss(w, reduction="sum"))', () => {
    check('weight', new nn.CrossEntropyLoss({ weight: w }), y);
    check('weightSum', new nn.CrossEntropyLoss(w, { reduction: 'sum' }), y);
  });
  it('ignoreIndex, labelSmoothing, and all three with reduction none', () => {
    check('ignore', new nn.CrossEntropyLoss({ ignoreIndex: 2 }), y);
    check('smooth', new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }), y);
    check('all', new nn.CrossEntropyLoss({ weight: w, ignoreIndex: 2, labelSmoothing: 0.2 }), y);
    check('allNone', new nn.CrossEntropyLoss({ weight: w, ignoreIndex: 2, labelSmoothing: 0.2, reduction: 'none' }), y);
  });
  it('soft targets (class probabilities [N, C]), with weight and smoothing', () => {
    check('soft', new nn.CrossEntropyLoss(), soft);
    check('softWeightSmooth', new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.1 }), soft);
  });
  it("the functional form takes the same options; -100 (PyTorch's padding label) is ignored by default", () => {
    const x = tensor(x0);
    expect(loss.crossEntropy(x, y, { weight: w }).item()).toBeCloseTo(torch.weight.loss as number, 5);
    const padded = tensor([1, -100, 0, 3, 2]);
    const kept = [0, 2, 3, 4];
    const ref = loss.crossEntropy(ops.cat(kept.map((i) => x.narrow(0, i, 1)), 0), tensor([1, 0, 3, 2])).item();
    expect(ops.crossEntropy(x, padded, { ignoreIndex: -100 }).item()).toBeCloseTo(ref, 6);
    expect(new nn.CrossEntropyLoss().forward(x, padded).item()).toBeCloseTo(ref, 6); // -100 is ignored by default, as PyTorch
    expect(loss.nllLoss(x.logSoftmax(1), padded).item()).toBeCloseTo(ref, 6);
  });
  it('bad options are named', () => {
    const x = tensor(x0);
    expect(() => new nn.CrossEntropyLoss({ weight: tensor([1, 2]) }).forward(x, y)).toThrow(/weight must be a Tensor of one weight per class, shape \[4\], got \[2\]/);
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }).forward(x, y)).toThrow(/labelSmoothing must be a number in \[0, 1\]/);
    expect(() => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never)).toThrow(/labelSmoothing/);
    expect(() => new nn.CrossEntropyLoss({ ignoreIndex: 2 }).forward(x, soft)).toThrow(/ignoreIndex applies to class indices/);
    expect(() => new nn.CrossEntropyLoss({ ignoreIndex: 9 }).forward(x, tensor([1, 2, 0, 3, 7]))).toThrow(/target\[4\] = 7 is not a class index in \[0, 3\] \(nor ignoreIndex 9\)/);
  });
});

describe('NLLLoss weight and BCEWithLogitsLoss posWeight equal PyTorch', () => {
  it('NLLLoss({weight, ignoreIndex}) after logSoftmax', () => {
    check('nllWeightIgnore', new nn.NLLLoss({ weight: w, ignoreIndex: 0 }), y, true);
  });
  it('BCEWithLogitsLoss({posWeight}) and ({weight, posWeight, reduction: "sum"})', () => {
    const t = tensor(Array.from({ length: 5 }, () => [1, 0, 1, 0]));
    check('posWeight', new nn.BCEWithLogitsLoss({ posWeight: tensor([3, 1, 0.5, 2]) }), t);
    check('posWeightAndWeight', new nn.BCEWithLogitsLoss({ weight: tensor([[1], [2], [0], [1], [0.5]]), posWeight: tensor([3, 1, 0.5, 2]), reduction: 'sum' }), t);
    expect(() => new nn.BCEWithLogitsLoss({ posWeight: tensor([1, 2]) }).forward(tensor(x0), t)).toThrow(/posWeight of shape \[2\] does not broadcast/);
  });
});

describe('SmoothL1Loss beta and KLDivLoss batchmean / logTarget equal PyTorch', () => {
  const tgt = tensor(Array.from({ length: 5 }, () => [0.5, 2.5, 0.4, -1]));
  it('SmoothL1Loss({beta: 0.5}) and ({beta: 2, reduction: "sum"})', () => {
    check('smoothL1', new nn.SmoothL1Loss({ beta: 0.5 }), tgt);
    check('smoothL1Sum', new nn.SmoothL1Loss({ beta: 2, reduction: 'sum' }), tgt);
    expect(() => new nn.SmoothL1Loss({ beta: 0 }).forward(tensor(x0), tgt)).toThrow(/beta must be > 0/);
  });
  it("KLDivLoss({reduction: 'batchmean'}) with a zero in the target, and ({logTarget: true, reduction: 'sum'}), on logSoftmax outputs", () => {
    const t = ops.cat([soft.narrow(0, 0, 4), tensor([[0, 0, 0.5, 0.5]])], 0);
    check('klBatchmean', new nn.KLDivLoss({ reduction: 'batchmean' }), t, true);
    check('klLogTarget', new nn.KLDivLoss({ reduction: 'sum', logTarget: true }), soft.log(), true);
    expect(() => new nn.KLDivLoss({ reduction: 'batch' as never })).toThrow(/reduction must be 'batchmean', 'mean', 'sum' or 'none'/);
    expect(() => new nn.KLDivLoss().forward(tensor(x0), tensor(x0))).toThrow(/target\[3\] = -1 is not a probability/);
  });
});
