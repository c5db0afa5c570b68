/**
 * The user's weights are the user's: Sequential re-draws a Linear for the activation after it
 * only while the Linear still holds the values its constructor drew. Everything the user can
 * do to a weight (init functions, loadStateDict, writes to .data, training) makes it theirs.
 */
import { expect, it } from 'vitest';
import { init, manualSeed, nn, optim, loss, tensor, defaultGenerator } from '../../src/index.js';
import { buildModel } from '../../src/models.js';
import { describeEachBackend } from '../helpers/check.js';

const allEqual = (d: ArrayLike<number>, v: number) => Array.from(d).every((x) => x === v);

function std(d: ArrayLike<number>): number {
  let s = 0;
  let ss = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    ss += d[i] * d[i];
  }
  const m = s / d.length;
  return Math.sqrt(ss / d.length - m * m);
}

describeEachBackend('the user sets the weights, Sequential keeps them', () => {
  it('init.zeros before a Tanh stays zeros (the symmetry exercise)', () => {
    const l = new nn.Linear(2, 8);
    init.zeros(l.weight);
    new nn.Sequential(l, new nn.Tanh(), new nn.Linear(8, 1));
    expect(allEqual(l.weight.data, 0)).toBe(true);
  });

  it('init.constant stays, and so does a constant bias', () => {
    const l = new nn.Linear(3, 4);
    init.constant(l.weight, 0.5);
    init.constant(l.bias!, 0.1);
    new nn.Sequential(l, new nn.ReLU(), new nn.Linear(4, 2));
    expect(allEqual(l.weight.data, 0.5)).toBe(true);
    expect(allEqual(l.bias!.data, Math.fround(0.1))).toBe(true);
  });

  it('init.xavierUniform before a ReLU is not re-drawn as He', () => {
    manualSeed(3);
    const l = new nn.Linear(16, 32);
    init.xavierUniform(l.weight);
    const mine = Float32Array.from(l.weight.data);
    new nn.Sequential(l, new nn.ReLU(), new nn.Linear(32, 2));
    expect(Array.from(l.weight.data)).toEqual(Array.from(mine));
  });

  it('an init function that happens to draw the same values as the constructor still counts as the user’s', () => {
    // Both draw Xavier uniform from the same generator state: bit-identical values.
    manualSeed(11);
    const l = new nn.Linear(16, 32);
    const drawn = Float32Array.from(l.weight.data);
    manualSeed(11);
    init.xavierUniform(l.weight);
    expect(Array.from(l.weight.data)).toEqual(Array.from(drawn));
    new nn.Sequential(l, new nn.ReLU());
    expect(Array.from(l.weight.data)).toEqual(Array.from(drawn));
  });

  it('loadStateDict before building the Sequential is kept', () => {
    const l = new nn.Linear(2, 3);
    const w = [1, 2, 3, 4, 5, 6];
    l.loadStateDict({ weight: tensor(w, [3, 2]), bias: tensor([7, 8, 9], [3]) });
    const m = new nn.Sequential(l, new nn.ReLU(), new nn.Linear(3, 1));
    expect(Array.from(m.stateDict()['0.weight'].data)).toEqual(w);
    expect(Array.from(m.stateDict()['0.bias'].data)).toEqual([7, 8, 9]);
  });

  it('weight.data.set(...) is kept', () => {
    const l = new nn.Linear(2, 2);
    l.weight.data.set([0.25, -0.5, 0.75, -1]);
    new nn.Sequential(l, new nn.SELU(), new nn.Linear(2, 1));
    expect(Array.from(l.weight.data)).toEqual([0.25, -0.5, 0.75, -1]);
  });

  it('a single element written (weight.data[0] = 5) keeps the whole weight', () => {
    const l = new nn.Linear(4, 4);
    l.weight.data[0] = 5;
    const mine = Float32Array.from(l.weight.data);
    new nn.Sequential(l, new nn.ReLU(), new nn.Linear(4, 1));
    expect(Array.from(l.weight.data)).toEqual(Array.from(mine));
  });

  it('a weight replaced by a new Parameter is kept', () => {
    const l = new nn.Linear(2, 2);
    l.weight = new nn.Parameter(tensor([[1, 2], [3, 4]]));
    new nn.Sequential(l, new nn.ReLU());
    expect(Array.from(l.weight.data)).toEqual([1, 2, 3, 4]);
  });

  it('a layer trained in one network keeps its weights when reused in another', () => {
    manualSeed(0);
    const first = new nn.Linear(3, 5);
    const a = new nn.Sequential(first, new nn.Tanh(), new nn.Linear(5, 1));
    const opt = new optim.SGD(a.parameters(), { lr: 0.1 });
    loss.mse(a.forward(tensor([[1, 2, 3]])), tensor([[1]])).backward();
    opt.step();
    const trained = Float32Array.from(first.weight.data);
    new nn.Sequential(first, new nn.ReLU(), new nn.Linear(5, 2));
    expect(Array.from(first.weight.data)).toEqual(Array.from(trained));
  });

  it('a user bias beside a default weight: the weight is re-drawn for the ReLU, the bias kept', () => {
    const l = new nn.Linear(400, 400);
    init.constant(l.bias!, 0.01);
    const drawn = Float32Array.from(l.weight.data);
    new nn.Sequential(l, new nn.ReLU());
    expect(Array.from(l.weight.data)).not.toEqual(Array.from(drawn));
    expect(std(l.weight.data)).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(allEqual(l.bias!.data, Math.fround(0.01))).toBe(true);
  });

  it('an untouched Linear before a ReLU gets He: std √(2/fan_in), not Xavier’s √(2/(fan_in+fan_out))', () => {
    const l = new nn.Linear(200, 400);
    // Before: Xavier uniform for a linear consumer, std = √(2/600) ≈ 0.0577.
    expect(std(l.weight.data)).toBeCloseTo(Math.sqrt(2 / 600), 2);
    new nn.Sequential(l, new nn.ReLU(), new nn.Linear(400, 10));
    // 80,000 samples: the sample std is within ~0.3% of σ = 0.1.
    expect(std(l.weight.data)).toBeGreaterThan(0.099);
    expect(std(l.weight.data)).toBeLessThan(0.101);
    expect(l._initUsed).toBe('kaimingNormal');
    expect(l.isAtDefault).toBe(true);
  });

  it('an untouched Linear before a SELU gets LeCun normal; before a Tanh Xavier', () => {
    const a = new nn.Linear(300, 300);
    const b = new nn.Linear(300, 300);
    new nn.Sequential(a, new nn.SELU(), b, new nn.Tanh());
    expect(std(a.weight.data)).toBeCloseTo(Math.sqrt(1 / 300), 3);
    expect(a._initUsed).toBe('lecunNormal');
    expect(b._initUsed).toBe('xavierUniform');
  });

  it('a network built in one go draws the same random stream as before the rule (constructor Xavier, then each layer re-drawn in order)', () => {
    manualSeed(42);
    const model = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
    const after = defaultGenerator.getState();
    // The same draws by hand: two constructor Xavier draws, then He (normal, σ = √(2/5)) and Xavier again.
    manualSeed(42);
    const w1 = init.xavierUniform(tensor(new Array(35).fill(0), [7, 5]));
    init.xavierUniform(tensor(new Array(21).fill(0), [3, 7]));
    init.normal(w1, 0, Math.sqrt(2) / Math.sqrt(5));
    const w2 = init.xavierUniform(tensor(new Array(21).fill(0), [3, 7]));
    expect(Array.from(model.stateDict()['0.weight'].data)).toEqual(Array.from(w1.data));
    expect(Array.from(model.stateDict()['2.weight'].data)).toEqual(Array.from(w2.data));
    expect(defaultGenerator.getState()).toEqual(after);
  });

  it('buildModel (the CLI and lab path) draws the weights it drew before the rule (values recorded at commit af8ebf7)', () => {
    const spec = { inputs: 6, layers: [8, 8], activation: 'relu' as const, init: 'auto' as const, batchnorm: true, dropout: 0, outputs: 3, output: 'softmax' as const };
    manualSeed(7);
    const sd = buildModel(spec).stateDict();
    expect(Array.from(sd['0.weight'].data.subarray(0, 3))).toEqual([-0.10498471558094025, 0.03960779681801796, 0.31877148151397705]);
    expect(Array.from(sd['3.weight'].data.subarray(0, 3))).toEqual([-0.27727362513542175, -0.1967380791902542, 0.05298112705349922]);
    expect(Array.from(sd['6.weight'].data.subarray(0, 3))).toEqual([0.3854559361934662, 0.3896711766719818, -0.3070228695869446]);
    let sum = 0;
    for (const t of Object.values(sd)) for (const v of t.data) sum += v;
    expect(sum).toBe(26.824432147666812);
  });

  it('a function init is the user’s own and is never re-drawn', () => {
    const l = new nn.Linear(2, 2, { init: (w, b) => { w.data.fill(3); b?.data.fill(1); } });
    new nn.Sequential(l, new nn.ReLU());
    expect(allEqual(l.weight.data, 3)).toBe(true);
    expect(allEqual(l.bias!.data, 1)).toBe(true);
  });
});
