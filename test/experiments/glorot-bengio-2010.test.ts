import { describe, expect, test } from 'vitest';
import { runExperiment } from '../../src/experiments/index.js';
import { singularValues } from '../../src/experiments/common.js';

describe('singularValues', () => {
  const sorted = (a: Float64Array) => Array.from(a).sort((x, y) => x - y);
  test('of a diagonal matrix are the absolute values of its diagonal', () => {
    const d = [3, -2, 0.5, 0];
    const a = new Float64Array(16);
    d.forEach((v, i) => (a[i * 4 + i] = v));
    const s = sorted(singularValues(a, 4, 4));
    [0, 0.5, 2, 3].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 10));
  });
  test('of an orthogonal matrix times c are all |c|', () => {
    // A rotation by θ in the (0, 1) plane, a reflection of axis 2, times c = −1.5.
    const t = 0.7;
    const c = -1.5;
    const q = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, -1].map((v) => c * v);
    for (const s of singularValues(q, 3, 3)) expect(s).toBeCloseTo(1.5, 10);
  });
  test('of a non-square matrix are those of its 2×2 Gram matrix: [[1, 1], [0, 1], [1, 0]] has √3 and 1', () => {
    const s = sorted(singularValues([1, 1, 0, 1, 1, 0], 3, 2));
    expect(s[0]).toBeCloseTo(1, 10);
    expect(s[1]).toBeCloseTo(Math.sqrt(3), 10);
  });
});

// Quick mode, one fixed seed; the margins were checked over seeds 0–4 (see the experiment file).
describe('glorot-bengio-2010', () => {
  test('reproduces the published finding in quick mode', async () => {
    const r = await runExperiment('glorot-bengio-2010', { quick: true, seed: 1 });
    for (const c of r.verdict.checks) expect.soft(c.passed, `${c.description}: ${c.observed}`).toBe(true);
    expect(r.verdict.reproduced).toBe(true);
    expect(() => JSON.stringify(r)).not.toThrow();
  }, 120_000);
});
