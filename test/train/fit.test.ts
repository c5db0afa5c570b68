import { describe, expect, test } from 'vitest';
import { Tensor, manualSeed, nn, optim, tensor } from '../../src/index.js';
import { fit, evaluate, predict, defaultLossName, baselineLoss, type BatchLogs } from '../../src/train/index.js';
import { blobs, healthyMlp, withoutTimings, xor } from './helpers.js';

describe('fit', () => {
  test('trains a classifier and reports per-epoch train and validation loss and metrics', async () => {
    const model = healthyMlp(1);
    const r = await fit(model, blobs(300, 3, 1), { epochs: 6, batchSize: 32, seed: 1, metrics: ['accuracy', 'top2'], validationData: blobs(150, 3, 2) });
    expect(r.stopReason).toBe('completed');
    expect(r.history.epochs).toHaveLength(6);
    const last = r.history.epochs[5];
    expect(last.loss).toBeLessThan(r.history.epochs[0].loss);
    expect(last.metrics.accuracy).toBeGreaterThan(0.9);
    expect(last.metrics.top2).toBeGreaterThanOrEqual(last.metrics.accuracy);
    expect(last.valLoss).toBeTypeOf('number');
    expect(last.valMetrics!.accuracy).toBeGreaterThan(0.9);
    expect(last.valLossStdErr).toBeGreaterThan(0);
    expect(r.history.steps).toHaveLength(6 * Math.ceil(300 / 32));
    expect(r.config.loss).toBe('crossEntropy');
    expect(r.config.optimizer).toBe('adam');
    expect(r.config.lr).toBe(1e-3);
    expect(r.history.baselineLoss).toBeCloseTo(Math.log(3), 6);
    // The same model evaluates to the last epoch's validation numbers.
    const ev = await evaluate(model, blobs(150, 3, 2), { metrics: ['accuracy'] });
    expect(ev.loss).toBeCloseTo(last.valLoss!, 5);
    expect(ev.metrics.accuracy).toBeCloseTo(last.valMetrics!.accuracy, 10);
  });

  test('the same seed gives bit-identical reports (except timings), another seed a different one', async () => {
    const run = async (seed: number) => {
      manualSeed(7);
      const m = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 3));
      return fit(m, blobs(120, 3, 3), { epochs: 3, batchSize: 16, seed, validationSplit: 0.25, metrics: ['accuracy'], monitor: { every: 2 } });
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(withoutTimings(a)).toEqual(withoutTimings(b));
    expect(withoutTimings(a)).not.toEqual(withoutTimings(c));
  });

  test('the report is JSON-serialisable: plain arrays, finite numbers or null', async () => {
    const r = await fit(healthyMlp(2), blobs(64, 3, 1), { epochs: 2, batchSize: 16, seed: 1, monitor: { every: 1 } });
    const check = (v: unknown, path: string): void => {
      if (typeof v === 'number') expect(Number.isFinite(v), path).toBe(true);
      else if (ArrayBuffer.isView(v)) throw new Error(`typed array at ${path}`);
      else if (Array.isArray(v)) v.forEach((x, i) => check(x, `${path}[${i}]`));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) check(x, `${path}.${k}`);
    };
    check(r, 'report');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('default loss: crossEntropy for class indices, bceWithLogits for one 0/1 column, mse otherwise', async () => {
    expect(defaultLossName(tensor([0, 2, 1]), 3)).toBe('crossEntropy');
    expect(defaultLossName(tensor([0, 1, 1]), 1)).toBe('bceWithLogits');
    expect(defaultLossName(tensor([[0.5], [1.5]]), 1)).toBe('mse');
    expect(baselineLoss('mse', tensor([[1], [3]]))).toBeCloseTo(1, 10);
    manualSeed(3);
    const d = xor(200, 3);
    const m = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Linear(16, 1));
    const r = await fit(m, d, { epochs: 30, batchSize: 20, lr: 0.03, seed: 3, metrics: ['accuracy'] });
    expect(r.config.loss).toBe('bceWithLogits');
    expect(r.history.baselineLoss).toBeCloseTo(baselineLoss('bceWithLogits', d.y)!, 10);
    expect(r.history.epochs.at(-1)!.metrics.accuracy).toBeGreaterThan(0.85);
    const p = await predict(m, d.x, { batchSize: 64 });
    expect(p.shape).toEqual([200, 1]);
    // Binary accuracy from logits thresholded at 0 matches the metric computed by evaluate.
    let hits = 0;
    for (let i = 0; i < 200; i++) if (p.data[i] > 0 === d.y.data[i] >= 0.5) hits++;
    expect((await evaluate(m, d, { metrics: ['accuracy'] })).metrics.accuracy).toBeCloseTo(hits / 200, 10);
  });

  test('regression targets get mse', async () => {
    manualSeed(1);
    const x = tensor([[0], [1], [2], [3]]);
    const y = tensor([[1], [3], [5], [7]]);
    const m = new nn.Sequential(new nn.Linear(1, 1));
    const r = await fit(m, { x, y }, { epochs: 200, batchSize: 4, optimizer: 'sgd', lr: 0.05, seed: 0, monitor: false });
    expect(r.config.loss).toBe('mse');
    expect(r.history.epochs.at(-1)!.loss).toBeLessThan(1e-3);
  });

  test('top-k and binary accuracy metrics are computed exactly', async () => {
    const { resolveMetric } = await import('../../src/train/metrics.js');
    const out = tensor([
      [0.1, 0.7, 0.2],
      [0.5, 0.3, 0.2],
      [0.2, 0.3, 0.5],
    ]);
    const y = tensor([2, 0, 0]);
    expect(resolveMetric('accuracy', { outputColumns: 3, probabilities: false, classIndices: true }).count(out, y)).toEqual({ hits: 1, cases: 3 });
    expect(resolveMetric('top2', { outputColumns: 3, probabilities: false, classIndices: true }).count(out, y)).toEqual({ hits: 2, cases: 3 });
    const logits = tensor([[2], [-1], [0.5]]);
    expect(resolveMetric('accuracy', { outputColumns: 1, probabilities: false, classIndices: true }).count(logits, tensor([1, 1, 0]))).toEqual({ hits: 1, cases: 3 });
    expect(resolveMetric('binaryAccuracy', { outputColumns: 1, probabilities: true, classIndices: true }).count(tensor([[0.9], [0.4]]), tensor([1, 1]))).toEqual({ hits: 1, cases: 2 });
  });

  test('callbacks run in order with batch logs (loss, metrics, grad norm, lr)', async () => {
    const events: string[] = [];
    const batches: BatchLogs[] = [];
    const r = await fit(healthyMlp(1), blobs(40, 3, 1), {
      epochs: 2,
      batchSize: 20,
      seed: 1,
      metrics: ['accuracy'],
      callbacks: [
        {
          onTrainBegin: () => void events.push('trainBegin'),
          onEpochBegin: (e) => void events.push(`epochBegin${e}`),
          onBatchEnd: (l) => {
            events.push(`batch${l.epoch}.${l.batch}`);
            batches.push(l);
          },
          onEpochEnd: (l) => void events.push(`epochEnd${l.epoch}`),
          onTrainEnd: (ctx) => void events.push(`trainEnd:${ctx.report.stopReason}`),
        },
      ],
    });
    expect(events).toEqual(['trainBegin', 'epochBegin0', 'batch0.0', 'batch0.1', 'epochEnd0', 'epochBegin1', 'batch1.0', 'batch1.1', 'epochEnd1', 'trainEnd:completed']);
    expect(batches.map((b) => b.step)).toEqual([1, 2, 3, 4]);
    for (const b of batches) {
      expect(b.loss).toBeGreaterThan(0);
      expect(b.gradNorm).toBeGreaterThan(0);
      expect(b.lr).toBe(1e-3);
      expect(b.metrics.accuracy).toBeGreaterThanOrEqual(0);
    }
    expect(r.history.steps.map((s) => s.gradNorm)).toEqual(batches.map((b) => b.gradNorm));
  });

  test('a schedule is stepped once per epoch and the epoch logs the lr it trained with', async () => {
    const r = await fit(healthyMlp(1), blobs(40, 3, 1), { epochs: 3, batchSize: 20, seed: 1, optimizer: 'sgd', lr: 0.1, schedule: (o) => new optim.StepLR(o, 1, 0.5) });
    expect(r.history.epochs.map((e) => e.lr)).toEqual([0.1, 0.05, 0.025]);
  });

  test('clipGradNorm bounds the update; the logged gradNorm is the norm before clipping', async () => {
    manualSeed(2);
    const m = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const w0 = m.parameters().map((p) => p.data.slice());
    const r = await fit(m, blobs(20, 3, 1), { epochs: 1, batchSize: 20, seed: 1, optimizer: 'sgd', lr: 1, clipGradNorm: 1e-3, shuffle: false });
    let d = 0;
    m.parameters().forEach((p, i) => p.data.forEach((v, j) => (d += (v - w0[i][j]) ** 2)));
    expect(Math.sqrt(d)).toBeLessThanOrEqual(1e-3 * 1.0001);
    expect(r.history.steps[0].gradNorm!).toBeGreaterThan(1e-3);
  });

  test('yields macrotasks between batches so timers run during training', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksDuringTraining = 0;
    try {
      await fit(healthyMlp(1), blobs(400, 3, 1), {
        epochs: 1,
        batchSize: 8,
        seed: 1,
        yieldEvery: 1,
        monitor: false,
        callbacks: [{ onBatchEnd: (l) => void (l.batch === 40 && (ticksDuringTraining = ticks)) }],
      });
    } finally {
      clearInterval(timer);
    }
    expect(ticksDuringTraining).toBeGreaterThan(0);
  });

  test('an AbortSignal cancels after the current batch', async () => {
    const ac = new AbortController();
    let seen = 0;
    const r = await fit(healthyMlp(1), blobs(200, 3, 1), {
      epochs: 5,
      batchSize: 10,
      seed: 1,
      signal: ac.signal,
      callbacks: [{ onBatchEnd: (l) => void (++seen === 7 && ac.abort()) }],
    });
    expect(r.stopReason).toBe('cancelled');
    expect(r.history.steps).toHaveLength(7);
    expect(r.history.epochs).toHaveLength(0);
  });

  test('validationSplit holds out a seeded share of the examples', async () => {
    const r = await fit(healthyMlp(1), blobs(100, 3, 1), { epochs: 1, batchSize: 10, seed: 1, validationSplit: 0.2 });
    expect(r.config.trainExamples).toBe(80);
    expect(r.config.validationExamples).toBe(20);
    expect(r.history.steps).toHaveLength(8);
    expect(r.history.epochs[0].valLoss).toBeTypeOf('number');
  });

  test('bad options are rejected with a message naming the option', async () => {
    const d = blobs(10, 3, 1);
    const m = healthyMlp(1);
    await expect(fit(m, d, { epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(fit(m, d, { batchSize: 1.5 })).rejects.toThrow(/batchSize/);
    await expect(fit(m, d, { validationSplit: 1 })).rejects.toThrow(/validationSplit/);
    await expect(fit(m, d, { metrics: ['precision' as never] })).rejects.toThrow(/precision/);
    await expect(fit(m, { x: d.x, y: new Tensor(new Float32Array(3), [3]) })).rejects.toThrow(/examples/);
    await expect(fit(m, d, { monitor: { every: 0 } })).rejects.toThrow(/monitor.every/);
    const epoch = { epoch: 0, loss: 1, metrics: {}, lr: 0.1, durationMs: 0 };
    await expect(fit(m, d, { epochs: 3, initialEpoch: 1, initialHistory: { epochs: [epoch, { ...epoch, epoch: 1 }] } })).rejects.toThrow(/initialHistory has 2 epochs, more than initialEpoch 1/);
    await expect(fit(m, d, { epochs: 3, initialEpoch: 1, initialHistory: { epochs: [epoch], findings: 'none' as never } })).rejects.toThrow(/initialHistory must be/);
  });

  test('a misspelt option is refused by name with the closest one, not ignored for the default', async () => {
    const d = blobs(10, 3, 1);
    const m = healthyMlp(1);
    await expect(fit(m, d, { epoch: 1 } as never)).rejects.toThrow(/^fit: unknown option 'epoch' \(did you mean 'epochs'\?\); the options are epochs, /);
    await expect(fit(m, d, { batch_size: 4 } as never)).rejects.toThrow(/unknown option 'batch_size' \(gradlab spells it batchSize\)/);
    await expect(fit(m, d, { verbose: 0 } as never)).rejects.toThrow(/^fit: unknown option 'verbose'; the options are [^(]*$/);
    await expect(fit(m, d, null as never)).rejects.toThrow(/fit: options must be an object/);
    await expect(evaluate(m, d, { batchsize: 4 } as never)).rejects.toThrow(/evaluate: unknown option 'batchsize' .*did you mean 'batchSize'/);
    await expect(predict(m, d.x, { metrics: [] } as never)).rejects.toThrow(/predict: unknown option 'metrics'/);
  });

  test('a model that is not a Module is named, not a TypeError', async () => {
    const d = blobs(10, 3, 1);
    await expect(fit(null as never, d)).rejects.toThrow(/^fit: model must be an nn\.Module .*got null$/);
    await expect(evaluate({} as never, d)).rejects.toThrow(/^evaluate: model must be an nn\.Module/);
    await expect(predict((() => 0) as never, d.x)).rejects.toThrow(/^predict: model must be an nn\.Module .*got function$/);
  });

  test('targets are checked once over the whole set against the model, naming the example (not a shuffled batch row)', async () => {
    const m = healthyMlp(1); // 3 outputs
    const d = blobs(40, 3, 1);
    d.y.data[17] = 3;
    await expect(fit(m, d, { epochs: 1 })).rejects.toThrow('fit: data.y (class indices for a model of 3 outputs): label 3 of example 17 is not a class index in 0..2');
    const v = blobs(20, 3, 2);
    v.y.data[4] = -1;
    await expect(fit(m, blobs(40, 3, 1), { epochs: 1, validationData: v })).rejects.toThrow(/validationData\.y .*label -1 of example 4/);
    // Fractional targets [N] for a model of several outputs: neither class indices nor one regression target.
    const f = blobs(40, 3, 1);
    f.y.data[5] = 0.5;
    await expect(evaluate(m, d)).rejects.toThrow('evaluate: data.y (class indices for a model of 3 outputs): label 3 of example 17 is not a class index in 0..2');
    await expect(fit(m, f, { epochs: 1 })).rejects.toThrow('fit: data.y has shape [40] (one target per example) but the model has 3 outputs: for classification y must hold class indices 0..2 (data.y[5] = 0.5 is not one); for regression give the model 1 output, or y of shape [40, 3]');
    // Labels as a column [N, 1] (a CSV column, numpy's y[:, None]): not mse against every output.
    const col = blobs(40, 3, 1);
    await expect(fit(m, { x: col.x, y: col.y.reshape(40, 1) }, { epochs: 1 })).rejects.toThrow("fit: data.y has shape [40, 1] but the model has 3 outputs: class indices go as shape [40] (data.y.reshape(-1), PyTorch's y.squeeze(1))");
  });

  test('validation data of another width is refused before any training (it failed at the first evaluation, after an epoch of steps)', async () => {
    const m = healthyMlp(1);
    const before = m.stateDict()['0.weight'].data.slice();
    const d = blobs(40, 3, 1);
    let steps = 0;
    const v = { x: tensor(new Array(30).fill(0), [10, 3]), y: tensor(new Array(10).fill(0), [10]) };
    await expect(fit(m, d, { epochs: 1, validationData: v, callbacks: [{ onBatchEnd: () => void steps++ }] })).rejects.toThrow(
      "fit: validationData.x has shape [10, 3] but data.x has [40, 2]: each example must have the training examples' shape [2], got [3]",
    );
    expect(steps).toBe(0);
    expect(m.stateDict()['0.weight'].data).toEqual(before);
    // Targets of another width too: one-hot rows against class indices.
    const oneHot = { x: tensor(new Array(20).fill(0), [10, 2]), y: tensor(new Array(30).fill(0), [10, 3]) };
    await expect(fit(m, d, { epochs: 1, validationData: oneHot })).rejects.toThrow('fit: validationData.y has shape [10, 3] but data.y has [40]');
  });

  test('bceWithLogits targets outside [0, 1] are refused naming the value (labels 0, 1, 2 made the loss fall without bound)', async () => {
    const model = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 1));
    const x = tensor(Array.from({ length: 20 }, (_, i) => i / 20), [10, 2]);
    const y = tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [10, 1]);
    await expect(fit(model, { x, y }, { loss: 'bceWithLogits', epochs: 1 })).rejects.toThrow(
      "fit: data.y holds 2 (element 2), but bceWithLogits needs targets in [0, 1]; class indices 0, 1, 2, … need loss 'crossEntropy' and a model of one output per class",
    );
    await expect(evaluate(model, { x, y: tensor(new Array(10).fill(-0.5), [10, 1]) }, { loss: 'bceWithLogits' })).rejects.toThrow('evaluate: data.y holds -0.5 (element 0), but bceWithLogits needs targets in [0, 1]');
    // Soft targets in [0, 1] are PyTorch's and stay accepted.
    const r = await fit(model, { x, y: tensor(new Array(10).fill(0.3), [10, 1]) }, { loss: 'bceWithLogits', epochs: 1 });
    expect(r.stopReason).toBe('completed');
  });

  test('with BatchNorm1d, a last batch of one example is dropped, as gradlab train does (it stopped fit at the end of epoch 1: "expected more than 1 value per channel")', async () => {
    const model = healthyMlp(3);
    // 65 examples in batches of 32: 32, 32 and 1.
    const r = await fit(model, blobs(65, 3, 3), { epochs: 2, batchSize: 32, seed: 3 });
    expect(r.stopReason).toBe('completed');
    expect(r.history.steps).toHaveLength(2 * 2);
    // Without BatchNorm the last example trains in a batch of its own, as in PyTorch.
    manualSeed(3);
    const plain = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3));
    expect((await fit(plain, blobs(65, 3, 3), { epochs: 1, batchSize: 32, seed: 3 })).history.steps).toHaveLength(3);
    // One example in all: BatchNorm's error, not a dropLast never asked for.
    await expect(fit(healthyMlp(3), blobs(1, 3, 3), { epochs: 1 })).rejects.toThrow('expected more than 1 value per channel when training');
  });

  test("crossEntropy on a model of 1 output is refused (its loss is 0 whatever the weights; with every label 0 PyTorch trains on silently)", async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 1), new nn.Sigmoid());
    const x = tensor(Array.from({ length: 20 }, (_, i) => i / 20), [10, 2]);
    for (const y of [tensor(new Array(10).fill(0)), tensor(Array.from({ length: 10 }, (_, i) => i % 2))]) {
      await expect(fit(model, { x, y }, { epochs: 1, loss: 'crossEntropy' })).rejects.toThrow(
        "fit: loss 'crossEntropy' on a model of 1 output is always 0 (the softmax of one logit is 1): it measures and trains nothing; for two classes give the model 2 outputs",
      );
    }
  });
});
