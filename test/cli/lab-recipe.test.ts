/**
 * The flags that let `gradlab train` replay a web-lab run (lab/src/command.ts): --test-fraction
 * (the lab's training fraction) and --standardize (the lab standardises its synthetic sets).
 * The recipe stores both, and evaluate replays them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { loadModel } from '../../src/io/model.node.js';
import { fitScaler } from '../../src/data/scaler.js';
import { spiral } from '../../src/data/synthetic.js';
import { trainValidationSplit } from '../../src/data/dataset.js';
import { Generator } from '../../src/random.js';

describe('gradlab train --test-fraction --standardize', () => {
  it('holds out the given share, standardises with the training part\'s statistics, and evaluate replays both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-labrecipe-'));
    const out = join(dir, 'm.safetensors');
    const r = await cli('train', '--data', 'spiral', '--samples', '200', '--noise', '0.1', '--test-fraction', '0.3', '--standardize', '--layers', '8', '--activation', 'tanh', '--no-batchnorm', '--epochs', '2', '--seed', '4', '-q', '-o', out, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.test.examples).toBe(60);
    const m = await loadModel(out);
    const info = m.info as unknown as { config: { data: { scaler: string; testFraction: number } }; data: { scaler: { method: string; offset: number[]; scale: number[] } } };
    expect(info.config.data).toMatchObject({ scaler: 'standard', testFraction: 0.3 });
    // The scaler is the training part's mean and standard deviation (the split: stratified, seed + 1).
    const { train } = trainValidationSplit(spiral({ n: 200, noise: 0.1, seed: 4 }), 0.3, new Generator(5), { stratify: true });
    const want = fitScaler(train.x, 'standard');
    expect(info.data.scaler.offset.map((v) => +v.toFixed(5))).toEqual(want.offset.map((v) => +v.toFixed(5)));
    expect(info.data.scaler.scale.map((v) => +v.toFixed(5))).toEqual(want.scale.map((v) => +v.toFixed(5)));
    const ev = await cli('evaluate', out, '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(JSON.parse(ev.out).accuracy).toBeCloseTo(j.test.accuracy, 10);
  });

  it('refuses a held-out share outside (0, 1) and --standardize on data that is not synthetic, naming the flag', async () => {
    for (const v of ['0', '1', '-0.2', 'abc']) {
      const r = await cli('train', '--data', 'spiral', '--test-fraction', v, '--epochs', '1', '-q');
      expect(r.code, v).toBe(2);
      expect(r.err).toMatch(/--test-fraction/);
    }
    const r = await cli('train', '--data', 'mnist', '--standardize', '--epochs', '1', '-q');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--standardize applies to the synthetic sets \(spiral, circles, xor, moons, blobs\).*got --data mnist/);
  });
});
