import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, runTrain, type TrainArgs } from '../../src/cli/train.js';
import { runEvaluate } from '../../src/cli/commands.js';
import { run } from '../../src/cli/program.js';
import { loadModel } from '../../src/io/model.node.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { Capture } from '../helpers/cli.js';

const sink = { write: () => true };
const io = { stdout: sink, stderr: sink };

describe('resuming from a checkpoint', () => {
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
      // Architecture and data come from the checkpoint (here the synthetic set's size and
      // noise are not passed again); passing the checkpoint's own values is accepted.
      const { samples: _s, noise: _n, ...withoutData } = base;
      const rest = await runTrain({ ...withoutData, resume: join(dir, 'ckpt.safetensors'), out: join(dir, 'resumed.safetensors') }, io);
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

  it('a conv net (BatchNorm2d, a residual block with projection, dropout; Adam + cosine): 2 epochs = 1 epoch + resume 1, bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-conv-'));
    const base = {
      data: 'mnist', limit: 96, arch: 'conv(4,3,padding=1),bn,relu,maxpool(2),residual(6,stride=2),dropout(0.2),flatten,linear(16),bn,relu,dropout(0.3)',
      activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, layers: [], optimizer: 'adam', schedule: 'cosine', epochs: 2, batchSize: 32, seed: 5, quiet: true,
    } as TrainArgs;
    const full = await runTrain({ ...base, out: join(dir, 'full.safetensors') }, io);
    expect(full.code).toBe(0);
    const stopAfterFirst = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
    expect((await runTrain({ ...base, checkpoint: join(dir, 'ckpt.safetensors'), callbacks: [stopAfterFirst] }, io)).code).toBe(0);
    const rest = await runTrain({ epochs: 2, quiet: true, resume: join(dir, 'ckpt.safetensors'), out: join(dir, 'resumed.safetensors') } as TrainArgs, io);
    expect(rest.code).toBe(0);
    const a = (await loadModel(join(dir, 'full.safetensors'))).model.stateDict();
    const b = (await loadModel(join(dir, 'resumed.safetensors'))).model.stateDict();
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(Array.from(b[k].data), k).toEqual(Array.from(a[k].data));
  });

  // The health summary judged only the epochs after the checkpoint: a finding that held since
  // step 78 was reported "since step 208", its advice said "train longer than 18 epochs" in a
  // 30-epoch run, and the summary counted this part's steps only.
  // With a cosine schedule the resumed run's advice started from the decayed lr ("try a learning
  // rate above 0.001309") instead of the run's 0.002.
  it.each(['none', 'cosine'])('a resumed run ends with the summary of the uninterrupted run: findings with their first steps, advice, epochs and steps (schedule %s)', async (schedule) => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
    const base = { data: 'spiral', layers: [16, 16], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0.1, optimizer: 'adam', schedule, epochs: 30, batchSize: 64, seed: 0, quiet: true } as TrainArgs;
    const full = await runTrain(base, io);
    const stopAt12 = { onEpochEnd: (l: { epoch: number }, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = l.epoch === 11) };
    const first = await runTrain({ ...base, checkpoint: join(dir, 'ckpt.safetensors'), callbacks: [stopAt12] }, io);
    expect(first.report.history.epochs.length).toBe(12);
    const rest = await runTrain({ ...base, resume: join(dir, 'ckpt.safetensors') }, io);
    expect(rest.code).toBe(0);
    expect(full.summary.findings.warnings).toBeGreaterThan(0); // the spiral underfits with 16 units: there is something to compare
    expect(rest.report.findings).toEqual(full.report.findings);
    const { durationMs: _a, ...fullSummary } = full.summary;
    const { durationMs: _b, ...restSummary } = rest.summary;
    expect(restSummary).toEqual(fullSummary);
    expect(rest.summary.steps).toBe(full.report.history.steps.length);
    expect(rest.report.config.lr).toBe(full.report.config.lr);
  });

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
    expect(rest.config.data.label).toBe('kind');
    expect(rest.summary.train.accuracy).toBeGreaterThan(0.5); // classification: the label column was kept
    const ev = await runEvaluate({ model: join(dir, 'm.safetensors'), data: csv }, io);
    expect(ev.result.accuracy).toBeGreaterThan(0.5);
  });

  it('refuses a plain model file and a finished checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
    const base = { data: 'xor', samples: 100, layers: [4], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 1, batchSize: 20, schedule: 'none', seed: 0, quiet: true } as TrainArgs;
    await runTrain({ ...base, out: join(dir, 'm.safetensors'), checkpoint: join(dir, 'c.safetensors') }, io);
    await expect(runTrain({ ...base, epochs: 2, resume: join(dir, 'm.safetensors') }, io)).rejects.toMatchObject({ code: 3, message: expect.stringMatching(/not a checkpoint/) });
    await expect(runTrain({ ...base, epochs: 1, resume: join(dir, 'c.safetensors') }, io)).rejects.toMatchObject({ code: 2, message: expect.stringMatching(/already trained 1 epoch;/) });
  });

  it('refuses architecture arguments that differ from the checkpoint (programmatic use)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-'));
    const base = { data: 'xor', samples: 100, layers: [4], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 1, batchSize: 20, schedule: 'none', seed: 0, quiet: true } as TrainArgs;
    await runTrain({ ...base, checkpoint: join(dir, 'c.safetensors') }, io);
    await expect(runTrain({ ...base, epochs: 2, layers: [3], resume: join(dir, 'c.safetensors') }, io)).rejects.toMatchObject({ code: 2, message: expect.stringMatching(/--layers 3.*checkpoint.*4/) });
  });
});

