/**
 * CSV datasets (parsed with csv-parse; its self-contained browser build, so this module
 * runs in browsers too). The first row is the header; one column (by name, default the
 * last) is the label, every other column a numeric feature.
 *
 * Labels: with task 'classification' each distinct label becomes a class index, classes
 * ordered numerically when all labels are numbers and lexicographically otherwise (so the
 * mapping does not depend on row order); pass `classNames` (e.g. the training file's) to
 * map another file the same way. With 'regression' labels must be numbers and y is [N, 1].
 * Without `task`, labels that are all integers or not all numbers mean classification,
 * other numbers mean regression.
 *
 * Errors name the file, the data row (1-based, header excluded), the line in the file and
 * the column: `data.csv: row 17 (line 18), column "age": "abc" is not a number`.
 * Features are not scaled here: use scaler.ts, fitted on the training split only.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { Tensor } from '../tensor.js';
import type { Dataset } from './dataset.js';

export interface CsvOptions {
  /** File name used in error messages and as the dataset name. Default 'CSV'. */
  name?: string;
  /** Name of the label column. Default: the last column. */
  label?: string;
  task?: 'classification' | 'regression';
  /** Fixed class names in index order; a label not among them is an error. */
  classNames?: string[];
  /** Field delimiter. Default ','. */
  delimiter?: string;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Strict decimal number (no empty strings, hex, or Infinity, which Number() would accept). */
function toNumber(s: string): number | null {
  const t = s.trim();
  if (!NUMBER.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

interface Rec {
  record: string[];
  info: { lines: number };
}

/** Parse CSV text into a Dataset; see the module comment for the conventions. */
export function parseCsv(text: string, options: CsvOptions = {}): Dataset {
  const name = options.name ?? 'CSV';
  if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression') {
    throw new Error(`${name}: task must be 'classification' or 'regression', got ${String(options.task)}`);
  }
  let recs: Rec[];
  try {
    recs = parse(text, { info: true, skip_empty_lines: true, bom: true, delimiter: options.delimiter ?? ',' }) as unknown as Rec[];
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
  if (recs.length === 0) throw new Error(`${name}: empty file (expected a header row)`);
  const header = recs[0].record.map((h) => h.trim());
  if (header.length < 2) throw new Error(`${name}: the header has ${header.length} column; need at least one feature and a label`);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new Error(`${name}: column name "${h}" appears twice in the header`);
    seen.add(h);
  }
  const labelCol = options.label === undefined ? header.length - 1 : header.indexOf(options.label);
  if (labelCol < 0) throw new Error(`${name}: no label column "${options.label}" (columns: ${header.map((h) => `"${h}"`).join(', ')})`);
  const rows = recs.slice(1);
  if (rows.length === 0) throw new Error(`${name}: no data rows after the header`);
  const featureCols = header.map((_, j) => j).filter((j) => j !== labelCol);
  const f = featureCols.length;
  const where = (r: number, j: number): string => `${name}: row ${r + 1} (line ${rows[r].info.lines}), column "${header[j]}"`;

  const x = new Float32Array(rows.length * f);
  rows.forEach((rec, r) => {
    featureCols.forEach((j, k) => {
      const s = rec.record[j];
      const v = toNumber(s);
      if (v === null) throw new Error(`${where(r, j)}: ${s.trim() === '' ? 'empty value' : JSON.stringify(s)} is not a number`);
      x[r * f + k] = v;
    });
  });

  const raw = rows.map((rec) => rec.record[labelCol].trim());
  const nums = raw.map(toNumber);
  const allNumeric = nums.every((v) => v !== null);
  const task = options.task ?? (options.classNames || !allNumeric || nums.every((v) => Number.isInteger(v)) ? 'classification' : 'regression');
  const base = { featureNames: featureCols.map((j) => header[j]), name };

  if (task === 'regression') {
    const y = new Float32Array(rows.length);
    nums.forEach((v, r) => {
      if (v === null) throw new Error(`${where(r, labelCol)}: ${raw[r] === '' ? 'empty value' : JSON.stringify(raw[r])} is not a number (task is regression)`);
      y[r] = v;
    });
    return { ...base, x: new Tensor(x, [rows.length, f]), y: new Tensor(y, [rows.length, 1]) };
  }

  let classNames: string[];
  if (options.classNames) {
    classNames = options.classNames.slice();
  } else {
    const distinct = [...new Set(raw)];
    if (allNumeric) distinct.sort((a, b) => Number(a) - Number(b));
    else distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    classNames = distinct;
  }
  const index = new Map(classNames.map((c, i) => [c, i]));
  const y = new Float32Array(rows.length);
  raw.forEach((s, r) => {
    const c = index.get(s);
    if (c === undefined) {
      if (s === '') throw new Error(`${where(r, labelCol)}: empty label`);
      throw new Error(`${where(r, labelCol)}: label ${JSON.stringify(s)} is not one of the known classes (${classNames.map((c) => JSON.stringify(c)).join(', ')})`);
    }
    y[r] = c;
  });
  return { ...base, x: new Tensor(x, [rows.length, f]), y: new Tensor(y, [rows.length]), numClasses: classNames.length, classNames };
}
