import { ops, nn, ACTIVATION_NAMES, exportOnnx, specFromModel } from '../../src/index.js';
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

// F.gelu(x, approximate='tanh') and F.softplus(x, beta, threshold) (porting.json, make_porting.py).
checkOp({
  title: "ops.gelu(x, 'tanh')",
  file: 'porting.json',
  prefix: 'gelu/',
  call: (a) => (x) => ops.gelu(x, a.approximate),
  bad: [
    { what: 'an unknown approximate', run: () => ops.gelu(filled([2]), 'erf' as never), mentions: ['gelu', 'approximate', "'none'", "'tanh'", 'erf'] },
    { what: 'an unknown keyword', run: () => ops.gelu(filled([2]), { approx: 'tanh' } as never), mentions: ['gelu', 'approx'] },
  ],
});

checkOp({
  title: 'ops.softplus(x, beta, threshold)',
  file: 'porting.json',
  prefix: 'softplus/',
  call: (a) => (x) => ops.softplus(x, a.beta, a.threshold),
  bad: [
    { what: 'beta = 0', run: () => ops.softplus(filled([2]), 0), mentions: ['softplus', 'beta', '0'] },
    { what: 'a non-finite beta', run: () => ops.softplus(filled([2]), Infinity), mentions: ['softplus', 'beta', 'finite'] },
    { what: 'a threshold that is not a number', run: () => ops.softplus(filled([2]), 1, '20' as never), mentions: ['softplus', 'threshold'] },
  ],
});

describeEachBackend('nn.GELU / nn.Softplus options', () => {
  const input = () => t32([-3, -1, -0.2, 0, 0.4, 2, 7], [7]);
  it("the keyword forms give the ops' values: {approximate: 'tanh'}, {beta, threshold}, also positionally", () => {
    expect(Array.from(new nn.GELU({ approximate: 'tanh' }).forward(input()).data)).toEqual(Array.from(ops.gelu(input(), 'tanh').data));
    expect(Array.from(new nn.GELU().forward(input()).data)).toEqual(Array.from(ops.gelu(input()).data));
    const sp = Array.from(ops.softplus(input(), { beta: 2, threshold: 5 }).data);
    expect(Array.from(new nn.Softplus({ beta: 2, threshold: 5 }).forward(input()).data)).toEqual(sp);
    expect(Array.from(new nn.Softplus(2, 5).forward(input()).data)).toEqual(sp);
    // Above the threshold (βx = 14 > 5) the identity, as PyTorch.
    expect(sp[6]).toBe(7);
  });
  it("print as PyTorch's modules do", () => {
    expect(String(new nn.GELU({ approximate: 'tanh' }))).toBe("GELU(approximate='tanh')");
    expect(String(new nn.Softplus({ beta: 2 }))).toBe('Softplus(beta=2, threshold=20)');
  });
  it('refuse bad options, naming them', () => {
    expectThrowsMentioning(() => new nn.GELU({ approximate: 'fast' as never }), ['GELU', 'approximate', 'fast']);
    expectThrowsMentioning(() => new nn.Softplus({ beta: 0 }), ['Softplus', 'beta']);
    expectThrowsMentioning(() => new nn.Softplus({ betta: 2 } as never), ['Softplus', 'betta']);
  });
  it('keep their options after a Linear in a Sequential (which fuses Linear + registry activation)', () => {
    for (const act of [new nn.Softplus({ beta: 2, threshold: 5 }), new nn.GELU({ approximate: 'tanh' })]) {
      const lin = new nn.Linear(3, 4);
      const net = new nn.Sequential(lin, act);
      const x = t32([0.5, -1, 2, 3, 0.1, -0.7], [2, 3]);
      const want = Array.from(act.forward(lin.forward(x)).data);
      expect(Array.from(net.forward(x).data), act.typeName).toEqual(want);
    }
  });
  it('are refused, not dropped, where only the registry form is stored (model specs, ONNX)', () => {
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.GELU({ approximate: 'tanh' }), new nn.Linear(3, 2));
    expectThrowsMentioning(() => specFromModel(net), ['GELU', "approximate='tanh'"]);
    const spec = specFromModel(new nn.Sequential(new nn.Linear(2, 3), new nn.Softplus(), new nn.Linear(3, 2)));
    expectThrowsMentioning(() => exportOnnx(new nn.Sequential(new nn.Linear(2, 3), new nn.Softplus({ beta: 2 }), new nn.Linear(3, 2)), { spec }), ['Softplus', 'beta=2']);
  });
});
