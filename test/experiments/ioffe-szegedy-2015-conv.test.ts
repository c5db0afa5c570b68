import { describe, expect, test } from 'vitest';
// Conv nets: the wasm kernels, as the CLI uses them (the reference loops take minutes here).
import '../../src/kernels/auto.js';
import { runExperiment } from '../../src/experiments/index.js';

// Quick mode, one fixed seed; the margins were checked over several seeds (see the experiment file).
describe('ioffe-szegedy-2015-conv', () => {
  test('reproduces the published finding in quick mode', async () => {
    const r = await runExperiment('ioffe-szegedy-2015-conv', { quick: true, seed: 1 });
    for (const c of r.verdict.checks) expect.soft(c.passed, `${c.description}: ${c.observed}`).toBe(true);
    expect(r.verdict.reproduced).toBe(true);
    expect(() => JSON.stringify(r)).not.toThrow();
  }, 120_000);
});
