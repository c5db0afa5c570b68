/**
 * The lab's settings (lab/src/state.ts): its defaults come from the library's one table of
 * defaults (src/recipe.ts), so switching the optimizer picks the new optimizer's own lr.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, MODEL_NAMES, changeSettings, linkQuery, onlyLiveChanges, parseState, parseStateChecked, serializeState, withOptimizer } from '../../lab/src/state.js';
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

describe('links with settings the lab cannot use say so (parseStateChecked)', () => {
  const problems = (q: string) => parseStateChecked(q).problems.map((p) => p.message);

  it('a valid link, the lab\'s own or a lesson\'s, has no problems', () => {
    expect(problems(serializeState(DEFAULT_STATE))).toEqual([]);
    expect(problems('data=mnist&model=cnn-small&lr=0.003')).toEqual([]);
    expect(problems('layers=16:relu:bn*30,8:tanh&seed=0')).toEqual([]);
    expect(problems('layers=none')).toEqual([]);
  });

  it('a number that is not one, or out of range, names the setting, the range and the value used', () => {
    expect(problems('lr=abc')).toEqual(['lr=abc: the learning rate must be a number from 0.000001 to 10; using 0.01']);
    expect(parseStateChecked('lr=-1').state.lr).toBe(1e-6);
    expect(problems('lr=-1')[0]).toMatch(/^lr=-1: the learning rate must be a number from 0\.000001 to 10; using 0\.000001$/);
    expect(problems('lr=1e308')[0]).toMatch(/^lr=1e308: .*; using 10$/);
    expect(problems('batch=99999999')[0]).toMatch(/^batch=99999999: the batch size must be an integer from 1 to 1024; using 1024$/);
    expect(problems('batch=3.5')[0]).toMatch(/using 4$/);
    expect(problems('seed=-5')[0]).toMatch(/^seed=-5: the seed must be an integer/);
    expect(problems('noise=NaN')[0]).toMatch(/^noise=NaN: the noise must be a number from 0 to 0\.5; using 0\.1$/);
    expect(problems('lr=')[0]).toMatch(/^lr=: /);
  });

  it('a huge link value is quoted shortened, and a thousand bad layer parts make a few lines, not a thousand', () => {
    const long = 'x'.repeat(5000);
    const ps = problems(`layers=${long}&data=${long}&${long}=1`);
    expect(ps.every((m) => m.length < 400)).toBe(true);
    expect(ps.some((m) => m.startsWith(`layers=${'x'.repeat(39)}…: `))).toBe(true);
    expect(ps.some((m) => m.startsWith(`data=${'x'.repeat(39)}…: unknown data set`))).toBe(true);
    const many = problems(`layers=${Array.from({ length: 1000 }, () => 'q:relu').join(',')}`);
    expect(many.length).toBeLessThanOrEqual(7);
    expect(many).toContain(`layers=${'q:relu,'.repeat(6).slice(0, 39)}…: 995 more problems like these`);
    expect(parseStateChecked(`layers=${Array.from({ length: 1000 }, () => 'q:relu').join(',')}`).state.layers).toHaveLength(40);
  });

  it('BatchNorm with a batch of one (which gradlab train refuses): batch 2, said', () => {
    const msg = 'batch=1: with BatchNorm the batch size must be at least 2 (the variance of a batch of one example is 0, so BatchNorm cannot normalise it); using 2';
    expect(problems('layers=16:relu:bn*2&batch=1')).toEqual([msg]);
    expect(parseStateChecked('layers=16:relu:bn*2&batch=1').state.batchSize).toBe(2);
    expect(problems('data=mnist&model=cnn-small&batch=1')).toEqual([msg]);
    expect(problems('data=mnist&model=cnn-small&batch=0')).toEqual(['batch=0: the batch size must be an integer from 1 to 1024; using 1', 'batch=0: with BatchNorm the batch size must be at least 2 (the variance of a batch of one example is 0, so BatchNorm cannot normalise it); using 2']);
    // Without BatchNorm a batch of one is plain SGD.
    expect(problems('layers=16:relu*2&batch=1')).toEqual([]);
    // A change that adds BatchNorm to a run with batch 1 gets the same check.
    const one = parseState('layers=16:relu*2&batch=1');
    const r = changeSettings(one, { layers: '16:relu:bn*2' });
    expect(r.state.batchSize).toBe(2);
    expect(r.problems.map((p) => p.param)).toEqual(['batch']);
  });

  it('an unknown name lists the valid ones; an unknown parameter lists the settings', () => {
    expect(problems('init=bogus')[0]).toMatch(/^init=bogus: unknown initializer; one of auto, .*kaimingNormal.*; using auto$/);
    expect(problems('opt=nope')[0]).toMatch(/^opt=nope: unknown optimizer; one of sgd, .*; using adam$/);
    expect(problems('data=foo')[0]).toMatch(/^data=foo: unknown data set; one of spiral, .*mnist.*; using spiral$/);
    expect(problems('width=12')[0]).toMatch(/^width=12: unknown setting; the settings are data, noise, .* seed$/);
  });

  it('model: unknown, or a CNN on data without images', () => {
    expect(problems('data=mnist&model=foo')[0]).toMatch(/^model=foo: unknown model; one of mlp, cnn.*; using mlp$/);
    expect(problems('model=foo')[0]).toMatch(/^model=foo: unknown model; .*using mlp$/);
    expect(problems('data=spiral&model=cnn-small')[0]).toMatch(/^model=cnn-small: a CNN needs images \(data=mnist\); using mlp$/);
    expect(problems('model=mlp')).toEqual([]);
  });

  it('layers: each bad part, and what was built instead', () => {
    const r = parseStateChecked('layers=abc');
    expect(r.state.layers).toEqual([{ width: 8, activation: 'relu', bn: false }]);
    expect(r.problems.map((p) => p.message)).toEqual([
      "layers=abc: 'abc': the width must be an integer from 1 to 128; using 8",
      expect.stringMatching(/^layers=abc: 'abc': no activation; one of linear, .*; using relu$/),
    ]);
    expect(problems('layers=16:relu*1000')).toEqual(["layers=16:relu*1000: '16:relu*1000': the count after * must be an integer from 1 to 40; using 40"]);
    expect(parseStateChecked('layers=16:relu*30,8:tanh*30').state.layers.length).toBe(40);
    expect(problems('layers=16:relu*30,8:tanh*30')).toEqual(['layers=16:relu*30,8:tanh*30: 60 hidden layers; at most 40: using the first 40']);
    expect(problems('layers=16:swish')[0]).toMatch(/unknown activation 'swish'/);
    expect(problems('layers=16:relu:batchnorm')[0]).toMatch(/ignoring 'batchnorm'/);
    expect(problems('layers=1e9:relu')[0]).toMatch(/the width must be an integer from 1 to 128; using 128$/);
  });

  it('changeSettings: a data set without images drops the CNN without a problem; a named CNN there is one', () => {
    const cnn = parseState('data=mnist&model=cnn-small');
    expect(changeSettings(cnn, { data: 'moons' })).toEqual({ state: expect.objectContaining({ dataset: 'moons', model: 'mlp' }), problems: [] });
    expect(changeSettings(cnn, { data: 'moons', model: 'cnn' }).problems).toHaveLength(1);
    // A value the form leaves empty keeps the old one.
    const s = { ...DEFAULT_STATE, lr: 0.2 };
    expect(changeSettings(s, { lr: '' }).state.lr).toBe(0.2);
  });
});

describe('settings after # in a link', () => {
  it('are read as the query is (the hash wins where both name one) and reported as they are; an anchor or #quiz=… is not settings', () => {
    const both = linkQuery('?data=xor&lr=0.1', '#lr=NaN&layers=8:relu');
    expect(both.fromHash).toBe(true);
    const { state, problems } = parseStateChecked(both.query);
    expect(state.dataset).toBe('xor');
    expect(state.layers).toEqual([{ width: 8, activation: 'relu', bn: false }]);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^lr=NaN: the learning rate must be a number from 0\.000001 to 10; using /)]);
    expect(linkQuery('', '#?seed=3').query).toBe('seed=3');
    expect(linkQuery('?data=xor', '#quiz=dead-relu')).toEqual({ query: 'data=xor', fromHash: false });
    expect(linkQuery('?data=xor', '#charts')).toEqual({ query: 'data=xor', fromHash: false });
    expect(linkQuery('?data=xor', '')).toEqual({ query: 'data=xor', fromHash: false });
  });
});

describe('numbers in a link', () => {
  it('are read in decimal notation only: hex, binary and digit separators are reported, not read as other numbers', () => {
    for (const v of ['0x20', '0b11', '0o7', '1_000', 'Infinity', '1e']) {
      const { state, problems } = parseStateChecked(`batch=${v}`);
      expect(state.batchSize, v).toBe(DEFAULT_STATE.batchSize);
      expect(problems.map((p) => p.message), v).toEqual([`batch=${v}: the batch size must be an integer from 1 to 1024; using ${DEFAULT_STATE.batchSize}`]);
    }
    for (const [v, n] of [['32', 32], [' 16 ', 16], ['+8', 8], ['1e1', 10], ['64.0', 64]] as const) {
      const { state, problems } = parseStateChecked(`batch=${encodeURIComponent(v)}`);
      expect(state.batchSize, v).toBe(n);
      expect(problems, v).toEqual([]);
    }
    expect(parseStateChecked('lr=.5').state.lr).toBe(0.5);
    expect(parseStateChecked('lr=5e-3').state.lr).toBe(0.005);
  });
});

