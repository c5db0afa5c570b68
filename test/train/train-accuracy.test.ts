/**
 * "Train accuracy" means what it says (issue 14): at the end of each epoch, the model in eval
 * mode on the training split (a fixed sample of ≤ 2,000 examples), not the running average of
 * training-mode batches while the weights changed — which stays, labelled as such.
 */
import { describe, expect, test } from 'vitest';
import { manualSeed, nn } from '../../src/index.js';
import { evaluate, fit } from '../../src/train/index.js';
import { TRAIN_EVAL_EXAMPLES, trainEvalSample } from '../../src/train/fit.js';
import { blobs } from './helpers.js';

describe('train accuracy', () => {
  test('each epoch reports the final model in eval mode on the training split; the running average differs under dropout', async () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Linear(2, 64), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(64, 3));
    const train = blobs(600, 3, 4);
    const r = await fit(model, train, { epochs: 3, seed: 4, metrics: ['accuracy'], lr: 0.01 });
    const last = r.history.epochs[r.history.epochs.length - 1];
    // An independent measurement: evaluate() on the same examples after training.
    const ev = await evaluate(model, train, { metrics: ['accuracy'] });
    expect(last.trainMetrics!.accuracy).toBeCloseTo(ev.metrics.accuracy, 10);
    expect(last.trainLoss!).toBeCloseTo(ev.loss, 5);
    expect(last.trainExamples).toBe(600);
    // Dropout at p = 0.5 makes the training-mode running average a different (lower) number.
    expect(last.metrics.accuracy).toBeLessThan(last.trainMetrics!.accuracy);
  });

  test('large training sets are sampled: at most 2,000 evenly spaced examples, every class present', () => {
    const d = blobs(5000, 5, 1);
    const s = trainEvalSample(d);
    expect(s.x.shape).toEqual([TRAIN_EVAL_EXAMPLES, 2]);
    expect(new Set(Array.from(s.y.data)).size).toBe(5);
    expect(trainEvalSample(blobs(300, 3, 1)).x.shape[0]).toBe(300);
  });
});
