/**
 * `gradlab train` twice with the same flags writes the same model file, byte for byte, and prints
 * the same summary (but for the timings), on the wasm kernels the CLI runs on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../src/kernels/auto.js';
import { cli } from '../helpers/cli.js';

describe('gradlab train is deterministic', () => {
  it('the same flags twice: byte-identical model files and the same --json summary (Dropout, BatchNorm, shuffling, cosine)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-det-'));
    const train = async (name: string) => {
      const out = join(dir, `${name}.safetensors`);
      const r = await cli('train', '--data', 'moons', '--samples', '400', '--noise', '0.2', '--layers', '16,16', '--dropout', '0.2', '--epochs', '6', '--batch-size', '16', '--seed', '3', '--out', out, '--json', '-q');
      expect(r.code, r.err).toBe(0);
      // Timings and the output path are the only fields allowed to differ.
      const summary = JSON.parse(r.out, (k, v) => (k === 'durationMs' || k === 'out' ? undefined : v));
      return { bytes: readFileSync(out), summary };
    };
    const a = await train('a');
    const b = await train('b');
    expect(b.bytes.equals(a.bytes)).toBe(true);
    expect(b.summary).toEqual(a.summary);
    expect(a.summary.train.accuracy).toBeGreaterThan(0.7);
  });

  it('compare twice, a diverging configuration in the grid: the same --json and HTML report but for the timings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-det-'));
    const compare = async (name: string) => {
      const report = join(dir, `${name}.html`);
      const r = await cli('compare', '--data', 'spiral', '--samples', '300', '--layers', '16', '--activation', 'relu,linear', '--batchnorm', 'false', '--optimizer', 'momentum', '--lr', '0.05,100', '--schedule', 'none', '--dropout', '0.1', '--epochs', '15', '--seed', '5', '--report', report, '--json', '-q');
      expect(r.code, r.err).toBe(0);
      const summary = JSON.parse(r.out, (k, v) => (k === 'durationMs' || k === 'report' ? undefined : v));
      // The report's "time" column is the one place it differs.
      return { summary, html: readFileSync(report, 'utf8').replace(/<td class="n">[0-9.]+ (ms|s|min)<\/td>/g, '<td class="n">T</td>') };
    };
    const a = await compare('a');
    const b = await compare('b');
    expect(b.summary).toEqual(a.summary);
    expect(b.html === a.html).toBe(true);
    expect(a.summary.runs.map((x: { summary: { status: string } }) => x.summary.status)).toContain('non-finite');
  });
});
