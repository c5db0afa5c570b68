/**
 * fit with callbacks over long runs, as Keras and Lightning users write them: early stopping
 * that restores the best epoch (bit for bit the weights of a run stopped there by hand), a
 * schedule together with it, a callback that throws, and the end-of-run summary agreeing with
 * what the callbacks did.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSafetensors, saveSafetensors } from '../../src/node.js';
import { nn, manualSeed, optim } from '../../src/index.js';
import { fit, CallbackError, EarlyStopping, ModelCheckpoint, type Callback, type EpochLogs } from '../../src/train/index.js';
import { blobs, xor } from './helpers.js';

/** A wide network on 30 noisy examples: validation loss bottoms out within ten epochs, then rises. */
function overfitter(): nn.Sequential {
  manualSeed(7);
  return new nn.Sequential(new nn.Linear(2, 128), new nn.ReLU(), new nn.Linear(128, 128), new nn.ReLU(), new nn.Linear(128, 3));
}
const train = blobs(30, 3, 1, { noise: 2 });
const val = blobs(300, 3, 2, { noise: 2 });

function same(a: nn.Module, b: nn.Module): boolean {
  const sa = a.stateDict();
  const sb = b.stateDict();
  return Object.keys(sa).every((k) => sa[k].data.every((v, i) => Object.is(v, sb[k].data[i])));
}

describe('EarlyStopping over a long run', () => {
  test('restoreBestWeights gives the weights of a run stopped by hand at the best epoch, and the summary says so', async () => {
    const model = overfitter();
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 30, restoreBestWeights: true });
    const r = await fit(model, train, { epochs: 500, batchSize: 10, lr: 1e-2, seed: 3, validationData: val, callbacks: [es] });
    expect(r.stopReason).toBe('early-stopping');
    expect(es.stoppedEpoch).toBe(es.bestEpoch + 30);
    expect(r.history.epochs).toHaveLength(es.stoppedEpoch + 1);
    expect(r.restored).toEqual({ epoch: es.bestEpoch, by: 'EarlyStopping', monitor: 'valLoss', value: es.bestValue });
    // The best epoch's value is the minimum of the history (strict improvement, minDelta 0: the first of ties).
    const vals = r.history.epochs.map((e) => e.valLoss!);
    expect(vals.indexOf(Math.min(...vals))).toBe(es.bestEpoch);

    const byHand = overfitter();
    const r2 = await fit(byHand, train, { epochs: es.bestEpoch + 1, batchSize: 10, lr: 1e-2, seed: 3, validationData: val });
    expect(r2.history.epochs.at(-1)!.valLoss).toBe(es.bestValue);
    expect(same(model, byHand)).toBe(true);

    // The summary: overfitting happened during training but the model returned is the best
    // epoch's, so the finding is information, and does not advise what was done already.
    const f = r.findings.find((x) => x.rule === 'overfitting')!;
    expect(f.severity).toBe('info');
    expect(f.evidence).toContain(`EarlyStopping put epoch ${es.bestEpoch + 1}'s weights back`);
    expect(f.advice).not.toMatch(/early stopping/i);
    for (const x of r.findings) expect(x.advice).not.toMatch(/train longer/);
  });

  test('patience, minDelta and mode as in Keras: wait counts epochs since the last improvement > minDelta', async () => {
    // val: 1, .95 (improves by .05 > .04), .93 (.02: not enough), .92, .90 (.05 from .95: improves), .89, .88, .87 → stop at epoch 7 with patience 3.
    const script = [1, 0.95, 0.93, 0.92, 0.9, 0.89, 0.88, 0.87, 0.5];
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 3, minDelta: 0.04 });
    const scripted: Callback = { onEpochEnd: (l: EpochLogs) => void (l.valLoss = script[l.epoch]) };
    const r = await fit(overfitter(), train, { epochs: 9, batchSize: 10, seed: 1, validationData: val, callbacks: [scripted, es] });
    expect(es.bestEpoch).toBe(4);
    expect(es.stoppedEpoch).toBe(7);
    expect(r.history.epochs).toHaveLength(8);
    // mode 'max' on accuracy: a fall is no improvement.
    const acc = [0.5, 0.6, 0.55, 0.58, 0.59];
    const es2 = new EarlyStopping({ monitor: 'valAccuracy', patience: 3 });
    const r2 = await fit(overfitter(), train, {
      epochs: 10,
      batchSize: 10,
      seed: 1,
      validationData: val,
      callbacks: [{ onEpochEnd: (l: EpochLogs) => void (l.valMetrics!.accuracy = acc[l.epoch]) }, es2],
    });
    expect(es2.mode).toBe('max');
    expect([es2.bestEpoch, es2.stoppedEpoch, r2.history.epochs.length]).toEqual([1, 4, 5]);
  });

  test('with ReduceLROnPlateau (cooldown) the epochs record the lr each one trained with, in PyTorch’s order', async () => {
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 12 });
    const r = await fit(overfitter(), train, {
      epochs: 300,
      batchSize: 10,
      lr: 1e-2,
      seed: 3,
      validationData: val,
      schedule: (opt) => new optim.ReduceLROnPlateau(opt, { patience: 2, factor: 0.5, cooldown: 3 }),
      callbacks: [es],
    });
    expect(r.stopReason).toBe('early-stopping');
    // Replay PyTorch's ReduceLROnPlateau (mode min, threshold 1e-4 rel) on the recorded validation losses.
    let lr = 1e-2;
    let best = Infinity;
    let bad = 0;
    let cool = 0;
    const expected: number[] = [];
    for (const e of r.history.epochs) {
      expected.push(lr);
      const v = e.valLoss!;
      if (v < best * (1 - 1e-4)) {
        best = v;
        bad = 0;
      } else bad++;
      if (cool > 0) {
        cool--;
        bad = 0;
      }
      if (bad > 2) {
        lr *= 0.5;
        cool = 3;
        bad = 0;
      }
    }
    const lrs = r.history.epochs.map((e) => e.lr);
    expect(lrs.map((x) => Math.fround(x))).toEqual(expected.map((x) => Math.fround(x)));
    expect(new Set(lrs).size).toBeGreaterThan(2);
  });
});