/** Rewrite a checkpoint's metadata through `edit` (config and checkpoint as parsed JSON). */
function tamper(src: string, dst: string, edit: (md: { config: Record<string, any>; checkpoint: Record<string, any> }) => void): void {
  const file = parseSafetensors(new Uint8Array(readFileSync(src)));
  const md = { ...file.metadata! };
  const j = { config: JSON.parse(md.config), checkpoint: JSON.parse(md.checkpoint) };
  edit(j);
  md.config = JSON.stringify(j.config);
  md.checkpoint = JSON.stringify(j.checkpoint);
  const tensors = new Map<string, SafetensorsInput>();
  for (const [k, e] of file.tensors) tensors.set(k, { dtype: e.dtype, shape: e.shape, data: e.data } as SafetensorsInput);
  writeFileSync(dst, serializeSafetensors(tensors, md));
}

describe('--resume validates what it reads back (issue 16, item 4)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-bad-'));
  const ck = join(dir, 'ck.safetensors');
  const prepared = (async () => {
    const stop = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
    const base = { data: 'moons', samples: 200, layers: [8], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 3, batchSize: 16, schedule: 'cosine', seed: 1, quiet: true } as TrainArgs;
    await runTrain({ ...base, checkpoint: ck, callbacks: [stop] }, io);
  })();

  it.each([
    ['batchSize 0', (m: any) => (m.config.batchSize = 0), /batchSize must be an integer in \[1, 1048576\], got 0/],
    ['batchSize -3', (m: any) => (m.config.batchSize = -3), /batchSize must be an integer/],
    ['batchSize 2.5', (m: any) => (m.config.batchSize = 2.5), /batchSize must be an integer/],
    ['batchSize "64"', (m: any) => (m.config.batchSize = '64'), /batchSize must be an integer.*got "64"/],
    ['an unknown optimizer', (m: any) => (m.config.optimizer = 'lbfgs'), /optimizer must be one of sgd, .*got "lbfgs"/],
    ['lr -1', (m: any) => (m.config.optimizerOptions.lr = -1), /optimizerOptions\.lr must be/],
    ['lr "fast"', (m: any) => (m.config.optimizerOptions.lr = 'fast'), /optimizerOptions\.lr must be.*got "fast"/],
    ['clip -1', (m: any) => (m.config.clip = -1), /clip must be/],
    ['weightDecay -5', (m: any) => (m.config.optimizerOptions.weightDecay = -5), /optimizerOptions\.weightDecay must be/],
    ['limit 0', (m: any) => (m.config.data.limit = 0), /data\.limit must be an integer/],
    ['samples 1e12', (m: any) => (m.config.data.samples = 1e12), /data\.samples must be an integer in \[10, 10000000\]/],
    ['an unknown schedule', (m: any) => (m.config.schedule = 'warp'), /schedule must be one of cosine, none/],
    ['a negative lr in the training state', (m: any) => (m.checkpoint.optimizer.groups[0].lr = -0.5), /lr must be a finite number ≥ 0/],
    ['an optimizer state of another type', (m: any) => (m.checkpoint.optimizer.type = 'SGD'), /optimizer state is for SGD/],
    ['a scheduler state at another epoch', (m: any) => (m.checkpoint.scheduler.lastEpoch = 5), /cosine schedule.*scheduler is at epoch 5 instead of 1/],
    ['a missing scheduler state', (m: any) => (m.checkpoint.scheduler = null), /cosine schedule.*scheduler is at epoch null/],
    ['a config for another model than the spec', (m: any) => (m.config.model.layers = [9]), /describes another model/],
    ['findings that are not findings', (m: any) => (m.checkpoint.findings = [1, 2]), /findings\[0\] must be \{rule, severity/],
    ['a finding of an unknown severity', (m: any) => (m.checkpoint.findings = [{ rule: 'underfitting', severity: 'fatal', layers: [], step: 3, evidence: '', advice: '' }]), /findings\[0\] must be/],
    ['a history epoch out of order', (m: any) => (m.checkpoint.history.epochs[0].epoch = 'x'), /history\.epochs\[0\] must be \{epoch: 0/],
    ['more history than epochs completed', (m: any) => m.checkpoint.history.epochs.push(m.checkpoint.history.epochs[0]), /history has 2 epochs, more than the 1 completed/],
  ])('%s: exit 3 naming the file and the field', async (_name, edit, message) => {
    await prepared;
    const bad = join(dir, `bad-${Math.random().toString(36).slice(2)}.safetensors`);
    tamper(ck, bad, edit);
    const err = new Capture();
    const code = await run(['train', '--resume', bad, '--epochs', '3', '--quiet'], { stdout: sink, stderr: err });
    expect(err.text).not.toMatch(/internal error|\n\s+at /);
    expect(err.text).toContain(bad);
    expect(err.text).toMatch(message);
    expect(code).toBe(3);
  });

  it('a CSV that gained a column or a class since the checkpoint: exit 3 naming the file', async () => {
    const csv = join(dir, 'rows.csv');
    const rows = (extra: string, classes: number) =>
      Array.from({ length: 90 }, (_, i) => `${(Math.sin(i) * 2).toFixed(3)},${Math.cos(i * 1.3).toFixed(3)}${extra},c${i % classes}`);
    writeFileSync(csv, ['a,b,label', ...rows('', 2)].join('\n') + '\n');
    const ckCsv = join(dir, 'csv.safetensors');
    const stop = { onEpochEnd: (_l: unknown, ctx: { stopTraining: boolean }) => void (ctx.stopTraining = true) };
    await runTrain({ data: csv, layers: [4], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 2, batchSize: 16, schedule: 'none', seed: 0, quiet: true, checkpoint: ckCsv, callbacks: [stop] } as TrainArgs, io);
    writeFileSync(csv, ['a,b,c,label', ...rows(',1', 2)].join('\n') + '\n');
    const e1 = new Capture();
    expect(await run(['train', '--resume', ckCsv, '--epochs', '2', '--quiet'], { stdout: sink, stderr: e1 })).toBe(3);
    expect(e1.text).toMatch(/rows\.csv.*3 features.*checkpoint.*2/);
    writeFileSync(csv, ['a,b,label', ...rows('', 3)].join('\n') + '\n');
    const e2 = new Capture();
    expect(await run(['train', '--resume', ckCsv, '--epochs', '2', '--quiet'], { stdout: sink, stderr: e2 })).toBe(3);
    expect(e2.text).toMatch(/rows\.csv.*classes.*checkpoint/);
  });
});

