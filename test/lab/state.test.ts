/**
 * The lab's settings (lab/src/state.ts): its defaults come from the library's one table of
 * defaults (src/recipe.ts), so switching the optimizer picks the new optimizer's own lr.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, MODEL_NAMES, onlyLiveChanges, parseState, serializeState, withOptimizer } from '../../lab/src/state.js';
import { buildLabModel, labOptimizer } from '../../lab/src/model.js';
import { MODEL_PRESETS } from '../../src/arch.js';
import { defaultLr } from '../../src/recipe.js';
import { OPTIMIZERS } from '../../src/optim/registry.js';
import { nn, Tensor } from '../../src/index.js';

describe('lab defaults', () => {
  it('the default state takes its lr from the shared table', () => {
    expect(DEFAULT_STATE.lr).toBe(defaultLr(DEFAULT_STATE.optimizer, 'lab'));
  });

  it('switching Adam → SGD at the default lr picks SGD\'s default lr (0.1), and back', () => {
    const sgd = withOptimizer(DEFAULT_STATE, 'sgd');
    expect(sgd.optimizer).toBe('sgd');
    expect(sgd.lr).toBe(OPTIMIZERS.sgd.defaultLr);
    expect(withOptimizer(sgd, 'adam').lr).toBe(DEFAULT_STATE.lr);
  });

  it('a learning rate the user chose is kept when the optimizer changes', () => {
    expect(withOptimizer({ ...DEFAULT_STATE, lr: 0.2 }, 'sgd').lr).toBe(0.2);
  });

  it('a link without lr gets the linked optimizer\'s default', () => {
    expect(parseState('opt=sgd').lr).toBe(OPTIMIZERS.sgd.defaultLr);
    expect(parseState('opt=rmsprop').lr).toBe(OPTIMIZERS.rmsprop.defaultLr);
    expect(parseState('opt=sgd&lr=0.3').lr).toBe(0.3);
    expect(parseState(serializeState(DEFAULT_STATE))).toEqual(DEFAULT_STATE);
  });

  it('the lab\'s AdamW keeps its decoupled weight decay 1e-2 (it passed 0 before)', () => {
    const p = new nn.Linear(2, 2).parameters();
    expect(labOptimizer({ ...DEFAULT_STATE, optimizer: 'adamw' }, p).effectiveOptions().weightDecay).toBe(1e-2);
  });
});

describe('lab model choice (MLP or a named CNN)', () => {
  it('the menu is the MLP and every preset of the library\'s one table (gradlab train --model)', () => {
    expect(MODEL_NAMES).toEqual(['mlp', ...Object.keys(MODEL_PRESETS)]);
    expect(DEFAULT_STATE.model).toBe('mlp');
    expect(serializeState(DEFAULT_STATE)).toContain('model=mlp');
    // Links from before the model choice have no model: the MLP.
    expect(parseState('data=mnist&layers=32:relu').model).toBe('mlp');
  });

  it('a CNN on MNIST goes in the URL and comes back', () => {
    const s = parseState('data=mnist&model=cnn-small&lr=0.003&batch=32');
    expect(s.model).toBe('cnn-small');
    expect(serializeState(s)).toContain('model=cnn-small');
    expect(parseState(serializeState(s))).toEqual(s);
    expect(parseState('data=mnist&model=cnn').model).toBe('cnn');
  });

  it('unknown or hostile values fall back cleanly, as for the other fields', () => {
    for (const v of ['bogus', '', 'CNN-SMALL', '__proto__', 'constructor', 'cnn-small ', '<script>', 'mlp,cnn']) {
      expect(parseState(`data=mnist&model=${encodeURIComponent(v)}`).model, v).toBe('mlp');
    }
    // A link naming a CNN on data that is not images gets the MLP (nothing to convolve).
    for (const d of ['spiral', 'xor', 'local']) expect(parseState(`data=${d}&model=cnn-small`).model, d).toBe('mlp');
    // The base's choice is kept when the link does not name one.
    expect(parseState('seed=4', parseState('data=mnist&model=cnn-small')).model).toBe('cnn-small');
    // Switching the data set away from images drops the CNN.
    expect(parseState('data=moons', parseState('data=mnist&model=cnn-small')).model).toBe('mlp');
  });

  it('changing the model starts a new run (it is not a live setting)', () => {
    const a = parseState('data=mnist');
    expect(onlyLiveChanges(a, { ...a, model: 'cnn-small' })).toBe(false);
  });

  it('builds the CNN as PyTorch would: Unflatten to [1, 28, 28], the preset\'s layers, then Linear(10)', () => {
    const m = buildLabModel(parseState('data=mnist&model=cnn-small'), 784, 10);
    const shapes = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({
      '1.weight': [8, 1, 3, 3], '1.bias': [8],
      '2.weight': [8], '2.bias': [8], '2.running_mean': [8], '2.running_var': [8], '2.num_batches_tracked': [],
      '5.weight': [16, 8, 3, 3], '5.bias': [16],
      '6.weight': [16], '6.bias': [16], '6.running_mean': [16], '6.running_var': [16], '6.num_batches_tracked': [],
      '10.weight': [64, 784], '10.bias': [64],
      '11.weight': [64], '11.bias': [64], '11.running_mean': [64], '11.running_var': [64], '11.num_batches_tracked': [],
      '13.weight': [10, 64], '13.bias': [10],
    });
    const out = m.forward(new Tensor(new Float32Array(3 * 784), [3, 784]));
    expect(out.shape).toEqual([3, 10]);
  });

  it('a state built by hand with a CNN on non-image data is refused by name', () => {
    expect(() => buildLabModel({ ...DEFAULT_STATE, model: 'cnn-small' }, 2, 2)).toThrow(/model cnn-small needs images, and data set spiral has none/);
  });
});
