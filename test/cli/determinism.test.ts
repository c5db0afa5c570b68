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
});
