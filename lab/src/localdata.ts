/**
 * The user's own CSV data, read on the page (no DOM here: lab/src/upload.ts is the UI). The
 * library's reader does the parsing (src/data/csv.ts parseCsv: strict decimal numbers within
 * float32's range, errors naming the file, row, line and column); this module adds only what
 * the lab needs on top: a classification task, a size the page can hold, at least two classes
 * and enough rows for both parts of the split. Everything is checked here, before a run is
 * reset, so a bad file leaves the current run as it was.
 */
import { csvHeader, parseCsv, showCell } from '../../src/data/csv.js';
import type { LocalData } from './protocol.js';
import { LIMITS } from './state.js';

/** Largest file the page reads (the whole text is parsed on the page, then copied to the worker). */
export const LAB_CSV_MAX_BYTES = 20 * 1024 * 1024;
/**
 * Fewest data rows: with the training fraction anywhere in LIMITS.trainRatio (0.1 … 0.9), both
 * the training and the test part keep at least one example.
 */
export const LAB_CSV_MIN_ROWS = Math.ceil(1 / Math.min(LIMITS.trainRatio[0], 1 - LIMITS.trainRatio[1]) - 1e-9);
/**
 * Most classes the lab accepts: more distinct labels than this almost always means a numeric
 * feature was taken for the label (every value its own class).
 */
export const LAB_MAX_CLASSES = 100;

/** A file of `bytes` bytes is too large for the page: the message to show, or null. */
export function sizeProblem(name: string, bytes: number): string | null {
  if (bytes <= LAB_CSV_MAX_BYTES) return null;
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  return `${name}: ${mb(bytes)}, more than the ${mb(LAB_CSV_MAX_BYTES)} the lab reads (train on it with \`gradlab train --data ${name}\`)`;
}

/** The columns of a CSV file (its header), for the label menu. */
export function csvColumns(text: string, name: string): string[] {
  return csvHeader(text, { name });
}

/**
 * Read CSV text as lab data: `label` names the label column (default: the last); every other
 * column is a numeric feature. Throws an Error whose message names the file and, for a bad
 * cell, its row, line and column.
 */
export function readLocalCsv(text: string, options: { name: string; label?: string }): LocalData {
  const { name } = options;
  const size = sizeProblem(name, text.length);
  if (size) throw new Error(size);
  // An image or a spreadsheet dropped by mistake: say so, rather than quote its bytes as cells.
  if (text.includes('\u0000')) throw new Error(`${name}: not a text file (it contains NUL bytes); expected CSV text with a header row`);
  const header = csvColumns(text, name);
  const label = options.label ?? header[header.length - 1];
  let ds;
  try {
    ds = parseCsv(text, { name, label, task: 'classification', maxClasses: LAB_MAX_CLASSES });
  } catch (e) {
    // The library's message speaks to the CLI ("choose one with --label"); here the choice is the
    // menu. Text in a feature column is most often the label column itself, not yet chosen.
    const message = (e as Error).message
      .replace('choose one with --label', 'choose another in the "Label column" menu')
      .replace(/(, column ("(?:[^"\\]|\\.)*"): .* is not a number)$/, (m, _all, col: string) => `${m} (if ${col} is the label column, choose it in the "Label column" menu)`);
    throw new Error(message, { cause: e });
  }
  const classNames = ds.classNames!;
  const rows = ds.x.shape[0];
  if (classNames.length < 2) {
    throw new Error(`${name}: column ${showCell(label)} has only one class (${showCell(classNames[0])}); a classifier needs at least two — is it the label column?`);
  }
  if (rows < LAB_CSV_MIN_ROWS) {
    throw new Error(`${name}: ${rows} data row${rows === 1 ? '' : 's'}; the lab needs at least ${LAB_CSV_MIN_ROWS} (to keep a training and a test part)`);
  }
  return {
    name,
    label,
    featureNames: ds.featureNames!,
    classNames,
    x: ds.x.data as Float32Array,
    y: ds.y.data as Float32Array,
  };
}
