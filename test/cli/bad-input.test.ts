/**
 * Bad input through the whole command (issue 16): each case ends in a clean exit 2/3/4 whose
 * message names the file, row, column, field or flag — never exit 5 or a stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';

class Capture {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await run(argv, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

const dir = mkdtempSync(join(tmpdir(), 'gradlab-bad-'));
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** 60 rows, 2 features, classes 2, 9, 10. */
function csvText(edit?: (rows: string[][]) => void): string {
  const rows: string[][] = [];
  for (let i = 0; i < 60; i++) rows.push([String((i % 7) / 7), String((i % 5) / 5), ['2', '9', '10'][i % 3]]);
  edit?.(rows);
  return 'f1,f2,label\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
}
const quick = ['--layers', '4', '--epochs', '1', '--batch-size', '16', '-q'];

describe('CSV values', () => {
  let model = '';
  beforeAll(async () => {
    model = join(dir, 'csv.safetensors');
    const r = await cli('train', '--data', file('good.csv', csvText()), ...quick, '--out', model);
    expect(r.code, r.err).toBe(0);
  });

  it('train: an empty label is exit 3 naming the file, row and column (not a class "")', async () => {
    const p = file('empty-label.csv', csvText((rows) => (rows[4][2] = '')));
    const r = await cli('train', '--data', p, ...quick);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${p}: row 5 (line 6), column "label": empty label`);
  });

  it.each(['train', 'evaluate', 'predict'])('%s: 1e39 (Infinity in float32) is exit 3 naming the file, row and column', async (cmd) => {
    const p = file(`inf-${cmd}.csv`, csvText((rows) => (rows[6][1] = '1e39')));
    const r = cmd === 'train' ? await cli('train', '--data', p, ...quick) : cmd === 'evaluate' ? await cli('evaluate', model, '--data', p) : await cli('predict', model, p);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${p}: row 7 (line 8), column "f2": "1e39" is outside the float32 range`);
    expect(r.err).not.toContain('    at ');
  });

  it('predict reads CSV as train does: NaN, hex and huge cells are refused, the echo is short', async () => {
    for (const bad of ['NaN', '0x10', 'y'.repeat(1_000_000)]) {
      const p = file('bad-predict.csv', `f1,f2\n0.5,${bad}\n`);
      const r = await cli('predict', model, p);
      expect(r.code, r.err).toBe(3);
      expect(r.err).toContain(`${p}: row 1 (line 2), column "f2": `);
      expect(r.err.length).toBeLessThan(400);
    }
    const inline = await cli('predict', model, '[0.5, 1e39]');
    expect(inline.code).toBe(3);
    expect(inline.err).toContain('feature 2: 1e+39 is not a number in the float32 range');
  });
});
