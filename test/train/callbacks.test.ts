import { describe, expect, test } from 'vitest';
import { nn, manualSeed } from '../../src/index.js';
import { fit, EarlyStopping, ModelCheckpoint, snapshotState, type CheckpointState, type EpochLogs, type TrainContext } from '../../src/train/index.js';
import { blobs, healthyMlp } from './helpers.js';

/** A callback that makes the epoch logs' validation loss follow a script (then early stopping reads it). */
function scriptedValLoss(values: number[]) {
  return { onEpochEnd: (l: EpochLogs) => void (l.valLoss = values[l.epoch]) };
}

describe('EarlyStopping', () => {
  test('stops after `patience` epochs without an improvement larger than minDelta', async () => {
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 2, minDelta: 0.01 });
    const r = await fit(healthyMlp(1), blobs(40, 3, 1), {
      epochs: 10,
      batchSize: 20,
      seed: 1,
      validationData: blobs(20, 3, 2),
      callbacks: [scriptedValLoss([1, 0.8, 0.795, 0.9, 0.7]), es],
    });
    expect(r.stopReason).toBe('early-stopping');
    expect(r.history.epochs).toHaveLength(4);
    expect(es.bestEpoch).toBe(1);
    expect(es.stoppedEpoch).toBe(3);
  });

  test('restoreBestWeights restores the best epoch also when training ran to the end', async () => {
    const model = healthyMlp(1);
    let bestState: ReturnType<typeof snapshotState> | null = null;
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 10, restoreBestWeights: true });
    const r = await fit(model, blobs(40, 3, 1), {
      epochs: 4,
      batchSize: 20,
      seed: 1,
      validationData: blobs(20, 3, 2),
      callbacks: [
        scriptedValLoss([1, 0.5, 0.7, 0.8]),
        es,
        { onEpochEnd: (l: EpochLogs, ctx: TrainContext) => void (l.epoch === 1 && (bestState = snapshotState(ctx.model))) },
      ],
    });
    expect(r.stopReason).toBe('completed');
    expect(es.bestEpoch).toBe(1);
    expect(es.restored).toBe(true);
    const now = model.stateDict();
    for (const [k, v] of Object.entries(bestState!)) expect(Array.from(now[k].data), k).toEqual(Array.from(v.data));
  });

  test('does not restore when the last epoch was the best', async () => {
    const es = new EarlyStopping({ monitor: 'loss', patience: 3, restoreBestWeights: true });
    await fit(healthyMlp(1), blobs(40, 3, 1), { epochs: 3, batchSize: 20, seed: 1, callbacks: [{ onEpochEnd: (l: EpochLogs) => void (l.loss = 3 - l.epoch) }, es] });
    expect(es.bestEpoch).toBe(2);
    expect(es.restored).toBe(false);
  });

  test('monitoring accuracy maximises; a missing monitor is an error that says what is available', async () => {
    const es = new EarlyStopping({ monitor: 'valAccuracy' });
    expect(es.mode).toBe('max');
    await expect(fit(healthyMlp(1), blobs(20, 3, 1), { epochs: 2, batchSize: 10, callbacks: [new EarlyStopping()] })).rejects.toThrow(/valLoss.*available: loss/);
  });
});

describe('ModelCheckpoint', () => {
  test('hands a copy of the model and optimizer state every N epochs and on improvement', async () => {
    const saved: CheckpointState[] = [];
    const ck = new ModelCheckpoint({ every: 2, onBest: true, monitor: 'valLoss', save: async (s) => void saved.push(s) });
    const model = healthyMlp(1);
    await fit(model, blobs(40, 3, 1), { epochs: 4, batchSize: 20, seed: 1, validationData: blobs(20, 3, 2), callbacks: [scriptedValLoss([1, 1.2, 0.9, 0.95]), ck] });
    expect(saved.map((s) => [s.epoch, s.reason])).toEqual([
      [0, 'best'],
      [1, 'every'],
      [2, 'best'],
      [3, 'every'],
    ]);
    const s = saved[3];
    expect(Object.keys(s.modelState)).toEqual(Object.keys(model.stateDict()));
    expect(s.modelState['0.weight'].shape).toEqual([32, 2]);
    expect(s.optimizerState.type).toBe('Adam');
    expect(s.step).toBe(8);
    // A snapshot, not a view: it does not follow later training.
    expect(Array.from(saved[0].modelState['0.weight'].data)).not.toEqual(Array.from(s.modelState['0.weight'].data));
    manualSeed(0);
    const restored = healthyMlp(9);
    restored.loadStateDict(s.modelState);
    expect(Array.from(restored.stateDict()['0.weight'].data)).toEqual(Array.from(model.stateDict()['0.weight'].data));
  });

  test('requires a save function', () => {
    expect(() => new ModelCheckpoint({} as never)).toThrow(/save/);
    expect(() => new ModelCheckpoint({ save: () => {}, every: 0 })).toThrow(/every/);
  });
});

test('a callback that sets stopTraining ends training after the epoch', async () => {
  manualSeed(1);
  const m = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 3));
  const r = await fit(m, blobs(20, 3, 1), { epochs: 5, batchSize: 10, callbacks: [{ onEpochEnd: (l: EpochLogs, ctx: TrainContext) => void (l.epoch === 1 && (ctx.stopTraining = true)) }] });
  expect(r.history.epochs).toHaveLength(2);
  expect(r.stopReason).toBe('early-stopping');
});