describe('a callback that throws', () => {
  class Exploding implements Callback {
    onEpochEnd(logs: EpochLogs): void {
      if (logs.epoch === 3) throw new RangeError('disk full');
    }
  }

  test('ends fit with an error naming the callback, the hook and the epoch; the report so far and the cause are kept', async () => {
    const model = overfitter();
    const ck: number[] = [];
    const err = await fit(model, train, {
      epochs: 50,
      batchSize: 10,
      seed: 1,
      validationData: val,
      callbacks: [new ModelCheckpoint({ save: (s) => void ck.push(s.epoch) }), new Exploding()],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallbackError);
    const e = err as CallbackError;
    expect(e.message).toBe('fit: callbacks[1] (Exploding).onEpochEnd threw in epoch 4 of 50 (index 3, step 12): disk full');
    expect(e.cause).toBeInstanceOf(RangeError);
    expect(e.report.history.epochs).toHaveLength(4);
    expect(e.report.history.steps.at(-1)!.step).toBe(12);
    // The callbacks before it ran for that epoch.
    expect(ck).toEqual([0, 1, 2, 3]);
    // The model still trains afterwards (nothing was left half-released).
    const r = await fit(model, train, { epochs: 1, batchSize: 10, seed: 1 });
    expect(r.stopReason).toBe('completed');
  });

  test('a plain-object callback and every hook are named', async () => {
    const run = (cb: Callback) => fit(overfitter(), train, { epochs: 3, batchSize: 10, callbacks: [{}, cb] });
    await expect(run({ onTrainBegin: () => { throw new Error('x'); } })).rejects.toThrow('fit: callbacks[1].onTrainBegin threw before the first epoch: x');
    await expect(run({ onBatchEnd: (l) => { if (l.step === 5) throw new Error('y'); } })).rejects.toThrow('fit: callbacks[1].onBatchEnd threw in epoch 2 of 3 (index 1, step 5): y');
    await expect(run({ onTrainEnd: async () => Promise.reject(new Error('z')) })).rejects.toThrow('fit: callbacks[1].onTrainEnd threw after training (3 epochs, step 9): z');
    // A missing monitor is still explained.
    await expect(fit(overfitter(), train, { epochs: 2, batchSize: 10, callbacks: [new EarlyStopping()] })).rejects.toThrow(/callbacks\[0\] \(EarlyStopping\)\.onEpochEnd threw in epoch 1 of 2.*monitor 'valLoss' is not in the epoch logs/);
  });
});

test('underfitting after early stopping does not advise training longer', async () => {
  manualSeed(1);
  // A linear model on XOR cannot learn it: the loss plateaus and early stopping ends the run.
  const es = new EarlyStopping({ monitor: 'loss', patience: 5, minDelta: 1e-3 });
  const r = await fit(new nn.Sequential(new nn.Linear(2, 2)), xor(400, 1), { epochs: 400, seed: 1, validationData: xor(200, 51), callbacks: [es] });
  expect(r.stopReason).toBe('early-stopping');
  const f = r.findings.find((x) => x.rule === 'underfitting')!;
  expect(f).toBeDefined();
  expect(f.advice).not.toMatch(/train longer/);
  expect(f.advice).toMatch(/stopped early after \d+ epochs/);
});

describe('a NaN that reaches step k of a long run (written into the data during training, past fit’s up-front check)', () => {
  const snap = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
  const poisoned = (callbacks: Callback[], es?: EarlyStopping) => {
    const d = blobs(30, 3, 1, { noise: 2 });
    const model = overfitter();
    let before: Record<string, number[]> = {};
    // Without shuffling, row 0 is in the first batch of each epoch: written after step 300 (the last of epoch 100), it is read at step 301.
    const inject: Callback = { onBatchEnd: (l, ctx) => void (l.step === 300 && ((before = snap(ctx.model)), (d.x.data[0] = NaN))) };
    const run = fit(model, d, { epochs: 400, batchSize: 10, shuffle: false, lr: 1e-3, seed: 1, validationData: val, callbacks: [inject, ...callbacks, ...(es ? [es] : [])] });
    return run.then((r) => ({ r, model, before: () => before }));
  };

  test('training stops at step k; the summary names the step, the phase and the layer; the weights are those of step k − 1', async () => {
    const { r, model, before } = await poisoned([]);
    expect(r.stopReason).toBe('non-finite');
    expect(r.nonFinite).toMatchObject({ step: 301, epoch: 100, batch: 0, phase: 'forward', layer: '0' });
    expect(r.history.epochs).toHaveLength(100);
    const f = r.findings[0];
    expect(f).toMatchObject({ rule: 'non-finite', severity: 'error', status: 'current', layers: ['0'], step: 301 });
    expect(f.evidence).toMatch(/^Step 301 \(epoch 101, batch 1\): NaN\/Infinity in the forward pass: the output of .*module 0.* is the first non-finite\. Training stopped; the weights are those before this step/);
    expect(snap(model)).toEqual(before());
  });

  test('with EarlyStopping(restoreBestWeights) the model is the best epoch’s, and the non-finite finding says so', async () => {
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 1000, restoreBestWeights: true });
    const { r } = await poisoned([], es);
    expect(r.stopReason).toBe('non-finite');
    expect(r.restored?.epoch).toBe(es.bestEpoch);
    expect(es.bestEpoch).toBeLessThan(100);
    const f = r.findings.find((x) => x.rule === 'non-finite')!;
    expect(f.evidence).toContain(`Training stopped; EarlyStopping then put back epoch ${es.bestEpoch + 1}'s weights (its best valLoss)`);
    expect(f.advice).not.toMatch(/weights kept are those before/);
  });
});

