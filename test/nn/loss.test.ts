// Loss modules written the PyTorch way: criterion = nn.CrossEntropyLoss(); loss = criterion(out, y).
import { describe, expect, it } from 'vitest';
import { loss, manualSeed, nn, optim, tensor, zeros } from '../../src/index.js';

describe('loss modules', () => {
  it('CrossEntropyLoss in a plain training loop gives the functional loss and its gradients', () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const criterion = new nn.CrossEntropyLoss();
    const x = tensor([[0.5, -1, 2, 0], [1, 1, -1, 0.25], [0, 0.5, 0.5, -2]]);
    const y = tensor([2, 0, 1]);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    const l = criterion.forward(model.forward(x), y);
    l.backward();
    const g = Array.from(model.parameters()[0].grad!.data);
    const viaModule = l.item();
    opt.zeroGrad();
    const f = loss.crossEntropy(model.forward(x), y);
    f.backward();
    expect(viaModule).toBe(f.item());
    expect(Array.from(model.parameters()[0].grad!.data)).toEqual(g);
    opt.step();
  });

  it('reduction and Huber delta are kept; PyTorch values for a hand-computed case', () => {
    const x = tensor([0, 1, 3]);
    const t = tensor([0.5, 1, 0]);
    // |d| = 0.5, 0, 3: MSE per element 0.25, 0, 9; L1 0.5, 0, 3; Huber(δ=1) 0.125, 0, 2.5; Huber(δ=2) 0.125, 0, 4.
    expect(new nn.MSELoss().forward(x, t).item()).toBeCloseTo(9.25 / 3, 6);
    expect(new nn.MSELoss({ reduction: 'sum' }).forward(x, t).item()).toBeCloseTo(9.25, 6);
    expect(new nn.L1Loss({ reduction: 'none' }).forward(x, t).tolist()).toEqual([0.5, 0, 3]);
    expect(new nn.HuberLoss().forward(x, t).item()).toBeCloseTo(2.625 / 3, 6);
    expect(new nn.HuberLoss({ delta: 2, reduction: 'sum' }).forward(x, t).item()).toBeCloseTo(4.125, 6);
    // BCE with logits at x = 0 is log 2 whatever the target.
    expect(new nn.BCEWithLogitsLoss().forward(tensor([0, 0]), tensor([1, 0])).item()).toBeCloseTo(Math.LN2, 6);
  });

  it('has no state, prints as PyTorch does, and adds nothing to a model that holds it', () => {
    class Net extends nn.Module {
      fc = new nn.Linear(2, 2);
      criterion = new nn.CrossEntropyLoss();
      forward(x: ReturnType<typeof tensor>) {
        return this.fc.forward(x);
      }
    }
    const net = new Net();
    expect([...Object.keys(net.stateDict())].sort()).toEqual(['fc.bias', 'fc.weight']);
    expect(net.parameters().length).toBe(2);
    expect(String(new nn.MSELoss({ reduction: 'sum' }))).toBe("MSELoss(reduction='sum')");
    expect(String(new nn.CrossEntropyLoss())).toBe('CrossEntropyLoss()');
  });

  it('refuses what it does not implement, by name', () => {
    expect(() => new nn.CrossEntropyLoss({ sizeAverage: true } as never)).toThrow("CrossEntropyLoss: unknown option 'sizeAverage'; the options are reduction, weight, ignoreIndex, labelSmoothing");
    // PyTorch's spellings are pointed at gradlab's, as for every other options object (checkOptions).
    expect(() => new nn.CrossEntropyLoss({ ignore_index: 0 } as never)).toThrow("CrossEntropyLoss: unknown option 'ignore_index' (gradlab spells it ignoreIndex)");
    // Values are checked when the module is built, not at its first forward.
    expect(() => new nn.CrossEntropyLoss({ weight: [1, 2, 3] as never })).toThrow('CrossEntropyLoss: weight must be a Tensor (make it one with tensor([...])), got an array');
    expect(() => new nn.CrossEntropyLoss({ labelSmoothing: 2 })).toThrow('CrossEntropyLoss: labelSmoothing must be a number in [0, 1], got 2');
    expect(() => new nn.NLLLoss({ ignoreIndex: 1.5 })).toThrow('NLLLoss: ignoreIndex must be an integer, got 1.5');
    expect(() => new nn.HuberLoss({ delta: -1 })).toThrow('HuberLoss: delta must be > 0, got -1');
    expect(() => new nn.SmoothL1Loss({ beta: 0 })).toThrow('SmoothL1Loss: beta must be > 0, got 0 (β = 0 is the L1 loss: use l1)');
    expect(() => new nn.BCEWithLogitsLoss({ posWeight: [2] as never })).toThrow('BCEWithLogitsLoss: posWeight must be a Tensor');
    expect(() => new nn.KLDivLoss({ logTarget: 'yes' as never })).toThrow('KLDivLoss: logTarget must be true or false, got "yes"');
    expect(() => new nn.MSELoss({ reduction: 'avg' } as never)).toThrow(/reduction must be 'mean', 'sum' or 'none', got 'avg'/);
    expect(() => new nn.HuberLoss({ delta: -1 }).forward(tensor([1]), tensor([0]))).toThrow(/delta must be > 0/);
    const ce = new nn.CrossEntropyLoss() as unknown as { forward(x: unknown): unknown };
    expect(() => ce.forward(zeros([2, 3]))).toThrow(/the target is missing/);
    expect(() => new nn.CrossEntropyLoss().forward(zeros([2, 3]), tensor([0, 5]))).toThrow(/target\[1\] = 5 is not a class index in \[0, 2\]/);
  });
});
