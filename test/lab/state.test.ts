/**
 * The lab's settings (lab/src/state.ts): its defaults come from the library's one table of
 * defaults (src/recipe.ts), so switching the optimizer picks the new optimizer's own lr.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, parseState, serializeState, withOptimizer } from '../../lab/src/state.js';
import { labOptimizer } from '../../lab/src/model.js';
import { defaultLr } from '../../src/recipe.js';
import { OPTIMIZERS } from '../../src/optim/registry.js';
import { nn } from '../../src/index.js';

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