describe('ModelCheckpoint writing files, as users write it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-ck-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every 5 epochs: exactly those files; the best only, to one path: the file holds the weights EarlyStopping restored', async () => {
    const every = new ModelCheckpoint({ every: 5, save: (s) => saveSafetensors(join(dir, `epoch${s.epoch + 1}.safetensors`), s.modelState) });
    const best = new ModelCheckpoint({ onBest: true, monitor: 'valLoss', save: (s) => saveSafetensors(join(dir, 'best.safetensors'), s.modelState) });
    const es = new EarlyStopping({ monitor: 'valLoss', patience: 1000, restoreBestWeights: true });
    const model = overfitter();
    const r = await fit(model, train, { epochs: 40, batchSize: 10, lr: 1e-2, seed: 3, validationData: val, callbacks: [every, best, es] });
    expect(readdirSync(dir).sort()).toEqual(['best.safetensors', ...[10, 15, 20, 25, 30, 35, 40, 5].map((e) => `epoch${e}.safetensors`)]);
    expect(best.saved.every((x) => x.reason === 'best')).toBe(true);
    expect(best.saved.at(-1)!.epoch).toBe(r.restored!.epoch);
    const back = overfitter();
    back.loadStateDict((await loadSafetensors(join(dir, 'best.safetensors'))).tensors);
    expect(same(back, model)).toBe(true);
  });

  test('a path in a missing directory is a clean error naming it, at the first save', async () => {
    const missing = join(dir, 'no', 'such');
    const ck = new ModelCheckpoint({ every: 2, save: (s) => saveSafetensors(join(missing, `e${s.epoch}.safetensors`), s.modelState) });
    await expect(fit(overfitter(), train, { epochs: 5, batchSize: 10, callbacks: [ck] })).rejects.toThrow(
      `fit: callbacks[0] (ModelCheckpoint).onEpochEnd threw in epoch 2 of 5 (index 1, step 6): writeFileAtomic: cannot write "${join(missing, 'e1.safetensors')}": the directory ${missing} does not exist`,
    );
  });
});

