/**
 * The lab's own-data path without a browser: lab/src/localdata.ts reads a CSV on the page with
 * the library's reader (hostile files give the reader's row/line/column messages, plus the lab's
 * own limits), and lab/src/data.ts splits and standardises it in the worker the way
 * `gradlab train --data file.csv` does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_CSV_MAX_BYTES, LAB_CSV_MIN_ROWS, LAB_MAX_CLASSES, csvColumns, readLocalCsv, sizeProblem } from '../../lab/src/localdata.js';
import { NO_LOCAL_DATA, loadData } from '../../lab/src/data.js';
import { DEFAULT_STATE, parseState, serializeState, type LabState } from '../../lab/src/state.js';
import { loadData as cliLoadData } from '../../src/cli/data.js';
import { Generator } from '../../src/random.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-labcsv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two blobs with very different units per feature, the label in the middle column. */
function blobsCsv(n: number, seed = 3, names = ['a', 'b']): string {
  const g = new Generator(seed);
  const lines = ['height_cm,kind,weight_g'];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    lines.push(`${(150 + 20 * c + 5 * g.normal()).toFixed(3)},${names[c]},${(70000 + 9000 * c + 3000 * g.normal()).toFixed(1)}`);
  }
  return lines.join('\n') + '\n';
}

const local = (s: Partial<LabState> = {}): LabState => ({ ...DEFAULT_STATE, dataset: 'local', ...s });

describe('reading a CSV file in the lab', () => {
  it('takes a label column that is not the last, keeping the other columns in file order', () => {
    const text = 'x,label,y\n1.5,dog,2\n-3,cat,4.25\n' + Array.from({ length: 10 }, (_, i) => `${i},${i % 2 ? 'cat' : 'dog'},${-i}`).join('\n');
    expect(csvColumns(text, 't.csv')).toEqual(['x', 'label', 'y']);
    const d = readLocalCsv(text, { name: 't.csv', label: 'label' });
    expect(d.label).toBe('label');
    expect(d.featureNames).toEqual(['x', 'y']);
    expect(d.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(d.x.subarray(0, 4))).toEqual([1.5, 2, -3, 4.25]);
    expect(Array.from(d.y.subarray(0, 3))).toEqual([1, 0, 1]);
    expect(d.y.length).toBe(12);
  });

  it('defaults to the last column; a wrong guess points to the label menu', () => {
    // Numeric classes: the last column's 200 distinct weights would be 200 "classes".
    expect(() => readLocalCsv(blobsCsv(200, 3, ['0', '1']), { name: 'w.csv' })).toThrow(
      `w.csv: column "weight_g" has 200 distinct labels, more than the ${LAB_MAX_CLASSES} classes allowed (is it the label column? choose another in the "Label column" menu)`,
    );
    // Named classes in a middle column: a feature that is not a number may be the label.
    expect(() => readLocalCsv(blobsCsv(200), { name: 'w.csv' })).toThrow(
      'w.csv: row 1 (line 2), column "kind": "a" is not a number (if "kind" is the label column, choose it in the "Label column" menu)',
    );
  });

  it('names the row, line and column of a hostile cell', () => {
    const head = 'a,label,b\n' + '1,x,2\n2,y,3\n'.repeat(6);
    // Data rows 1–12 are fine; row 13 is line 14 of the file.
    expect(() => readLocalCsv(head + '1,,2\n', { name: 'h.csv', label: 'label' })).toThrow('h.csv: row 13 (line 14), column "label": empty label');
    expect(() => readLocalCsv(head + '1,x,abc\n', { name: 'h.csv', label: 'label' })).toThrow('h.csv: row 13 (line 14), column "b": "abc" is not a number (if "b" is the label column');
    expect(() => readLocalCsv(head + '1e39,x,2\n', { name: 'h.csv', label: 'label' })).toThrow('h.csv: row 13 (line 14), column "a": "1e39" is outside the float32 range');
    expect(() => readLocalCsv(head, { name: 'h.csv', label: 'nope' })).toThrow('h.csv: no label column "nope" (columns: "a", "label", "b")');
    expect(() => readLocalCsv('', { name: 'e.csv' })).toThrow('e.csv: empty file (expected a header row)');
    expect(() => readLocalCsv('a,"b\n1,2\n', { name: 'q.csv' })).toThrow(/^q\.csv: .*quote/i);
    // A PNG dropped by mistake.
    expect(() => readLocalCsv('\x89PNG\r\n\x1a\n\0\0\0\rIHDR', { name: 'cat.png' })).toThrow('cat.png: not a text file (it contains NUL bytes)');
  });

  it('needs two classes and enough rows for both parts of any training fraction', () => {
    expect(() => readLocalCsv('a,l\n' + '1,x\n'.repeat(20), { name: 'one.csv' })).toThrow('one.csv: column "l" has only one class ("x"); a classifier needs at least two');
    const few = 'a,l\n' + Array.from({ length: LAB_CSV_MIN_ROWS - 1 }, (_, i) => `${i},${i % 2}`).join('\n');
    expect(() => readLocalCsv(few, { name: 'few.csv' })).toThrow(`few.csv: ${LAB_CSV_MIN_ROWS - 1} data rows; the lab needs at least ${LAB_CSV_MIN_ROWS}`);
    // The smallest allowed file splits at both ends of the training-fraction range.
    const min = readLocalCsv(few + `\n9,1`, { name: 'min.csv' });
    return Promise.all(
      [0.1, 0.9].map(async (trainRatio) => {
        const d = await loadData(local({ trainRatio }), min);
        expect(d.train.x.shape[0]).toBeGreaterThanOrEqual(1);
        expect(d.test.x.shape[0]).toBeGreaterThanOrEqual(1);
        expect(d.train.x.shape[0] + d.test.x.shape[0]).toBe(LAB_CSV_MIN_ROWS);
      }),
    );
  });

  it('refuses a file larger than the page reads, naming its size', () => {
    expect(sizeProblem('big.csv', LAB_CSV_MAX_BYTES)).toBeNull();
    expect(sizeProblem('big.csv', 31.25 * 1024 * 1024)).toBe('big.csv: 31.3 MB, more than the 20.0 MB the lab reads (train on it with `gradlab train --data big.csv`)');
  });
});

