/**
 * A softmax right before crossEntropy (which applies log-softmax itself) is warned about,
 * naming the module, once per model; logits, logSoftmax and other losses are not.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { fit, loss, manualSeed, nn, noGrad, ops, randn, tensor } from '../../src/index.js';

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

const labels = tensor([0, 2, 1, 0]);
const messages = () => warn.mock.calls.map((c) => String(c[0]));

describe('double softmax', () => {
  it('a Softmax module before crossEntropy: one warning naming the module, however often the loss is computed', () => {
    const model = new nn.Sequential(new nn.Linear(3, 3), new nn.Softmax(1));
    for (let i = 0; i < 3; i++) loss.crossEntropy(model.forward(randn([4, 3])), labels).backward();
    expect(warn).toHaveBeenCalledTimes(1);
    const m = messages()[0];
    expect(m).toContain('gradlab:');
    expect(m).toContain('Softmax(dim=1)');
    expect(m).toContain('crossEntropy expects logits');
    expect(m).toContain('double softmax');
  });

  it('once per model: a second model warns again; under noGrad the module is still recognised', () => {
    const a = new nn.Sequential(new nn.Linear(3, 3), new nn.Softmax());
    const b = new nn.Sequential(new nn.Linear(3, 3), new nn.Softmax());
    loss.crossEntropy(a.forward(randn([4, 3])), labels);
    noGrad(() => loss.crossEntropy(b.forward(randn([4, 3])), labels));
    noGrad(() => loss.crossEntropy(b.forward(randn([4, 3])), labels));
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('ops.softmax straight into crossEntropy is warned about too (once)', () => {
    const x = randn([4, 3], { requiresGrad: true });
    loss.crossEntropy(ops.softmax(x, 1), labels);
    loss.crossEntropy(ops.softmax(x, 1), labels);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(messages()[0]).toContain('ops.softmax');
  });

  it('logits, logSoftmax, and a softmax feeding another loss are not warned about', () => {
    const x = randn([4, 3], { requiresGrad: true });
    loss.crossEntropy(x, labels);
    loss.crossEntropy(ops.logSoftmax(x, 1), labels);
    loss.mse(new nn.Softmax().forward(x), randn([4, 3]));
    const model = new nn.Sequential(new nn.Linear(3, 3));
    loss.crossEntropy(model.forward(randn([4, 3])), labels);
    expect(warn).not.toHaveBeenCalled();
  });

  it("fit with a model ending in Softmax and the crossEntropy loss: one warning naming the layer's path", async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3), new nn.Softmax(-1));
    const x = randn([40, 2]);
    const y = tensor(Array.from({ length: 40 }, (_, i) => i % 3));
    await fit(model, { x, y }, { epochs: 2, batchSize: 8, monitor: false, health: false });
    expect(warn).toHaveBeenCalledTimes(1);
    const m = messages()[0];
    expect(m).toContain("fit: the model's last layer '3' (Softmax(dim=-1))");
    expect(m).toContain('Remove the Softmax');
  });

  it('fit with a model ending in Sigmoid and crossEntropy: one warning with the floor of the loss, ln(1 + (C − 1)/e)', async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 10), new nn.Sigmoid());
    const x = randn([40, 2]);
    const y = tensor(Array.from({ length: 40 }, (_, i) => i % 10));
    await fit(model, { x, y }, { epochs: 2, batchSize: 8, loss: 'crossEntropy', monitor: false, health: false });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(messages()[0]).toContain("fit: the model's last layer '3' (Sigmoid()) squashes what crossEntropy receives into (0, 1), but crossEntropy expects logits: its loss cannot fall below 1.46 for 10 classes");
    // The floor itself: the best outputs in (0, 1), 1 for the right class and 0 elsewhere.
    const best = tensor([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    expect(loss.crossEntropy(best, tensor([0])).item()).toBeCloseTo(Math.log(1 + 9 / Math.E), 5);
  });
});
