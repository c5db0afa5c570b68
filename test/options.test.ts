import { describe, expect, it } from 'vitest';
import { checkOptions, closestName } from '../src/options.js';

describe('checkOptions', () => {
  const known = ['epochs', 'batchSize', 'lr', 'weightDecay'];

  it('accepts known keys, undefined options and an empty object', () => {
    expect(() => checkOptions('f', { epochs: 1, lr: 0.1 }, known)).not.toThrow();
    expect(() => checkOptions('f', undefined, known)).not.toThrow();
    expect(() => checkOptions('f', {}, known)).not.toThrow();
  });

  it('names an unknown key, the known ones and the closest', () => {
    expect(() => checkOptions('f', { epoch: 1 }, known)).toThrow("f: unknown option 'epoch' (did you mean 'epochs'?); the options are epochs, batchSize, lr, weightDecay");
    expect(() => checkOptions('f', { verbose: 1 }, known)).toThrow("f: unknown option 'verbose'; the options are epochs, batchSize, lr, weightDecay");
  });

  it('refuses options that are not an object', () => {
    for (const bad of [null, 3, 'x', [1]]) expect(() => checkOptions('f', bad, known)).toThrow(/^f: options must be an object/);
  });
});

describe('closestName', () => {
  it("maps PyTorch's snake_case and other casings to the camelCase name", () => {
    expect(closestName('weight_decay', ['lr', 'weightDecay'])).toBe('weightDecay');
    expect(closestName('BATCHSIZE', ['batchSize'])).toBe('batchSize');
  });
  it('suggests a name at most 2 edits away, and nothing farther', () => {
    expect(closestName('momentun', ['momentum', 'dampening'])).toBe('momentum');
    expect(closestName('gama', ['stepSize', 'gamma'])).toBe('gamma');
    expect(closestName('learningRate', ['lr', 'betas'])).toBeUndefined();
  });
});

describe('unknown names in the registries (losses, optimizers, initializers)', () => {
  it("name the nearest one — PyTorch's snake_case or class name, a typo — and list them all", async () => {
    const { getLoss } = await import('../src/loss.js');
    const { getOptimizer } = await import('../src/optim/registry.js');
    const { getInitializer } = await import('../src/init.js');
    expect(() => getLoss('cross_entropy')).toThrow("Unknown loss 'cross_entropy' (did you mean 'crossEntropy'?). Valid losses: mse, l1, huber, bceWithLogits, crossEntropy.");
    expect(() => getLoss('bce_with_logits')).toThrow("(did you mean 'bceWithLogits'?)");
    expect(() => getOptimizer('Adam')).toThrow("Unknown optimizer 'Adam' (did you mean 'adam'?). Valid optimizers: ");
    expect(() => getOptimizer('adamm')).toThrow("(did you mean 'adam'?)");
    expect(() => getOptimizer('lbfgs')).toThrow(/^Unknown optimizer 'lbfgs'\. Valid optimizers: /);
    expect(() => getInitializer('kaiming_normal')).toThrow("Unknown initializer 'kaiming_normal' (did you mean 'kaimingNormal'?).");
    expect(() => getLoss(null as never)).toThrow('Unknown loss (null, not a name). Valid losses: ');
    expect(() => getLoss('x'.repeat(5000))).toThrow(/^Unknown loss 'x{40}…'\. Valid/);
  });
});
