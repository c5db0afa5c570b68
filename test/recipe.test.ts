/**
 * The run recipe (src/recipe.ts): one typed DataSpec and RunConfig, every default defined once.
 * The first six blocks are the six cases of issue 19, each written as a new user would hit it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGenerator, manualSeed, nn, optim } from '../src/index.js';
import { DataLoader } from '../src/data/dataloader.js';
import { fit } from '../src/train/index.js';
import { run } from '../src/cli/program.js';
import { runTrain, type TrainArgs } from '../src/cli/train.js';
import { runEvaluate } from '../src/cli/commands.js';
import { parseModel, serializeModel } from '../src/io/model.js';
import { buildModel, type ModelSpec } from '../src/models.js';
import { OPTIMIZERS } from '../src/optim/registry.js';
import { defaultLr, readDataSpec, readRunConfig, RUN_LIMITS, type RunConfig } from '../src/recipe.js';
import { blobs } from './train/helpers.js';
import { Capture } from './helpers/cli.js';

const sink = { write: () => true };
const io = { stdout: sink, stderr: sink };
const dir = mkdtempSync(join(tmpdir(), 'gradlab-recipe-'));

function mlp(seed: number): nn.Sequential {
  manualSeed(seed);
  return new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3));
}

const small: TrainArgs = {
  data: 'blobs',
  samples: 200,
  layers: [8],
  activation: 'relu',
  init: 'auto',
  batchnorm: false,
  dropout: 0,
  optimizer: 'adam',
  epochs: 1,
  batchSize: 16,
  schedule: 'none',
  seed: 2,
  quiet: true,
};

describe('issue 19, case 1: AdamW keeps its decoupled weight decay unless the user sets one', () => {
  it('fit records the decay it applies (1e-2), not null', async () => {
    const r = await fit(mlp(0), blobs(64, 3, 0), { optimizer: 'adamw', epochs: 1, seed: 0 });
    expect(r.config.weightDecay).toBe(1e-2);
    expect((r.config.optimizerOptions as { weightDecay: number }).weightDecay).toBe(1e-2);
  });

  it('gradlab train --optimizer adamw applies 1e-2 (not 0), and --weight-decay 0 turns it off', async () => {
    const r = await runTrain({ ...small, optimizer: 'adamw' }, io);
    expect(r.config.optimizerOptions.weightDecay).toBe(1e-2);
    expect((r.report.config.optimizerOptions as { weightDecay: number }).weightDecay).toBe(1e-2);
    const off = await runTrain({ ...small, optimizer: 'adamw', weightDecay: 0 }, io);
    expect(off.config.optimizerOptions.weightDecay).toBe(0);
  });

  it('the registry passes "not given" through to the class', () => {
    const p = [new nn.Linear(2, 2).weight];
    expect(OPTIMIZERS.adamw.create(p, {}).effectiveOptions().weightDecay).toBe(1e-2);
    expect(OPTIMIZERS.adamw.create(p, { weightDecay: 0 }).effectiveOptions().weightDecay).toBe(0);
    expect(OPTIMIZERS.adam.create(p, {}).effectiveOptions().weightDecay).toBe(0);
  });
});

describe('issue 19, case 2: each default learning rate is defined once', () => {
  it('the registry reads the classes\' static defaults; the CLI\'s deviation is one table entry', () => {
    expect(optim.Adam.defaults.lr).toBe(1e-3);
    expect(optim.AdamW.defaults.weightDecay).toBe(1e-2);
    expect(optim.RMSprop.defaults.lr).toBe(1e-2);
    expect(OPTIMIZERS.adam.defaultLr).toBe(optim.Adam.defaults.lr);
    expect(OPTIMIZERS.adamw.defaultLr).toBe(optim.AdamW.defaults.lr);
    expect(OPTIMIZERS.rmsprop.defaultLr).toBe(optim.RMSprop.defaults.lr);
    expect(defaultLr('adam')).toBe(1e-3);
    expect(defaultLr('adam', 'cli')).toBe(0.002);
    expect(defaultLr('sgd', 'cli')).toBe(OPTIMIZERS.sgd.defaultLr);
    expect(defaultLr('sgd', 'lab')).toBe(OPTIMIZERS.sgd.defaultLr);
  });

  it('an optimizer built with no options reports its class defaults as the options in effect', () => {
    const p = [new nn.Linear(2, 2).weight];
    // maximize (false by default) is the library's only: a recipe minimizes its loss and does not record it.
    const descent = <T extends { maximize?: boolean }>(d: T) => Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'maximize'));
    expect(new optim.Adam(p).effectiveOptions()).toEqual({ ...descent(optim.Adam.defaults), betas: [0.9, 0.999] });
    expect(new optim.RMSprop(p).effectiveOptions()).toEqual({ ...descent(optim.RMSprop.defaults) });
    expect(new optim.SGD(p, { lr: 0.3 }).effectiveOptions()).toEqual({ ...descent(optim.SGD.defaults), lr: 0.3 });
  });
});

describe('issue 19, case 3: the report records the batch size actually used', () => {
  it('a DataLoader with batch 16 is reported as 16', async () => {
    const d = blobs(64, 3, 0);
    const loader = new DataLoader(d, { batchSize: 16, shuffle: false });
    const r = await fit(mlp(0), loader, { epochs: 1 });
    expect(r.config.batchSize).toBe(16);
    expect(r.history.steps).toHaveLength(4);
  });

  it('a loader and a different batchSize option is refused', async () => {
    const loader = new DataLoader(blobs(64, 3, 0), { batchSize: 16 });
    await expect(fit(mlp(0), loader, { epochs: 1, batchSize: 32 })).rejects.toThrow(/batchSize 32.*DataLoader.*16/);
  });
});

describe('issue 19, case 4: evaluate replays the stored data recipe', () => {
  it('after train --data spiral --samples 3000 --noise 0.5, evaluate --data spiral scores the 600 held-out examples', async () => {
    const out = join(dir, 'spiral.safetensors');
    const t = await runTrain({ ...small, data: 'spiral', samples: 3000, noise: 0.5, layers: [8], epochs: 1, batchSize: 64, out }, io);
    expect(t.code).toBe(0);
    expect(t.summary.test.examples).toBe(600);
    const stdout = new Capture();
    const ev = await runEvaluate({ model: out, data: 'spiral' }, { stdout, stderr: sink });
    expect(ev.result.examples).toBe(600);
    expect(ev.result.loss).toBeCloseTo(t.summary.test.loss!, 5);
    expect(ev.result.overridden).toEqual([]);
    // --data may be left out: the recipe names it.
    const again = await runEvaluate({ model: out }, io);
    expect(again.result.examples).toBe(600);
    // A flag overrides only what it names, and the output says so.
    const o2 = new Capture();
    const other = await runEvaluate({ model: out, data: 'spiral', samples: 1000 }, { stdout: o2, stderr: sink });
    expect(other.result.examples).toBe(200);
    expect(other.result.overridden).toEqual(['samples']);
    expect(o2.text).toMatch(/overrid\w* .*samples 1000 \(trained with 3000\)/);
  });

  it('the CLI: gradlab evaluate with no --data replays, --noise overrides and says so', async () => {
    const out = join(dir, 'moons.safetensors');
    expect(await run(['train', '--data', 'moons', '--samples', '500', '--noise', '0.3', '--layers', '8', '--epochs', '1', '--quiet', '--out', out], io)).toBe(0);
    const a = new Capture();
    expect(await run(['evaluate', out, '--json'], { stdout: a, stderr: sink })).toBe(0);
    expect(JSON.parse(a.text).examples).toBe(100);
    const b = new Capture();
    expect(await run(['evaluate', out, '--noise', '0.1'], { stdout: b, stderr: sink })).toBe(0);
    expect(b.text).toMatch(/noise 0\.1 \(trained with 0\.3\)/);
  });
});

describe('issue 19, case 5: fit takes initialEpoch/initialStep and leaves the generator to the caller\'s loader', () => {
  it('a given DataLoader: fit draws nothing from the global generator', async () => {
    const loader = new DataLoader(blobs(64, 3, 0), { batchSize: 16, shuffle: false });
    const model = mlp(0);
    manualSeed(9);
    const before = defaultGenerator.getState();
    await fit(model, loader, { epochs: 1, monitor: false });
    expect(defaultGenerator.getState()).toEqual(before);
  });

  it('initialEpoch/initialStep number the epochs and steps as the uninterrupted run (epochs is the total, as Keras)', async () => {
    const loader = new DataLoader(blobs(64, 3, 0), { batchSize: 16 });
    const seen: number[] = [];
    const r = await fit(mlp(0), loader, { epochs: 3, initialEpoch: 1, initialStep: 4, callbacks: [{ onEpochBegin: (e) => void seen.push(e) }] });
    expect(seen).toEqual([1, 2]);
    expect(r.history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(r.history.steps.map((s) => s.step)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.config.initialEpoch).toBe(1);
    await expect(fit(mlp(0), loader, { epochs: 2, initialEpoch: 2 })).rejects.toThrow(/initialEpoch 2.*epochs 2/);
  });

  it('--resume refuses flags the checkpoint decides (--layers, --activation), naming them', async () => {
    const ck = join(dir, 'ck.safetensors');
    const stop = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
    await runTrain({ ...small, epochs: 2, checkpoint: ck, callbacks: [stop] }, io);
    const err = new Capture();
    const code = await run(['train', '--resume', ck, '--epochs', '2', '--layers', '3', '--activation', 'tanh', '--quiet'], { stdout: sink, stderr: err });
    expect(code).toBe(2);
    expect(err.text).toMatch(/--layers.*--activation|--activation.*--layers/);
    expect(err.text).toMatch(/checkpoint/);
    // The same flags with no other value than the checkpoint's are accepted.
    expect(await run(['train', '--resume', ck, '--epochs', '2', '--layers', '8', '--quiet'], io)).toBe(0);
  });
});

describe('issue 19, case 6: loading a model leaves the random stream untouched', () => {
  it('parseModel draws nothing from the global generator', () => {
    const spec: ModelSpec = { inputs: 4, layers: [16, 16], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0.1, outputs: 3, output: 'softmax' };
    manualSeed(1);
    const bytes = serializeModel(buildModel(spec), { spec });
    manualSeed(7);
    const expected = [defaultGenerator.nextU32(), defaultGenerator.nextU32()];
    manualSeed(7);
    const m = parseModel(bytes, 'm.safetensors');
    expect([defaultGenerator.nextU32(), defaultGenerator.nextU32()]).toEqual(expected);
    // And the weights are the file's.
    manualSeed(1);
    const ref = buildModel(spec).stateDict();
    for (const [k, t] of Object.entries(m.model.stateDict())) expect(Array.from(t.data), k).toEqual(Array.from(ref[k].data));
  });
});

describe('the schema readers', () => {
  const good = (): Record<string, unknown> => ({
    data: { source: 'spiral', seed: 0, samples: 500, noise: 0.2, scaler: 'none', testFraction: 0.2 },
    model: { inputs: 2, layers: [8], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 3, output: 'softmax' },
    optimizer: 'adam',
    optimizerOptions: { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false },
    schedule: 'cosine',
    epochs: 3,
    batchSize: 32,
    clip: null,
    seed: 0,
  });

  it('reads a valid RunConfig and fills the optimizer defaults a file left out', () => {
    const c: RunConfig = readRunConfig(good(), 'f');
    expect(c.data.samples).toBe(500);
    const partial = { ...good(), optimizerOptions: { lr: 0.01 } };
    expect(readRunConfig(partial, 'f').optimizerOptions).toEqual({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  });

  it.each([
    ['batchSize', 0],
    ['batchSize', -3],
    ['batchSize', 2.5],
    ['batchSize', '64'],
    ['epochs', 0],
    ['optimizer', 'lbfgs'],
    ['schedule', 'warp'],
    ['clip', -1],
    ['seed', -1],
  ])('rejects %s = %j, naming the field and the allowed range', (field, value) => {
    expect(() => readRunConfig({ ...good(), [field]: value }, 'ck.safetensors: metadata "config"')).toThrow(new RegExp(`ck\\.safetensors.*${field}.*(must|one of)`));
  });

  it.each([
    ['lr', -1],
    ['lr', 'fast'],
    ['weightDecay', -5],
    ['eps', -1],
    ['betas', [0.9, 1.5]],
  ])('rejects optimizerOptions.%s = %j', (field, value) => {
    const c = good();
    (c.optimizerOptions as Record<string, unknown>)[field] = value;
    expect(() => readRunConfig(c, 'f')).toThrow(new RegExp(`optimizerOptions\\.${field}.*must`));
  });

  it.each([
    ['limit', 0],
    ['samples', 1e12],
    ['samples', 5],
    ['noise', -1],
    ['testFraction', 1],
    ['seed', 2.5],
    ['source', ''],
  ])('rejects data.%s = %j', (field, value) => {
    expect(() => readDataSpec({ ...(good().data as object), [field]: value }, 'f')).toThrow(new RegExp(`data\\.${field}.*must`));
  });

  it('the limits are the CLI flags\' limits', () => {
    expect(RUN_LIMITS.samples).toEqual([10, 1e7]);
    expect(RUN_LIMITS.batchSize).toEqual([1, 1 << 20]);
  });

  it('reads the older flat configuration of model files written before the recipe', () => {
    const old = { data: 'moons', spec: good().model, optimizer: 'adamw', lr: 0.002, weightDecay: 0, epochs: 2, batchSize: 16, clip: null, schedule: 'none', seed: 4, dropout: 0, samples: 300, csvLabel: 'y' };
    const c = readRunConfig(old, 'old');
    expect(c.data).toEqual({ source: 'moons', seed: 4, samples: 300, label: 'y', scaler: 'none', testFraction: 0.2 });
    expect(c.optimizerOptions.lr).toBe(0.002);
    expect(c.optimizerOptions.weightDecay).toBe(0);
  });
});

describe('the CLI, the library and the lab report the same effective options for the same run', () => {
  it('AdamW at lr 0.01, batch 16', async () => {
    const cli = await runTrain({ ...small, optimizer: 'adamw', lr: 0.01 }, io);
    const lib = await fit(mlp(0), blobs(64, 3, 0), { optimizer: 'adamw', lr: 0.01, batchSize: 16, epochs: 1 });
    const { labOptimizer } = await import('../lab/src/model.js');
    const { DEFAULT_STATE } = await import('../lab/src/state.js');
    const lab = labOptimizer({ ...DEFAULT_STATE, optimizer: 'adamw', lr: 0.01, batchSize: 16 }, mlp(0).parameters());
    expect(cli.report.config.optimizerOptions).toEqual(lib.config.optimizerOptions);
    expect(lab.effectiveOptions()).toEqual(lib.config.optimizerOptions);
    expect(cli.report.config.batchSize).toBe(16);
    expect(lib.config.batchSize).toBe(16);
  });
});