describe('extending a cosine run on resume (issue 16, item 10)', () => {
  it('--resume --epochs 3 after a 1-epoch cosine run re-plans the schedule over 3 epochs instead of training at lr 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-resume-cos-'));
    const base = { data: 'moons', samples: 200, layers: [8], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', epochs: 1, batchSize: 16, schedule: 'cosine', seed: 1, quiet: true } as TrainArgs;
    await runTrain({ ...base, checkpoint: join(dir, 'c.safetensors') }, io);
    const err = new Capture();
    const r = await runTrain({ ...base, quiet: false, epochs: 3, resume: join(dir, 'c.safetensors') }, { stdout: sink, stderr: err });
    const lrs = r.report.history.epochs.map((e) => e.lr);
    const lr0 = 0.002;
    // The 3-epoch cosine: η_t = η₀(1 + cos(πt/3))/2.
    expect(lrs).toEqual([lr0, lr0 * 0.75, lr0 * 0.25].map((v, i) => expect.closeTo(v, 12 - i)));
    expect(lrs.every((v) => v > 0)).toBe(true);
    expect(err.text).toMatch(/cosine schedule re-planned over 3 epochs/);
    // And equals what an uninterrupted 3-epoch run uses from epoch 2 on.
    const full = await runTrain({ ...base, epochs: 3 }, io);
    expect(lrs.slice(1)).toEqual(full.report.history.epochs.slice(1).map((e) => e.lr));
  });
});

