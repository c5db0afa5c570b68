import { describe, expect, test } from 'vitest';
import { runExperiment } from '../../src/experiments/index.js';

// Quick mode, one fixed seed; the margins were checked over seeds 0–9 (see the experiment file).
describe('activation-init-shootout', () => {
  test('reproduces the published finding in quick mode', async () => {
    const r = await runExperiment('activation-init-shootout', { quick: true, seed: 1 });
    for (const c of r.verdict.checks) expect.soft(c.passed, `${c.description}: ${c.observed}`).toBe(true);
    expect(r.verdict.reproduced).toBe(true);
    // Every activation of the registry that makes sense in a hidden layer is there, with both inits.
    const pairs = r.measurements.tables[1].rows.map((row) => row[0]);
    expect(pairs).toEqual(['linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'prelu', 'elu', 'selu', 'gelu', 'silu', 'softplus']);
    expect(() => JSON.stringify(r)).not.toThrow();
  }, 120_000);
});
