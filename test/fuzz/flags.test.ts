/**
 * Fuzz: flag and argument values — every flag of train, compare, evaluate, predict, inspect,
 * export and lab given hostile values (wrong types, number-format edges, escapes, huge, empty),
 * one to three at a time. Every case must end in exit 0–4 with a message.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { budget, cases, cli, expectClean, fuzzDir, HOSTILE_STRINGS, pick, rng, Tally } from './fuzz.js';
import type { Generator } from '../../src/random.js';

const dir = fuzzDir();
const base = ['--data', 'moons', '--samples', '40', '--layers', '3', '--epochs', '1', '--batch-size', '8', '-q'];
const TRAIN_FLAGS = [
  '--data', '--layers', '--activation', '--init', '--optimizer', '--lr', '--dropout', '--weight-decay', '--epochs', '--batch-size', '--clip',
  '--schedule', '--seed', '--samples', '--noise', '--limit', '--monitor-every', '--label', '--checkpoint', '--resume', '--out', '--report', '--bogus',
];
const COMPARE_FLAGS = ['--activation', '--init', '--batchnorm', '--optimizer', '--lr', '--layers', '--seed', '--dropout'];

/** A hostile value, or a list of them for the flags taking lists. */
function value(g: Generator): string {
  const v = pick(g, [...HOSTILE_STRINGS, 'relu,tanh', 'adam,,sgd', '3,3', '65536', '1e3', 'spiral', 'mnist.csv', 'none']);
  return g.int(4) === 0 ? `${v},${pick(g, HOSTILE_STRINGS)}` : v;
}

/** Paths are kept inside the scratch directory, so no case writes elsewhere. */
const pathFlag = (f: string): boolean => ['--checkpoint', '--out', '--report', '--pytorch', '--resume'].includes(f);
const arg = (f: string, v: string): string => (pathFlag(f) ? join(dir, v.replace(/\//g, '_') || 'empty') : v);

describe('fuzz: flags', () => {
  let model = '';
  beforeAll(async () => {
    model = join(dir, 'model.safetensors');
    const r = await cli(['train', ...base, '--out', model]);
    expect(r.code, r.err).toBe(0);
  });

  const n = cases(30);
  it(`${n} hostile flag sets for train and compare end in exit 0–4 with a message`, { timeout: budget(n, 400) }, async () => {
    const g = rng(5);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const cmd = g.int(5) === 0 ? 'compare' : 'train';
      const flags = cmd === 'compare' ? COMPARE_FLAGS : TRAIN_FLAGS;
      const argv = [cmd, ...base];
      for (let k = 1 + g.int(3); k > 0; k--) {
        const f = pick(g, flags);
        argv.push(f, arg(f, value(g)));
      }
      expectClean(await cli(argv), `case ${i}: gradlab ${argv.map((a) => JSON.stringify(a.slice(0, 60))).join(' ')}`, tally);
    }
    console.log(`fuzz train/compare flags (${n} cases): ${tally}`);
  });

  it(`${n} hostile arguments for evaluate, predict, inspect, export and lab end in exit 0–4 with a message`, { timeout: budget(n, 200) }, async () => {
    const g = rng(6);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const v = value(g);
      const which = g.int(7);
      const argv =
        which === 0 ? ['evaluate', model, '--data', v] :
        which === 1 ? ['evaluate', model, '--data', 'moons', pick(g, ['--split', '--seed', '--label']), v] :
        which === 2 ? ['predict', model, v] :
        which === 3 ? ['predict', model, '[0.5, 0.5]', '--top', v] :
        which === 4 ? ['inspect', arg('--resume', v)] :
        which === 5 ? ['export', model, '--pytorch', arg('--pytorch', v)] :
        ['lab', pick(g, ['--port', '--host']), v, ...(g.int(2) ? ['--port', '0'] : [])];
      expectClean(await cli(argv, { interrupted: argv[0] === 'lab' }), `case ${i}: gradlab ${argv.map((a) => JSON.stringify(a.slice(0, 60))).join(' ')}`, tally);
    }
    console.log(`fuzz command arguments (${n} cases): ${tally}`);
  });
});
