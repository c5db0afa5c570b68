import { describe, expect, test } from 'vitest';
import { runExperiment } from '../../src/experiments/index.js';
import { frozenFraction } from '../../src/experiments/dying-relu.js';
import { nn } from '../../src/index.js';

// Quick mode, one fixed seed; the margins were checked over several seeds (see the experiment file).
describe('dying-relu', () => {
  test('reproduces the published finding in quick mode', async () => {
    const r = await runExperiment('dying-relu', { quick: true, seed: 1 });
    for (const c of r.verdict.checks) expect.soft(c.passed, `${c.description}: ${c.observed}`).toBe(true);
    expect(r.verdict.reproduced).toBe(true);
    expect(() => JSON.stringify(r)).not.toThrow();
  }, 120_000);
});

describe('frozenFraction', () => {
  test('counts the units whose incoming weights moved by at most 1e-3 of their norm', () => {
    const l = new nn.Linear(4, 3);
    const before = [Float32Array.from(l.weight.data)];
    expect(frozenFraction([l], before)).toBe(1);
    // Unit 0 moves by 1% of its norm, unit 1 by 0.01%, unit 2 not at all.
    const w = l.weight.data;
    const norm = (u: number) => Math.hypot(...Array.from(w.subarray(4 * u, 4 * u + 4)));
    w[0] += 0.01 * norm(0);
    w[4] += 1e-4 * norm(1);
    expect(frozenFraction([l], before)).toBeCloseTo(2 / 3, 10);
  });
});
