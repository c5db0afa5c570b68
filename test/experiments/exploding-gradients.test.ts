import { describe, expect, test } from 'vitest';
import { runExperiment } from '../../src/experiments/index.js';

// Quick mode, one fixed seed; the margins were checked over several seeds (see the experiment file).
describe('exploding-gradients', () => {
  test('reproduces the published finding in quick mode', async () => {
    const r = await runExperiment('exploding-gradients', { quick: true, seed: 1 });
    for (const c of r.verdict.checks) expect.soft(c.passed, `${c.description}: ${c.observed}`).toBe(true);
    expect(r.verdict.reproduced).toBe(true);
    expect(() => JSON.stringify(r)).not.toThrow();
    // The summary claims training only when the clipped run's final loss is below the chance level ln 10.
    const clipped = r.measurements.tables[0].rows[1];
    const last = clipped[2] as number;
    expect(r.verdict.summary.includes('let it train')).toBe(last < Math.log(10));
  }, 120_000);
});
