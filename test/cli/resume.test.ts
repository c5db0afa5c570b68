import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrain, type TrainArgs } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/commands.js';
import { checkPredecessor, previousGeneratorState } from '../../src/cli/resume.js';
import { loadModel } from '../../src/io/model.node.js';
import { Generator } from '../../src/random.js';

const sink = { write: () => true };
const io = { stdout: sink, stderr: sink };

describe('resuming from a checkpoint', () => {
  it('inverts one step of the generator', () => {
    const g = new Generator(77);
    for (let i = 0; i < 50; i++) {
      g.nextU32();
      if (i % 3 === 0) g.normal();
      expect(checkPredecessor(g.getState())).toBe(true);
    }
    const s = { s: [1, 2, 3, 4] as [number, number, number, number], spare: 0.5 };
    expect(previousGeneratorState(s).spare).toBe(0.5);
  });

  for (const [name, extra] of [
    ['Adam + cosine schedule + dropout + BatchNorm', { optimizer: 'adam', schedule: 'cosine', dropout: 0.2, batchnorm: true }],
    ['SGD with Nesterov momentum, clipping, no schedule', { optimizer: 'nesterov', schedule: 'none', dropout: 0.1, batchnorm: false, clip: 0.5 }],
  ] as const) {
    it(`3 epochs = 1 epoch + resume 2, bit for bit (${name})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
      const base: TrainArgs = {
        data: 'moons',
        samples: 300,
        noise: 0.1,
        layers: [16, 8],
        activation: 'relu',
        init: 'auto',
        epochs: 3,
        batchSize: 16,
        seed: 11,
        quiet: true,
        ...extra,
      } as TrainArgs;
      const full = await runTrain({ ...base, out: join(dir, 'full.safetensors') }, io);
      expect(full.code).toBe(0);
      // Interrupt the same 3-epoch run after its first epoch (the checkpoint is written at each epoch end).
      const stopAfterFirst = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
      const first = await runTrain({ ...base, checkpoint: join(dir, 'ckpt.safetensors'), callbacks: [stopAfterFirst] }, io);
      expect(first.code).toBe(0);
      expect(first.report.history.epochs.length).toBe(1);
      const ck = await loadModel(join(dir, 'ckpt.safetensors'));
      expect(ck.training?.epoch).toBe(1);
      // Architecture and data flags are ignored on resume: they come from the checkpoint
      // (here the synthetic set's size and noise are not passed again).
      const { samples: _s, noise: _n, ...withoutData } = base;
      const rest = await runTrain({ ...withoutData, layers: [3], activation: 'tanh', resume: join(dir, 'ckpt.safetensors'), out: join(dir, 'resumed.safetensors') }, io);
      expect(rest.code).toBe(0);
      const a = (await loadModel(join(dir, 'full.safetensors'))).model.stateDict();
      const b = (await loadModel(join(dir, 'resumed.safetensors'))).model.stateDict();
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const k of Object.keys(a)) expect(Array.from(b[k].data), k).toEqual(Array.from(a[k].data));
      // The joined history matches the uninterrupted run's.
      const strip = (h: typeof full.report.history.epochs) => h.map(({ durationMs: _d, ...e }) => e);
      expect(strip(rest.report.history.epochs)).toEqual(strip(full.report.history.epochs));
    });
  }

  it("a CSV's label column comes from the checkpoint on resume, and is evaluate's default", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
    const csv = join(dir, 'rows.csv');
    // The label is the first column; by default the last one would be taken (a regression target).
    const rows = Array.from({ length: 120 }, (_, i) => {
      const a = Math.sin(i * 1.7), b = Math.cos(i * 0.9);
      return `${a + b > 0 ? 'up' : 'down'},${a.toFixed(4)},${b.toFixed(4)}`;
    });
    writeFileSync(csv, ['kind,a,b', ...rows].join('\n') + '\n');
    const base = { data: csv, csvLabel: 'kind', layers: [8], activation: 'relu', init: 'auto', optimizer: 'adam', schedule: 'none', dropout: 0, batchnorm: false, epochs: 2, batchSize: 16, seed: 3, quiet: true } as TrainArgs;
    const stopAfterFirst = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
    await runTrain({ ...base, checkpoint: join(dir, 'ckpt.safetensors'), callbacks: [stopAfterFirst] }, io);
    const { csvLabel: _l, ...withoutLabel } = base;
    const rest = await runTrain({ ...withoutLabel, resume: join(dir, 'ckpt.safetensors'), out: join(dir, 'm.safetensors') }, io);
    expect(rest.code).toBe(0);
    expect(rest.config.csvLabel).toBe('kind');
    expect(rest.summary.train.accuracy).toBeGreaterThan(0.5); // classification: the label column was kept
    const ev = await runEvaluate({ model: join(dir, 'm.safetensors'), data: csv }, io);
    expect(ev.result.accuracy).toBeGreaterThan(0.5);
  });

  it('refuses a plain model file and a finished checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
    const base = { data: 'xor', samples: 100, layers: [4], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 1, batchSize: 20, schedule: 'none', seed: 0, quiet: true } as TrainArgs;
    await runTrain({ ...base, out: join(dir, 'm.safetensors'), checkpoint: join(dir, 'c.safetensors') }, io);
    await expect(runTrain({ ...base, epochs: 2, resume: join(dir, 'm.safetensors') }, io)).rejects.toMatchObject({ code: 3, message: expect.stringMatching(/not a checkpoint/) });
    await expect(runTrain({ ...base, epochs: 1, resume: join(dir, 'c.safetensors') }, io)).rejects.toMatchObject({ code: 2, message: expect.stringMatching(/already trained 1 epochs/) });
  });
});