test('stopTraining set in onBatchEnd ends the epoch after that batch (as Keras), which is still logged and validated', async () => {
  const seen: number[] = [];
  const r = await fit(overfitter(), train, {
    epochs: 50,
    batchSize: 10,
    seed: 1,
    validationData: val,
    callbacks: [{ onBatchEnd: (l, ctx) => void (l.step === 8 && (ctx.stopTraining = true)) }, { onEpochEnd: (l) => void seen.push(l.epoch) }],
  });
  expect(r.stopReason).toBe('early-stopping');
  expect(r.history.steps.at(-1)!.step).toBe(8);
  expect(r.history.epochs).toHaveLength(3);
  expect(r.history.epochs[2].valLoss).toBeGreaterThan(0);
  expect(seen).toEqual([0, 1, 2]);
});

describe('Keras and PyTorch habits refused before training, with the right spelling', () => {
  test("Keras's snake-case monitor names", () => {
    expect(() => new EarlyStopping({ monitor: 'val_loss' })).toThrow("EarlyStopping: monitor 'val_loss' is Keras's spelling; gradlab's epoch logs name it 'valLoss'");
    expect(() => new EarlyStopping({ monitor: 'val_acc' })).toThrow("name it 'valAccuracy'");
    expect(() => new ModelCheckpoint({ monitor: 'val_accuracy', onBest: true, save: () => {} })).toThrow("ModelCheckpoint: monitor 'val_accuracy' is Keras's spelling; gradlab's epoch logs name it 'valAccuracy'");
  });

  test("ReduceLROnPlateau in mode 'max' given to fit, which steps it with the validation loss", async () => {
    const model = overfitter();
    const before = model.stateDict()['0.weight'].data.slice();
    await expect(
      fit(model, train, { epochs: 3, validationData: val, schedule: (opt) => new optim.ReduceLROnPlateau(opt, { mode: 'max' }) }),
    ).rejects.toThrow("fit: schedule ReduceLROnPlateau has mode 'max', but fit steps it with the validation loss");
    expect(model.stateDict()['0.weight'].data).toEqual(before);
  });
});
