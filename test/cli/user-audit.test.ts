/**
 * The CLI used as a user uses it (round 3 audit): each case is a problem found by running the
 * command, with the message or the numbers it must give now.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-audit-'));
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const quick = ['--layers', '4', '--epochs', '2', '--batch-size', '16', '-q'];

/** 60 rows of two features a, b (b decides the class) and a label column. */
function rows(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < 60; i++) out.push([((i * 7) % 13) / 13, i % 2 === 0 ? -1 - (i % 5) / 5 : 1 + (i % 3) / 3, i % 2]);
  return out;
}
const csv = (header: string, cols: (r: number[]) => number[]): string => header + '\n' + rows().map((r) => cols(r).join(',')).join('\n') + '\n';

describe('CSV columns are matched by name, in evaluate and predict', () => {
  let model = '';
  beforeAll(async () => {
    model = join(dir, 'ab.safetensors');
    const r = await cli('train', '--data', file('train.csv', csv('a,b,label', (r) => r)), ...quick, '--lr', '0.05', '--out', model);
    expect(r.code, r.err).toBe(0);
  });

  it('a file with the columns in another order gives the same loss and predictions as the training order (they were read by position)', async () => {
    const same = file('same.csv', csv('a,b,label', (r) => r));
    const swapped = file('swapped.csv', csv('b,label,a', (r) => [r[1], r[2], r[0]]));
    const e1 = JSON.parse((await cli('evaluate', model, '--data', same, '--json')).out);
    const e2 = await cli('evaluate', model, '--data', swapped, '--json');
    expect(e2.code, e2.err).toBe(0);
    expect(JSON.parse(e2.out).loss).toBe(e1.loss);
    const p1 = await cli('predict', model, same, '--json', '--top', '2');
    const p2 = await cli('predict', model, file('swapped-in.csv', csv('b,a', (r) => [r[1], r[0]])), '--json', '--top', '2');
    expect(p2.code, p2.err).toBe(0);
    expect(JSON.parse(p2.out).predictions).toEqual(JSON.parse(p1.out).predictions);
  });

  it('a header without a feature column is exit 3 naming the file and the column (predict used the label column as a feature; evaluate named an internal function)', async () => {
    const fewer = file('fewer.csv', csv('a,label', (r) => [r[0], r[2]]));
    for (const argv of [['evaluate', model, '--data', fewer], ['predict', model, fewer]]) {
      const r = await cli(...argv);
      expect(r.code, argv[0]).toBe(3);
      expect(r.err).toContain(`${fewer}: no column "b", which the model was trained on (its features: "a", "b"; this header: "a", "label")`);
      expect(r.err).not.toMatch(/applyScaler|    at /);
    }
  });

  it('evaluate on a file without the label column says the last column is read as the label, not that a number is an unknown class', async () => {
    const nolabel = file('nolabel.csv', csv('a,b', (r) => [r[0], r[1]]));
    const r = await cli('evaluate', model, '--data', nolabel);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${nolabel}: column "b" is the last column, read as the label, but the model takes it as a feature`);
  });
});
