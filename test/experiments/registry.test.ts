import { describe, expect, test } from 'vitest';
import { EXPERIMENTS, EXPERIMENT_NAMES, listExperiments, getExperiment, runExperiment } from '../../src/experiments/index.js';

describe('experiment registry', () => {
  test('lists every experiment with its claim and citation', () => {
    const list = listExperiments();
    expect(list.map((e) => e.name)).toEqual(EXPERIMENT_NAMES);
    for (const e of list) {
      expect(EXPERIMENTS[e.name].name).toBe(e.name);
      expect(e.title.length).toBeGreaterThan(10);
      expect(e.claim.length).toBeGreaterThan(40);
      expect(e.citation).toMatch(/\d{4}/);
    }
  });
  test('unknown names are an error listing the valid ones', async () => {
    expect(() => getExperiment('nope')).toThrow(/Valid experiments: .*zero-init/);
    await expect(runExperiment('nope')).rejects.toThrow(/Unknown experiment/);
  });
});