describe('local data in the worker', () => {
  it('standardises on the training part only, and splits as `gradlab train --data file.csv` does', async () => {
    const text = blobsCsv(300);
    const d = readLocalCsv(text, { name: 'blobs.csv', label: 'kind' });
    const lab = await loadData(local({ trainRatio: 0.75, seed: 5 }), d);
    expect(lab.inputDim).toBe(2);
    expect(lab.numClasses).toBe(2);
    expect(lab.train.x.shape).toEqual([225, 2]);
    expect(lab.test.x.shape).toEqual([75, 2]);

    // Training part: mean 0 and population std 1 per feature (float64 sums over float32 values).
    for (let j = 0; j < 2; j++) {
      const col = Array.from({ length: 225 }, (_, i) => lab.train.x.data[i * 2 + j]);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(sd).toBeCloseTo(1, 5);
    }
    // shift/scale are the raw training part's statistics, not the whole file's.
    const rawTrain = lab.points!.x.slice(0, 225);
    const rawMean = rawTrain.reduce((a, b) => a + b, 0) / 225;
    expect(lab.shift[0]).toBeCloseTo(rawMean, 2);
    const allMean = lab.points!.x.reduce((a, b) => a + b, 0) / 300;
    expect(lab.shift[0]).not.toBe(allMean);

    // The CLI on the same file, seed and held-out share: the same examples, scaled the same.
    const path = join(dir, 'blobs.csv');
    writeFileSync(path, text);
    const cli = await cliLoadData(path, { label: 'kind', seed: 5, testFraction: 0.25 });
    expect(Array.from(lab.train.x.data)).toEqual(Array.from(cli.train.x.data));
    expect(Array.from(lab.test.x.data)).toEqual(Array.from(cli.test.x.data));
    expect(Array.from(lab.test.y.data)).toEqual(Array.from(cli.test.y.data));
    expect(cli.info.scaler).toMatchObject({ offset: lab.shift, scale: lab.scale });
  });

  it('draws 2-feature data in raw units, each axis its own range (the columns have different units)', async () => {
    const d = readLocalCsv(blobsCsv(100), { name: 'blobs.csv', label: 'kind' });
    const lab = await loadData(local(), d);
    expect(lab.is2d).toBe(true);
    const b = lab.bounds!;
    const [xs, ys] = [lab.points!.x, lab.points!.y];
    expect(Math.min(...xs)).toBeGreaterThan(b.x0);
    expect(Math.max(...xs)).toBeLessThan(b.x1);
    expect(Math.min(...ys)).toBeGreaterThan(b.y0);
    expect(Math.max(...ys)).toBeLessThan(b.y1);
    // Heights span tens of cm, weights tens of kg in grams: a square view would flatten the heights.
    expect((b.y1 - b.y0) / (b.x1 - b.x0)).toBeGreaterThan(100);
    expect(lab.points!.test.filter(Boolean).length).toBe(lab.test.x.shape[0]);
  });

  it('has no boundary view for other than 2 features', async () => {
    const text = 'a,b,c,l\n' + Array.from({ length: 30 }, (_, i) => `${i},${i * 2},${-i},${i % 3}`).join('\n');
    const lab = await loadData(local(), readLocalCsv(text, { name: 'three.csv' }));
    expect(lab.is2d).toBe(false);
    expect(lab.inputDim).toBe(3);
    expect(lab.numClasses).toBe(3);
    expect(lab.points).toBeUndefined();
  });

  it('a run of data=local without the file says so, and the URL keeps data=local', async () => {
    await expect(loadData(local())).rejects.toThrow(NO_LOCAL_DATA);
    const s = parseState('data=local&seed=4');
    expect(s.dataset).toBe('local');
    expect(serializeState(s)).toContain('data=local');
  });

  it('the synthetic sets are standardised as before (training statistics, population std)', async () => {
    const s = { ...DEFAULT_STATE, dataset: 'moons' as const, points: 200, trainRatio: 0.6 };
    const lab = await loadData(s);
    const raw = { x: lab.points!.x, y: lab.points!.y };
    for (const [k, col] of [raw.x, raw.y].entries()) {
      const tr = col.slice(0, 120);
      const m = tr.reduce((a, b) => a + b, 0) / 120;
      const sd = Math.sqrt(tr.reduce((a, b) => a + (b - m) ** 2, 0) / 120);
      // points are rounded to 4 decimals for drawing; shift/scale come from the full values.
      expect(lab.shift[k]).toBeCloseTo(m, 3);
      expect(lab.scale[k]).toBeCloseTo(sd, 3);
    }
    // Square view for the synthetic shapes.
    expect(lab.bounds!.x1 - lab.bounds!.x0).toBeCloseTo(lab.bounds!.y1 - lab.bounds!.y0, 10);
  });
});
