import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { formatDuration, formatFinding, num, ProgressReporter, shellWord } from '../../src/cli/progress.js';
import { cli } from '../helpers/cli.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function stream(tty: boolean) {
  const out: string[] = [];
  return { out, s: { isTTY: tty, columns: 100, write: (x: string) => out.push(x) } };
}
const batch = (b: number) => ({ epoch: 0, batch: b, step: b + 1, loss: 0.5, metrics: { accuracy: 0.75 }, gradNorm: 1, lr: 0.01 });
const epochEnd = { epoch: 0, loss: 0.5, metrics: { accuracy: 0.75 }, valLoss: 0.6, valMetrics: { accuracy: 0.7 }, lr: 0.01, durationMs: 1500 };

describe('terminal progress', () => {
  it('draws a bar with ETA and running loss/accuracy on a TTY, then one line per epoch', () => {
    let t = 0;
    const { out, s } = stream(true);
    const p = new ProgressReporter(s, { epochs: 2, batches: 4, now: () => t, dumb: false });
    p.onTrainBegin();
    p.onEpochBegin(0);
    for (let b = 0; b < 4; b++) {
      t += 1000;
      p.onBatchEnd(batch(b));
    }
    p.onEpochEnd(epochEnd);
    const bars = out.filter((l) => l.startsWith('\r\x1b[K') && l.length > 4);
    expect(bars.length).toBe(4);
    expect(bars[1]).toMatch(/epoch 1\/2 .* 50% 2\/4 loss 0\.5000 acc 75\.0% ETA 6s/);
    const line = out[out.length - 1];
    expect(line).toBe('epoch 1/2  running avg loss 0.5000  acc 75.0%  test loss 0.6000  test acc 70.0%  2s  ETA 4s\n');
    for (const l of out) expect(l.replace('\r\x1b[K', '').length).toBeLessThan(100);
  });

  it('TERM=dumb: the bar is erased with spaces, never ESC [K (which a dumb terminal prints); a 2-column terminal gets 1 character', () => {
    let t = 0;
    const { out, s } = stream(true);
    s.columns = 2;
    const p = new ProgressReporter(s, { epochs: 1, batches: 3, now: () => t, dumb: true });
    p.onTrainBegin();
    p.onEpochBegin(0);
    for (let b = 0; b < 3; b++) {
      t += 1000;
      p.onBatchEnd(batch(b));
    }
    p.onEpochEnd(epochEnd);
    expect(out.join('')).not.toContain('\x1b');
    expect(out.slice(0, 3)).toEqual(['\re', '\r \re', '\r \re']);
    expect(out[3]).toBe('\r \r'); // the bar gone before the epoch's line
    expect(out[4]).toMatch(/^epoch 1\/1 /);
  });

  it('writes only epoch lines and findings when not a TTY', () => {
    const { out, s } = stream(false);
    const p = new ProgressReporter(s, { epochs: 1, batches: 2 });
    p.onTrainBegin();
    p.onEpochBegin(0);
    p.onBatchEnd(batch(0));
    p.onFinding({ rule: 'dead-units', severity: 'warning', layers: ['2'], step: 1, evidence: '60% of units dead', advice: 'use leakyRelu' });
    p.onBatchEnd(batch(1));
    p.onEpochEnd(epochEnd);
    expect(out.join('')).toBe('⚠ warning [dead-units] (layer 2) at step 1: 60% of units dead\n    → use leakyRelu\nepoch 1/1  running avg loss 0.5000  acc 75.0%  test loss 0.6000  test acc 70.0%  2s\n');
  });

  it('prints a huge loss in 4 significant digits, never 17 digits of a float', () => {
    // A diverging run (gradlab train --lr 1e6 --optimizer sgd) logged "running avg loss 8.958178193853545e+28".
    expect(num(8.958178193853545e28)).toBe('8.958e+28');
    expect(num(332055.27341)).toBe('332055.2734');
    expect(num(-2.5e7)).toBe('-2.500e+7');
    expect([num(NaN), num(Infinity), num(null)]).toEqual(['NaN', 'Infinity', '-']);
  });

  it('formats durations and findings', () => {
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(NaN)).toBe('--');
    expect(formatFinding({ rule: 'non-finite', severity: 'error', layers: [], step: 7, evidence: 'loss NaN', advice: 'lower lr' })).toBe('✖ error [non-finite] at step 7: loss NaN\n    → lower lr');
  });
});

describe('paths with control characters', () => {
  it('shellWord writes them $\'…\' with \\xNN escapes, which bash reads back as the same path', () => {
    for (const p of ['plain/model.safetensors', 'with space.safetensors', "it's.safetensors", 'two\nlines.safetensors', 'esc\x1b[31m red\\.safetensors', "q'\t\\"]) {
      const w = shellWord(p);
      expect(w).not.toMatch(/[\u0000-\u001f]/);
      expect(execFileSync('bash', ['-c', `printf %s ${w}`]).toString()).toBe(p);
    }
  });

  it('the summary shows an --out path with a newline or ESC escaped (it printed them raw)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gradlab-path-')), 'o\nut\x1b[31m.safetensors');
    const r = await cli('train', '--data', 'xor', '--samples', '40', '--layers', '4', '-e', '1', '-q', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('  model  ' + out.replace('\n', '\\x0a').replace('\x1b', '\\x1b'));
    expect(r.out).not.toContain('\x1b');
  });
});
