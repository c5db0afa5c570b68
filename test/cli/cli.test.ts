/**
 * The `gradlab` command, driven in-process through run(argv, io) (the binary is a thin
 * wrapper around it; one test spawns the built binary when dist/ exists).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES } from '../../src/activations.js';
import { INIT_NAMES } from '../../src/init.js';
import { OPTIMIZER_NAMES } from '../../src/optim/registry.js';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-cli-'));
const small = ['--data', 'moons', '--samples', '300', '--layers', '16,16', '--epochs', '3', '--batch-size', '16', '--lr', '0.01'];

describe('gradlab CLI', () => {
  it('--help lists the commands, examples and exit codes (exit 0)', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['train', 'evaluate', 'predict', 'inspect', 'export', 'compare', 'Exit codes', 'Examples']) expect(r.out).toContain(c);
    for (const c of ['train', 'evaluate', 'predict', 'inspect', 'export', 'compare']) {
      const h = await cli(c, '--help');
      expect(h.code, c).toBe(0);
      expect(h.out, c).toContain('Examples:');
      expect(h.out, c).toContain('Exit codes:');
    }
  });

  it('train --help offers exactly the registries\' names', async () => {
    const r = await cli('train', '--help');
    for (const a of ACTIVATION_NAMES.filter((n) => n !== 'softmax')) expect(r.out).toContain(a);
    for (const i of INIT_NAMES) expect(r.out).toContain(i);
    for (const o of OPTIMIZER_NAMES) expect(r.out).toContain(o);
  });

  it.each([
    ['--activation', 'swish', ACTIVATION_NAMES.filter((n) => n !== 'softmax').join(', ')],
    ['--init', 'he', INIT_NAMES.join(', ')],
    ['--optimizer', 'lbfgs', OPTIMIZER_NAMES.join(', ')],
  ])('an invalid %s value exits 2 and lists the valid ones', async (flag, value, valid) => {
    const r = await cli('train', flag, value);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid value '${value}' for ${flag}`);
    expect(r.err).toContain(valid);
  });

  it('suggests the right case for a near miss', async () => {
    const r = await cli('train', '--activation', 'LeakyRelu');
    expect(r.code).toBe(2);
    expect(r.err).toContain("did you mean 'leakyRelu'");
  });

  it.each([
    [['train', '--epochs', '0']],
    [['train', '--lr', 'fast']],
    [['train', '--dropout', '1']],
    [['train', '--layers', '10,x']],
    [['train', '--bogus']],
    [['frobnicate']],
    [['compare', '--activation', 'relu,nope']],
    [['train', '--data', 'no-such-set']],
    [['predict', 'm.safetensors']],
  ])('usage errors exit 2: %j', async (argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.length).toBeGreaterThan(0);
  });

  it('bad files exit 3 with the path in the message', async () => {
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a model at all');
    for (const argv of [['inspect', junk], ['inspect', join(dir, 'missing.safetensors')], ['evaluate', junk, '--data', 'moons'], ['export', junk, '--pytorch', join(dir, 'x.py')]]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(3);
      expect(r.err).toContain(argv[1]);
    }
    const badCsv = join(dir, 'bad.csv');
    writeFileSync(badCsv, 'a,b,label\n1,2,x\n3,oops,y\n');
    const r = await cli('train', '--data', badCsv, '--epochs', '1', '-q');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/bad\.csv.*oops/);
  });

  it('train → model file, report, JSON on stdout; evaluate, predict, inspect and export use the model', async () => {
    const model = join(dir, 'moons.safetensors');
    const report = join(dir, 'moons.html');
    const r = await cli('train', ...small, '--out', model, '--report', report, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.status).toBe('ok');
    expect(doc.epochs).toBe(3);
    expect(doc.test.accuracy).toBeGreaterThan(0.8);
    expect(doc.out).toBe(model);
    expect(Array.isArray(doc.findings)).toBe(true);
    expect(r.err).toContain('epoch 3/3');
    expect(readFileSync(report, 'utf8')).toMatch(/^<!doctype html>/);

    const ev = await cli('evaluate', model, '--data', 'moons', '--json');
    expect(ev.code).toBe(0);
    const evd = JSON.parse(ev.out);
    // Same seed → same held-out split → the training run's final test accuracy.
    expect(evd.accuracy).toBeCloseTo(doc.test.accuracy, 10);

    const pr = await cli('predict', model, '[[1.5, -0.3], [-1, 0.8]]', '--json');
    expect(pr.code).toBe(0);
    const preds = JSON.parse(pr.out).predictions;
    expect(preds).toHaveLength(2);
    for (const p of preds) expect(p.probability).toBeGreaterThanOrEqual(0.5);

    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'x1,x2\n1.5,-0.3\n-1,0.8\n');
    const pc = await cli('predict', model, csv);
    expect(pc.code).toBe(0);
    expect(pc.out.trim().split('\n')).toHaveLength(2);
    const wrong = await cli('predict', model, '[1, 2, 3]');
    expect(wrong.code).toBe(3);
    expect(wrong.err).toContain('expects 2');

    const ins = await cli('inspect', model);
    expect(ins.code).toBe(0);
    expect(ins.out).toContain('1.num_batches_tracked');
    expect(ins.out).toContain('Linear(16)');
    const insj = JSON.parse((await cli('inspect', model, '--json')).out);
    expect(insj.tensors.find((t: { name: string }) => t.name === '0.weight').shape).toEqual([16, 2]);

    const ex = await cli('export', model, '--pytorch', join(dir, 'moons_model.py'));
    expect(ex.code).toBe(0);
    expect(readFileSync(join(dir, 'moons_model.py'), 'utf8')).toContain('WEIGHTS = "moons.safetensors"');
  });

  it('a diverging run exits 1, reports the non-finite step and keeps the previous model file', async () => {
    const model = join(dir, 'keep.safetensors');
    expect((await cli('train', ...small, '--epochs', '1', '--out', model, '-q')).code).toBe(0);
    const before = readFileSync(model);
    const r = await cli('train', ...small, '--optimizer', 'sgd', '--lr', '1e30', '--init', 'normal', '--no-batchnorm', '--out', model, '--json', '-q');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.status).toBe('non-finite');
    expect(doc.findings.some((f: { rule: string }) => f.rule === 'non-finite')).toBe(true);
    // The steps applied: the one that went non-finite was rolled back (the lab's step counter says the same).
    expect(doc.nonFinite.step).toBeGreaterThanOrEqual(1);
    expect(doc.steps).toBe(doc.nonFinite.step - 1);
    expect(readFileSync(model).equals(before)).toBe(true);
  });

  it('compare runs the grid in turn and prints a table; --json gives every run', async () => {
    const report = join(dir, 'compare.html');
    const r = await cli('compare', ...small, '--epochs', '2', '--activation', 'relu,tanh', '--batchnorm', 'true,false', '--report', report, '--json', '-q');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.runs).toHaveLength(4);
    expect(doc.runs.map((x: { label: string }) => x.label).sort()).toEqual(['relu bn', 'relu no-bn', 'tanh bn', 'tanh no-bn']);
    expect(readFileSync(report, 'utf8')).toContain('gradlab comparison');
    const t = await cli('compare', ...small, '--epochs', '1', '--init', 'auto,zeros', '-q');
    expect(t.code).toBe(0);
    expect(t.out).toContain('test acc');
    expect(t.out).toContain('zeros');
  });

  it('compare --arch, repeated, compares architectures (conv with and without BatchNorm)', async () => {
    const plain = 'conv(4,3,padding=1),relu,maxpool(2),flatten';
    const bn = 'conv(4,3,padding=1),bn,relu,maxpool(2),flatten';
    const r = await cli('compare', '--limit', '300', '--epochs', '2', '--batch-size', '16', '--arch', plain, '--arch', bn, '--json', '-q');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.runs.map((x: { label: string; arch: string }) => [x.label, x.arch])).toEqual([['arch 1', plain], ['arch 2', bn]]);
    for (const run of doc.runs) expect(run.summary.test.accuracy).toBeGreaterThan(0.3);
    const t = await cli('compare', '--limit', '300', '--epochs', '1', '--arch', plain, '--optimizer', 'sgd,adam', '-q');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/run\s+arch\s+init\s+optimizer/);
    expect(t.out).toContain(plain.slice(0, 37)); // shortened past 40 characters
    const bad = await cli('compare', '--limit', '300', '--arch', plain, '--activation', 'relu,tanh', '-q');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('vary them inside the --arch lists');
    const flat = await cli('train', '--model', 'cnn-small', '--data', 'spiral', '-q');
    expect(flat.code).toBe(2);
    expect(flat.err).toContain('--model cnn-small starts with conv, which needs images, but spiral has 2 features');
  });

  it('the built binary runs (node dist/cli/main.js)', () => {
    expect(existsSync(join(process.cwd(), 'dist/cli/main.js')), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'train', '--activation', 'nope'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Valid values');
    const h = spawnSync(process.execPath, ['dist/cli/main.js', '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(h.status).toBe(0);
  });
});