describe('Ctrl-C in the middle of an epoch (the signal gradlab aborts on SIGINT)', () => {
  it('exits 130 with the model written; the checkpoint keeps the last completed epoch, the summary says how to resume, and the resumed run equals an uninterrupted one bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-sigint-'));
    const base = { data: 'moons', samples: 300, noise: 0.1, layers: [16, 8], activation: 'relu', init: 'auto', dropout: 0.1, batchnorm: true, epochs: 4, batchSize: 16, seed: 5, optimizer: 'adam', schedule: 'cosine', quiet: true } as TrainArgs;
    const full = await runTrain({ ...base, out: join(dir, 'full.safetensors') }, io);
    expect(full.code).toBe(0);
    const perEpoch = full.summary.steps / 4;
    // Ctrl-C arrives during the 5th batch of epoch 3 (steps 2·perEpoch + 5).
    const controller = new AbortController();
    const ctrlC = { onBatchEnd: (l: { epoch: number; batch: number }) => void (l.epoch === 2 && l.batch === 4 && controller.abort()) };
    const ck = join(dir, 'ck.safetensors');
    const cut = await runTrain({ ...base, out: join(dir, 'cut.safetensors'), checkpoint: ck, callbacks: [ctrlC] }, { ...io, signal: controller.signal });
    expect(cut.code).toBe(130);
    expect(cut.summary.status).toBe('cancelled');
    expect(cut.summary.steps).toBe(2 * perEpoch + 5);
    expect(cut.summary.out).toBe(join(dir, 'cut.safetensors'));
    expect(cut.summary.checkpoint).toEqual({ path: ck, epoch: 2, step: 2 * perEpoch, plannedEpochs: 4 });
    expect((await loadModel(ck)).training?.epoch).toBe(2);
    const text = formatSummary(cut.summary, cut.report.findings);
    expect(text).toMatch(/^Interrupted /);
    expect(text).toContain(`checkpoint ${ck} (after epoch 2, step ${2 * perEpoch}; steps ${2 * perEpoch + 1}–${2 * perEpoch + 5} are not in it`);
    expect(text).toContain(`continue with: gradlab train --resume ${ck} --checkpoint ${ck} --epochs 4 --out ${join(dir, 'cut.safetensors')}`);
    // The printed command, run: the same weights as the uninterrupted run.
    const rest = await runTrain({ ...base, resume: ck, checkpoint: ck, out: join(dir, 'cut.safetensors') }, io);
    expect(rest.code).toBe(0);
    expect(rest.summary.steps).toBe(full.summary.steps);
    expect(readFileSync(join(dir, 'cut.safetensors'))).toEqual(readFileSync(join(dir, 'full.safetensors')));
    expect(formatSummary(rest.summary)).not.toContain('continue with');
  });
});
