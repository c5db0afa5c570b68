import { ops, ACTIVATION_NAMES } from '../../src/index.js';
import { activation } from '../../src/ops/activation.js';
import { checkOp, describeEachBackend, expectThrowsMentioning, filled, t32 } from '../helpers/check.js';
import { expect, it } from 'vitest';

const ELEMENTWISE = {
  relu: () => ops.relu,
  leakyRelu: (a: Record<string, any>) => (x: Parameters<typeof ops.relu>[0]) => ops.leakyRelu(x, a.negativeSlope),
  elu: (a: Record<string, any>) => (x: Parameters<typeof ops.relu>[0]) => ops.elu(x, a.alpha),
  selu: () => ops.selu,
  sigmoid: () => ops.sigmoid,
  tanh: () => ops.tanh,
  gelu: () => ops.gelu,
  silu: () => ops.silu,
  softplus: () => ops.softplus,
} as const;

for (const [name, call] of Object.entries(ELEMENTWISE)) {
  checkOp({
    title: `ops.${name}`,
    file: 'ops.json',
    prefix: name,
    call,
    bad: [
      { what: 'a non-tensor input', run: () => call({ negativeSlope: 0.1, alpha: 1 })(null as never), mentions: ['x', 'Tensor'] },
      ...(name === 'leakyRelu'
        ? [{ what: 'a non-finite negativeSlope', run: () => ops.leakyRelu(filled([2]), NaN), mentions: ['negativeSlope'] }]
        : []),
      ...(name === 'elu' ? [{ what: 'a non-finite alpha', run: () => ops.elu(filled([2]), Infinity), mentions: ['alpha'] }] : []),
    ],
  });
}

checkOp({
  title: 'ops.prelu',
  file: 'ops.json',
  prefix: 'prelu/',
  call: () => (x, w) => ops.prelu(x, w),
  bad: [
    {
      what: 'a per-channel weight that does not match dimension 1',
      run: () => ops.prelu(filled([4, 3]), filled([2])),
      mentions: ['[2]', '[4, 3]', 'channels'],
    },
    { what: 'a missing weight', run: () => ops.prelu(filled([4, 3]), undefined as never), mentions: ['weight'] },
  ],
});

describeEachBackend('ops.activation (by registry name)', () => {
  it('applies each elementwise activation by name exactly as its op', () => {
    const x = t32([-3, -0.5, 0.25, 2, 25], [5]);
    const pairs: Array<[string, (t: typeof x) => typeof x]> = [
      ['relu', ops.relu],
      ['sigmoid', ops.sigmoid],
      ['tanh', ops.tanh],
      ['selu', ops.selu],
      ['gelu', ops.gelu],
      ['silu', ops.silu],
      ['softplus', ops.softplus],
      ['leakyRelu', (t) => ops.leakyRelu(t, 0.01)],
      ['elu', (t) => ops.elu(t, 1)],
    ];
    for (const [name, f] of pairs) expect(Array.from(activation(x, name as never).data), name).toEqual(Array.from(f(x).data));
    expect(Array.from(activation(x, 'prelu', 0.25).data)).toEqual(Array.from(ops.leakyRelu(x, 0.25).data));
    expect(Array.from(activation(x, 'linear').data)).toEqual(Array.from(x.data));
  });
  it('refuses an unknown activation name, listing the valid ones', () => {
    expectThrowsMentioning(() => activation(filled([2]), 'swish' as never), ["'swish'", ...ACTIVATION_NAMES]);
  });
});

/**
 * Elementwise activations involve no sums, so they can be held to the exact (float64) answer
 * without an absolute floor: relative error ≤ 1e-5 in the far tails too (x down to −30, where
 * ELU's α·eˣ is 1e-13 and GELU's x·Φ(x) is ~1e-32). This is what catches a derivative
 * computed by cancellation (ELU's y + α in float32). Sigmoid and tanh are checked on their
 * values only: their derivatives are read from the float32 output, as PyTorch does, which
 * bounds them absolutely (u·|g|), not relatively.
 */
const TAIL = ['relu', 'leakyRelu', 'elu', 'selu', 'gelu', 'silu', 'softplus', 'sigmoid', 'tanh'] as const;
import { casesOf, decode, expectClose, runCase } from '../helpers/check.js';
describeEachBackend('activations: relative accuracy in the tails (vs float64)', () => {
  for (const name of TAIL) {
    for (const [caseName, c] of casesOf('ops.json', name).filter(([k]) => k.includes('/sweep'))) {
      it(`${caseName}: value${name === 'sigmoid' || name === 'tanh' ? '' : ' and gradient'} within 1e-5 relative of the exact answer`, () => {
        const { inputs, out } = runCase(c, (ELEMENTWISE as Record<string, (a: Record<string, any>) => any>)[name](c.args));
        expectClose(out.data, decode(c.output64!), `${caseName} value`, { atol: 1e-40, group: `${name} tail value` });
        if (name !== 'sigmoid' && name !== 'tanh') {
          expectClose(inputs[0].grad!.data, decode(c.grads64![0]!), `${caseName} grad`, { atol: 1e-40, group: `${name} tail grad` });
        }
      });
    }
  }
});
