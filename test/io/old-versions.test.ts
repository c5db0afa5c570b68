/**
 * Files written by earlier gradlab versions (test/fixtures/old_versions/make.sh builds those
 * commits and runs their CLI) are read by this one: the same predictions, and an old checkpoint
 * resumes.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/node.js';
import { cli } from '../helpers/cli.js';

const DIR = join(__dirname, '..', 'fixtures', 'old_versions');
type Prediction = { class: number; top: Array<{ class: number; probability: number }> };
const predictions = (text: string): Prediction[] => (JSON.parse(text) as { predictions: Prediction[] }).predictions;

function expectSamePredictions(got: Prediction[], want: Prediction[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((p, i) => {
    expect(p.class, `row ${i}`).toBe(want[i].class);
    for (const t of want[i].top) {
      const q = p.top.find((u) => u.class === t.class)!;
      expect(Math.abs(q.probability - t.probability) / t.probability, `row ${i} class ${t.class}`).toBeLessThan(1e-5);
    }
  });
}

describe('files of earlier gradlab versions', () => {
  it('dc62ab4 (the first CLI): its MLP model file (format_version 1) predicts what that version predicted; its checkpoint resumes', async () => {
    const model = join(DIR, 'dc62ab4-mlp.safetensors');
    const r = await cli('predict', model, '[[0.5,-1.2],[0.1,0.3],[-2,1.5]]', '--json', '--top', '2');
    expect(r.code, r.err).toBe(0);
    expectSamePredictions(predictions(r.out), predictions(readFileSync(join(DIR, 'dc62ab4-mlp.predict.json'), 'utf8')));
    expect((await loadModel(model)).metadata.format_version).toBe('1');
    const out = join(mkdtempSync(join(tmpdir(), 'gradlab-old-')), 'resumed.safetensors');
    const resumed = await cli('train', '--resume', join(DIR, 'dc62ab4-checkpoint.safetensors'), '--epochs', '4', '--out', out, '-q');
    expect(resumed.code, resumed.err).toBe(0);
    expect((await loadModel(out)).config?.epochs).toBe(4);
  });

  it('514fb50 (the first conv nets): its conv + residual model file (format_version 2) predicts what that version predicted', async () => {
    const model = join(DIR, '514fb50-conv.safetensors');
    const r = await cli('predict', model, join(DIR, '514fb50-conv.input.json'), '--json', '--top', '10');
    expect(r.code, r.err).toBe(0);
    expectSamePredictions(predictions(r.out), predictions(readFileSync(join(DIR, '514fb50-conv.predict.json'), 'utf8')));
    expect((await loadModel(model)).metadata.format_version).toBe('2');
  });
});
