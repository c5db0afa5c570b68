import { expect, it } from 'vitest';
import { ACTIVATIONS, ACTIVATION_NAMES, getActivation, init } from '../src/index.js';
import { describeEachBackend, expectThrowsMentioning, fixture } from './helpers/check.js';

const gains = fixture<{ gains: Record<string, number> }>('init.json').gains;

describeEachBackend('activation registry', () => {
  it('has one entry per activation name of the public API', () => {
    expect([...ACTIVATION_NAMES].sort()).toEqual(
      ['linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'prelu', 'elu', 'selu', 'softmax', 'gelu', 'silu', 'softplus'].sort(),
    );
    for (const n of ACTIVATION_NAMES) expect(ACTIVATIONS[n].name).toBe(n);
  });
  it("gains are PyTorch's calculate_gain values where PyTorch has one", () => {
    for (const n of ['linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'selu'] as const) expect(ACTIVATIONS[n].gain(), n).toBe(gains[n]);
    expect(init.calculateGain('leakyRelu', 0.2)).toBe(gains['leakyRelu(0.2)']);
  });
  it('recommends He init for the ReLU family, Xavier for sigmoid/tanh, LeCun for SELU', () => {
    expect(ACTIVATIONS.relu.init).toBe('kaimingNormal');
    expect(ACTIVATIONS.leakyRelu.init).toBe('kaimingNormal');
    expect(ACTIVATIONS.sigmoid.init).toBe('xavierUniform');
    expect(ACTIVATIONS.tanh.init).toBe('xavierUniform');
    expect(ACTIVATIONS.selu.init).toBe('lecunNormal');
  });
  it('derivatives agree with central differences of the values (float64)', () => {
    for (const n of ACTIVATION_NAMES) {
      const a = ACTIVATIONS[n];
      if (!a.value || !a.derivative) continue;
      const p = Number.isNaN(a.defaultParam) ? NaN : a.defaultParam;
      for (const x of [-7, -2.5, -0.7, 0.3, 1.9, 6]) {
        const h = 1e-6;
        const num = (a.value(x + h, p) - a.value(x - h, p)) / (2 * h);
        const ana = a.derivative(x, a.value(x, p), p);
        expect(Math.abs(ana - num), `${n} at ${x}`).toBeLessThan(1e-7 + 1e-6 * Math.abs(num));
      }
    }
  });
  it('derivativeFromOutput is true only where f′ is a function of y: the fused Linear + activation relies on it', () => {
    const fromOutput = ACTIVATION_NAMES.filter((n) => ACTIVATIONS[n].derivativeFromOutput);
    expect(fromOutput).toEqual(['linear', 'sigmoid', 'tanh', 'relu']);
    for (const n of fromOutput) {
      const a = ACTIVATIONS[n];
      for (let x = -6; x <= 6; x += 0.25) {
        const y = a.value!(x, a.defaultParam);
        expect(a.derivative!(NaN, y, a.defaultParam), `${n} at ${x}`).toBe(a.derivative!(x, y, a.defaultParam));
      }
    }
  });
  it('values stay inside the declared range', () => {
    for (const n of ACTIVATION_NAMES) {
      const a = ACTIVATIONS[n];
      if (!a.value) continue;
      for (const x of [-50, -3, -0.5, 0, 0.5, 3, 50]) {
        const y = a.value(x, a.defaultParam);
        expect(y, `${n}(${x})`).toBeGreaterThanOrEqual(a.range[0] - 1e-12);
        expect(y, `${n}(${x})`).toBeLessThanOrEqual(a.range[1]);
      }
    }
  });
  it('sigmoid/tanh declare saturation bands; ReLU declares dead units', () => {
    expect(ACTIVATIONS.sigmoid.failure.mode).toBe('saturation');
    expect(ACTIVATIONS.tanh.failure.mode).toBe('saturation');
    expect(ACTIVATIONS.relu.failure.mode).toBe('dead');
  });
  it('refuses an unknown activation name, listing the valid ones', () => {
    expectThrowsMentioning(() => getActivation('swish'), ["'swish'", ...ACTIVATION_NAMES]);
  });
});
