/**
 * CSV datasets (parsed with csv-parse; its self-contained browser build, so this module
 * runs in browsers too). The first row is the header; one column (by name, default the
 * last) is the label, every other column a numeric feature.
 *
 * Labels: with task 'classification' each distinct label becomes a class index, classes
 * ordered numerically when all labels are numbers and lexicographically otherwise (so the
 * mapping does not depend on row order); pass `classNames` (e.g. the training file's) to
 * map another file the same way. With 'regression' labels must be numbers and y is [N, 1].
 * Without `task`, labels that are not all numbers, or all integers of at most 20 distinct
 * values or at most one per two rows, mean classification; other numbers mean regression.
 *
 * Errors name the file, the data row (1-based, header excluded), the line in the file and
 * the column: `data.csv: row 17 (line 18), column "age": "abc" is not a number`.
 * Features are not scaled here: use scaler.ts, fitted on the training split only.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { Tensor, showValue } from '../tensor.js';
import { MAX_CLASSES, type Dataset } from './dataset.js';
import { checkOptions, closestName } from '../options.js';

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
  /** Most distinct classes accepted. Default MAX_CLASSES (2^20, the model spec's output limit). */
  maxClasses?: number;
  /**
   * The feature columns by name, in this order (a trained model's): each must be in the header
   * and none may be the label column; other columns are ignored. Default: every column but the label.
   */
  featureNames?: readonly string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The largest finite float32 (2¹²⁸ − 2¹⁰⁴); a larger value is stored as Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Most columns a CSV may have (a header row of 1e6 names is a mistake, not a data set). */
export const MAX_CSV_COLUMNS = 1 << 16;
/**
 * Most characters in one row (record), and in one piece of text given to csv-parse (pieceEnds):
 * a row of MAX_CSV_COLUMNS numbers is under 2 Mi characters.
 */
export const MAX_CSV_RECORD_CHARS = 2 ** 24;
/** Most distinct classes (dataset.ts, where classCounts checks it too). */
export { MAX_CLASSES };
/** Longest cell (or class name) echoed in a message. */
const SHOWN_CHARS = 40;

/**
 * A cell's text for a message: JSON-quoted (so control characters and terminal escapes are
 * shown as \u001b, not executed) and cut to 40 characters, giving the full length.
 */
export function showCell(s: string): string {
  if (s.length <= SHOWN_CHARS) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, SHOWN_CHARS))}… (${s.length} characters)`;
}

/** At most `max` names, shown as cells, then how many more. */
function showNames(names: readonly string[], max = 20): string {
  const shown = names.slice(0, max).map(showCell).join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}

/** Strict decimal number (no empty strings, hex, or Infinity, which Number() would accept). */
function toNumber(s: string): number | null {
  const t = s.trim();
  if (!NUMBER.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

/**
 * A feature (or regression target) cell as a float32 value, or why it is not one: empty,
 * not a decimal number, or outside float32's range (1e39 would be stored as Infinity).
 */
function cellValue(s: string): number | string {
  const t = s.trim();
  if (t === '') return 'empty value is not a number';
  if (!NUMBER.test(t)) return `${showCell(s)} is not a number${/^[+-]?\d*,\d+$/.test(t) ? ` (a decimal comma? gradlab reads a point as the decimal mark: ${t.replace(',', '.')})` : ''}`;
  const v = Number(t);
  if (!(Math.abs(v) <= FLOAT32_MAX)) return `${showCell(s)} is outside the float32 range (magnitude at most ${FLOAT32_MAX.toPrecision(8)})`;
  return v;
}

interface Records {
  /** The records, header included. */
  records: string[][];
  /** Line in the file where record i ends (1-based). */
  line(i: number): number;
}

/**
 * A csv-parse error in the words of the other CSV messages (file, line, what to do): a row
 * with another number of fields than the header (a trailing comma is one more, empty, field),
 * a quote left open or followed by text. Other errors keep csv-parse's message.
 */
function csvSyntaxError(e: unknown, name: string, text?: string, delimiter = ','): Error {
  const err = e as Error & { code?: string; lines?: number; record?: string[] };
  const m = /expect (\d+), got (\d+)/.exec(err.message);
  let msg: string;
  if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && m) {
    const trailing = Number(m[2]) === Number(m[1]) + 1 && err.record?.at(-1) === '';
    // A header of one column holding another delimiter: the file is separated by it (a ';' file whose decimal commas split a row).
    const other = m[1] === '1' && text !== undefined ? otherDelimiter(text.slice(0, text.search(/\r?\n|$/)), delimiter) : '';
    msg = other !== '' ? `the header has 1 column${other}` : `line ${err.lines}: ${m[2]} field${m[2] === '1' ? '' : 's'}, but the header has ${m[1]} column${m[1] === '1' ? '' : 's'}; every row needs one value per column${trailing ? ' (this row ends with a comma, which adds an empty field)' : m[2] === '1' ? otherDelimiter(err.record?.[0] ?? '', delimiter) : ''}`;
  } else if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    // csv-parse gives the line where the file ended; the quote's own line is the useful one.
    const opened = text === undefined ? null : openQuoteLine(text, delimiter);
    msg = `a quoted field opened ${opened !== null ? `on line ${opened}` : `by line ${err.lines}`} is never closed (a lone " starts a quoted field that runs to the next ")`;
  } else if (err.code === 'CSV_INVALID_CLOSING_QUOTE') {
    msg = `line ${err.lines}: text right after a closing quote (a field that starts with " must end with " followed by a comma or the end of the line; write a quote inside a quoted field as "")`;
  } else {
    msg = err.message.length > 300 ? err.message.slice(0, 300) + '…' : err.message;
  }
  return new Error(`${name}: ${msg}`, { cause: e });
}

/** A hint when a lone field holds another common delimiter (a semicolon- or tab-separated file). */
function otherDelimiter(field: string, delimiter: string): string {
  const other = [';', '\t', '|'].find((d) => d !== delimiter && field.includes(d));
  return other === undefined ? '' : ` (its values are separated by ${other === '\t' ? 'tabs' : `'${other}'`}; gradlab reads ${delimiter === ',' ? 'comma' : `'${delimiter}'`}-separated values)`;
}

/** The line (1-based) of the quote that opens a quoted field never closed, or null. */
function openQuoteLine(text: string, delimiter: string): number | null {
  let line = 1;
  let opened = 0;
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"' && fieldStart) {
      quoted = true;
      opened = line;
      fieldStart = false;
    } else fieldStart = c === '\n' || c === '\r' || text.startsWith(delimiter, i);
  }
  return quoted ? opened : null;
}

/**
 * Every line end made \n and lines of only spaces or tabs made empty, line numbers unchanged: a
 * Windows file with lines appended on Linux (\r\n, then \n) was read with \r\n as the record end,
 * its last lines run together ("7 fields, but the header has 3 columns"), and an editor's indented
 * last line was "1 field"; empty lines are skipped.
 */
function normalizeLines(text: string): string {
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  return /^[ \t]+$/m.test(text) ? text.replace(/^[ \t]+$/gm, '') : text;
}

/**
 * The text of a CSV file's bytes, for every reader of user files (loadCsv, predict's inputs,
 * the lab's upload): UTF-8, its BOM dropped, or UTF-16 when the file starts with UTF-16's BOM
 * (Excel's "Unicode text"). Bytes that are not UTF-8 (Latin-1's "café", byte 0xE9) are refused
 * naming the line and the byte: decoded leniently they became U+FFFD, and a label "caf�" a class
 * name saved with the model. A ZIP archive (an .xlsx workbook) or other binary file (NUL bytes)
 * is named for what it is rather than parsed.
 */
export function decodeCsvBytes(bytes: Uint8Array, name = 'CSV'): string {
  if (!(bytes instanceof Uint8Array)) throw new Error(`decodeCsvBytes: bytes must be a Uint8Array (a file's contents), got ${typeof bytes === 'string' ? 'a string (it is text already: pass it to parseCsv)' : showValue(bytes)}`);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new Error(`${name}: is a ZIP archive (an Excel .xlsx workbook?), not CSV text; save it as CSV (Excel: File › Save As › CSV UTF-8)`);
  }
  if (bytes.includes(0)) throw new Error(`${name}: not a text file (it contains NUL bytes); expected CSV text with a header row`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    // The first replacement character; the bytes before it are valid UTF-8, so re-encoding them gives its offset.
    const at = lenient.indexOf('\ufffd');
    const before = lenient.slice(0, at);
    const offset = new TextEncoder().encode(before).length;
    const line = before.split('\n').length;
    const lineText = before.slice(before.lastIndexOf('\n') + 1);
    throw new Error(
      `${name}: line ${line} is not UTF-8 text (byte 0x${bytes[offset].toString(16).padStart(2, '0')} after ${showCell(lineText.slice(-20))}, at byte ${offset}); ` +
        'gradlab reads CSV as UTF-8: save the file as UTF-8 (Excel: CSV UTF-8), or convert it, e.g. iconv -f windows-1252 -t utf-8',
    );
  }
}

/** csv-parse's options for every reader here: empty lines skipped, a BOM dropped. */
const parseOptions = (delimiter: string) => ({ skip_empty_lines: true, bom: true, delimiter });

/**
 * Where the pieces of (line-normalised) text end that csv-parse is given one at a time: its
 * browser build first turns its whole input into a JavaScript array of UTF-8 bytes, and past
 * V8's largest array (about 112 M elements: a 120 MB file) that was a fatal error, no message,
 * no exit code. A piece is at most MAX_CSV_RECORD_CHARS characters and ends after a line break
 * outside quotes (an even number of '"' before it: in CSV that csv-parse accepts, a quote only
 * opens or closes a field, "" counting twice). A piece with no such line break is a row longer
 * than the limit: the error names its line.
 */
function pieceEnds(text: string, name: string): number[] {
  const ends: number[] = [];
  let start = 0;
  let quoted = false;
  while (text.length - start > MAX_CSV_RECORD_CHARS) {
    const limit = start + MAX_CSV_RECORD_CHARS;
    let end = -1;
    let opened = -1;
    let q = text.indexOf('"', start);
    let n = text.indexOf('\n', start);
    while (true) {
      if (n >= 0 && n < limit && (q < 0 || n < q)) {
        if (!quoted) end = n + 1;
        n = text.indexOf('\n', n + 1);
      } else if (q >= 0 && q < limit) {
        quoted = !quoted;
        if (quoted) opened = q;
        q = text.indexOf('"', q + 1);
      } else break;
    }
    if (end < 0) {
      const mi = `${MAX_CSV_RECORD_CHARS / 2 ** 20} Mi characters`;
      throw new Error(quoted ? `${name}: a quoted field opened on line ${lineAt(text, opened)} is not closed within ${mi} (a lone " starts a quoted field that runs to the next ")` : `${name}: line ${lineAt(text, start)}: a row longer than ${mi} (a file without line breaks?); expected CSV text, one row per line`);
    }
    // Scanning on from `end` starts outside quotes again.
    quoted = false;
    ends.push(end);
    start = end;
  }
  ends.push(text.length);
  return ends;
}

/** The line (1-based) of the character at `offset`. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * csv-parse's records; errors name the file. Line numbers are only needed for a message, and
 * csv-parse's `info` makes parsing about 3× slower, so they come from a second parse with
 * `info` when asked for. Text longer than MAX_CSV_RECORD_CHARS is parsed in pieces (pieceEnds);
 * a piece's line numbers are offset by the lines before it, and its first row, which csv-parse
 * takes as that piece's width, is checked against the header here.
 */
function readRecords(text: string, name: string, delimiter: string): Records {
  if (typeof text !== 'string') throw new Error(`${name}: the CSV text must be a string, got ${text === null ? 'null' : typeof text}${(text as unknown) instanceof Uint8Array ? ' (decode bytes with decodeCsvBytes(bytes, name))' : ''}`);
  text = normalizeLines(text);
  const options = parseOptions(delimiter);
  const ends = pieceEnds(text, name);
  const starts = [0, ...ends.slice(0, -1)];
  // The lines before each piece, counted only for a message.
  const before = (k: number): number => (k === 0 ? 0 : lineAt(text, starts[k]) - 1);
  const records: string[][] = [];
  const firstRecord: number[] = [];
  for (let k = 0; k < ends.length; k++) {
    const piece = ends.length === 1 ? text : text.slice(starts[k], ends[k]);
    // csv-parse takes a piece's first row as the width of the rows after it: one of another width than the header's is the row to name.
    const widthError = (): Error | null => {
      const [first] = parse(piece, { ...options, info: true, to: 1 }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
      if (k === 0 || records.length === 0 || first === undefined || first.record.length === records[0].length) return null;
      return Object.assign(new Error(`expect ${records[0].length}, got ${first.record.length}`), { code: 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH', lines: first.info.lines, record: first.record });
    };
    let recs: string[][];
    try {
      try {
        recs = parse(piece, options) as string[][];
      } catch (e) {
        throw ((e as { code?: string }).code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && widthError()) || e;
      }
      const wrong = k > 0 && recs.length > 0 && records.length > 0 && recs[0].length !== records[0].length ? widthError() : null;
      if (wrong) throw wrong;
    } catch (e) {
      const err = e as { lines?: number };
      if (typeof err.lines === 'number') err.lines += before(k);
      throw csvSyntaxError(e, name, text, delimiter);
    }
    firstRecord.push(records.length);
    for (const r of recs) records.push(r);
  }
  if (records.length > 0 && records[0].length > MAX_CSV_COLUMNS) {
    throw new Error(`${name}: ${records[0].length} columns, more than the ${MAX_CSV_COLUMNS} allowed`);
  }
  const lines: Array<number[] | undefined> = [];
  const line = (i: number): number => {
    let k = firstRecord.length - 1;
    while (firstRecord[k] > i) k--;
    lines[k] ??= (parse(ends.length === 1 ? text : text.slice(starts[k], ends[k]), { ...options, info: true }) as unknown as Array<{ info: { lines: number } }>).map((r) => r.info.lines + before(k));
    return lines[k]![i - firstRecord[k]];
  };
  return { records, line };
}

/**
 * The column names of CSV text (its first record, trimmed), parsing nothing past it: what a
 * caller shows before choosing the label column. Errors name the file, as parseCsv's do.
 */
export function csvHeader(text: string, options: Pick<CsvOptions, 'name' | 'delimiter'> = {}): string[] {
  checkCsvOptions('csvHeader', options, ['name', 'delimiter']);
  const name = options.name ?? 'CSV';
  let recs: string[][];
  text = normalizeLines(text);
  try {
    recs = parse(text.slice(0, pieceEnds(text, name)[0]), { ...parseOptions(options.delimiter ?? ','), to: 1 }) as string[][];
  } catch (e) {
    throw csvSyntaxError(e, name, text, options.delimiter ?? ',');
  }
  if (recs.length === 0) throw new Error(`${name}: empty file (expected a header row)`);
  if (recs[0].length > MAX_CSV_COLUMNS) throw new Error(`${name}: ${recs[0].length} columns, more than the ${MAX_CSV_COLUMNS} allowed`);
  return recs[0].map((h) => h.trim());
}

/**
 * The header's indices of a model's feature columns, in the model's order. A file whose columns
 * stand in another order is read by name, never by position; a missing one, or one taken as
 * the label, is named.
 */
function namedColumns(header: readonly string[], names: readonly string[], file: string, labelCol: number, labelIs: string): number[] {
  if (labelCol >= 0 && names.includes(header[labelCol])) {
    throw new Error(`${file}: column ${showCell(header[labelCol])} is ${labelIs}, read as the label, but the model takes it as a feature (its features: ${showNames(names)}); name the label column with --label`);
  }
  const missing = names.filter((n) => !header.includes(n));
  if (missing.length > 0) {
    throw new Error(`${file}: no column ${showNames(missing)}, which the model was trained on (its features: ${showNames(names)}; this header: ${showNames(header)})`);
  }
  return names.map((n) => header.indexOf(n));
}

/**
 * The label column when none is named: the last, or, when the last is one of a model's
 * features, the one column that is not (a file whose columns stand in another order).
 */
function defaultLabelColumn(header: readonly string[], featureNames: readonly string[] | undefined): number {
  const last = header.length - 1;
  if (!featureNames?.includes(header[last])) return last;
  const others = header.map((_, j) => j).filter((j) => !featureNames.includes(header[j]));
  return others.length === 1 ? others[0] : last;
}

/** Every key of CsvOptions (the compiler keeps the list complete): another is a misspelling. */
export const CSV_OPTIONS = Object.keys({ name: 1, label: 1, task: 1, classNames: 1, delimiter: 1, maxClasses: 1, featureNames: 1 } satisfies Record<keyof CsvOptions, 1>);
const CSV_INPUT_OPTIONS = Object.keys({ name: 1, features: 1, featureNames: 1, label: 1, delimiter: 1 } satisfies Record<keyof CsvInputOptions, 1>);

/**
 * The options of the CSV readers, checked before any text is read: a misspelt or pandas-named
 * key (`sep`, `labels`) was ignored for the default; a label that is not a string, a list of
 * names with a repeat (two classes of one name: the first never given) or a delimiter the
 * format reserves (a quote, a line break) failed deep inside or read wrongly.
 */
function checkCsvOptions(where: string, options: unknown, allowed: readonly string[]): void {
  checkOptions(where, options, allowed);
  const o = (options ?? {}) as Partial<CsvOptions & CsvInputOptions>;
  for (const k of ['name', 'label'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new Error(`${where}: ${k} must be a string (a column name), got ${showValue(o[k])}`);
  }
  if (o.delimiter !== undefined && (typeof o.delimiter !== 'string' || o.delimiter === '' || /["\r\n]/.test(o.delimiter))) {
    throw new Error(`${where}: delimiter must be a non-empty string without quotes or line breaks (',', ';', '\\t'), got ${showValue(o.delimiter)}`);
  }
  for (const k of ['classNames', 'featureNames'] as const) {
    const v = o[k] as unknown;
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) throw new Error(`${where}: ${k} must be an array of strings, got ${showValue(v)}`);
    const twice = v.find((c, i) => v.indexOf(c) !== i);
    if (twice !== undefined) throw new Error(`${where}: ${k} names ${showCell(twice)} twice; each name must be distinct`);
  }
  if (o.maxClasses !== undefined && !(Number.isInteger(o.maxClasses) && o.maxClasses >= 1)) throw new Error(`${where}: maxClasses must be an integer ≥ 1, got ${showValue(o.maxClasses)}`);
  if (allowed === CSV_INPUT_OPTIONS && !(Number.isInteger(o.features) && o.features! >= 1)) throw new Error(`${where}: features must be an integer ≥ 1 (the model's inputs), got ${showValue(o.features)}`);
}

/**
 * Integer labels of more distinct values than MANY_VALUES and than half the rows: a quantity (a
 * price in whole dollars, an age in years), not classes. As classes most would have one example,
 * the held-out ones none (a 300-row price file trained a 300-way softmax to 0% accuracy, without
 * a word).
 */
const MANY_VALUES = 20;
function manyValues(labels: readonly number[]): boolean {
  const distinct = new Set(labels).size;
  return distinct > MANY_VALUES && distinct > labels.length / 2;
}

/** pandas' default na_values (read_csv) and "?", UCI's missing value: a label cell of one is a missing label, not a class. */
const MISSING_LABELS = new Set(['#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null', '?']);

/** Parse CSV text into a Dataset; see the module comment for the conventions. */
export function parseCsv(text: string, options: CsvOptions = {}): Dataset {
  checkCsvOptions('parseCsv', options, CSV_OPTIONS);
  const name = options.name ?? 'CSV';
  if (options.task !== undefined && options.task !== 'classification' && options.task !== 'regression') {
    throw new Error(`${name}: task must be 'classification' or 'regression', got ${String(options.task)}`);
  }
  const { records: recs, line } = readRecords(text, name, options.delimiter ?? ',');
  if (recs.length === 0) throw new Error(`${name}: empty file (expected a header row)`);
  const header = recs[0].map((h) => h.trim());
  if (header.length < 2) throw new Error(`${name}: the header has ${header.length} column; need at least one feature and a label${otherDelimiter(header[0], options.delimiter ?? ',')}`);
  const blank = header.indexOf('');
  if (blank >= 0) {
    // pandas' df.to_csv(path) writes the row index as a first column with no name: as a feature it would leak the row order.
    throw new Error(`${name}: column ${blank + 1} has no name in the header; name it, or drop it${blank === 0 ? " (pandas writes its row index so: df.to_csv(path, index=False))" : ''}`);
  }
  // A file without a header would lose its first example to it, silently. pandas names the columns
  // of an unnamed frame 0, 1, 2, … (integers, all different), so only a first row of numbers that
  // cannot be such names — a decimal, or a number twice — is taken for data.
  const numbers = header.every((h) => /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(h));
  if (numbers && (header.some((h) => !/^\d+$/.test(h)) || new Set(header).size < header.length)) {
    throw new Error(`${name}: the first row (${showNames(header.slice(0, 4))}${header.length > 4 ? ', …' : ''}) is numbers, not column names: the file needs a header row naming its ${header.length} columns (e.g. x1,x2,…,label; the label is the last column unless a label column is named)`);
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new Error(`${name}: column name ${showCell(h)} appears twice in the header`);
    seen.add(h);
  }
  const labelCol = options.label !== undefined ? header.indexOf(options.label) : defaultLabelColumn(header, options.featureNames);
  if (labelCol < 0) {
    const near = closestName(options.label!, header);
    throw new Error(`${name}: no label column ${showCell(options.label!)}${near !== undefined ? ` (did you mean ${showCell(near)}?)` : ''} (columns: ${showNames(header)})`);
  }
  const rows = recs.slice(1);
  if (rows.length === 0) throw new Error(`${name}: no data rows after the header`);
  const featureCols = options.featureNames ? namedColumns(header, options.featureNames, name, labelCol, options.label === undefined ? 'the last column' : 'the label column') : header.map((_, j) => j).filter((j) => j !== labelCol);
  const f = featureCols.length;
  const where = (r: number, j: number): string => `${name}: row ${r + 1} (line ${line(r + 1)}), column ${showCell(header[j])}`;

  const x = new Float32Array(rows.length * f);
  for (let r = 0; r < rows.length; r++) {
    const rec = rows[r];
    for (let k = 0; k < f; k++) {
      const v = cellValue(rec[featureCols[k]]);
      if (typeof v === 'string') throw new Error(`${where(r, featureCols[k])}: ${v}`);
      x[r * f + k] = v;
    }
  }

  const raw = rows.map((rec) => rec[labelCol].trim());
  // An empty label is a missing value, not a class named "" (which would also switch numeric
  // labels to string order).
  const empty = raw.indexOf('');
  if (empty >= 0) throw new Error(`${where(empty, labelCol)}: empty label`);
  // So are pandas' missing-value words (and UCI's "?"): "NaN" among labels 0 and 1 was a third
  // class, and among regression targets it made every target a class.
  const missing = raw.findIndex((v) => MISSING_LABELS.has(v) && !options.classNames?.includes(v));
  if (missing >= 0) throw new Error(`${where(missing, labelCol)}: missing label ${showCell(raw[missing])} (a missing-value mark, not a class); drop the row, or give it its class`);
  const nums = raw.map(toNumber);
  const allNumeric = nums.every((v) => v !== null);
  // Fractional numbers with a word among them: a regression target with a bad cell, not classes named "0.5", "1.5", "inf".
  if (!allNumeric && options.task === undefined && !options.classNames && nums.some((v) => v !== null && !Number.isInteger(v))) {
    const bad = nums.indexOf(null);
    throw new Error(`${where(bad, labelCol)}: label ${showCell(raw[bad])} is not a number, but other labels are fractional numbers (a regression target, e.g. ${showCell(raw[nums.findIndex((v) => v !== null && !Number.isInteger(v))])}); fix or drop the row (pass task 'classification' if the labels are class names)`);
  }
  const task = options.task ?? (options.classNames || !allNumeric || (nums.every((v) => Number.isInteger(v)) && !manyValues(nums as number[])) ? 'classification' : 'regression');
  const base = { featureNames: featureCols.map((j) => header[j]), name };

  if (task === 'regression') {
    const y = new Float32Array(rows.length);
    raw.forEach((cell, r) => {
      const v = cellValue(cell);
      if (typeof v === 'string') throw new Error(`${where(r, labelCol)}: ${v} (task is regression)`);
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
  const maxClasses = options.maxClasses ?? MAX_CLASSES;
  if (classNames.length > maxClasses) throw new Error(`${name}: column ${showCell(header[labelCol])} has ${classNames.length} distinct labels, more than the ${maxClasses} classes allowed (is it the label column? choose one with --label)`);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const y = new Float32Array(rows.length);
  raw.forEach((s, r) => {
    const c = index.get(s);
    if (c === undefined) {
      throw new Error(`${where(r, labelCol)}: label ${showCell(s)} is not one of the known classes (${showNames(classNames)})`);
    }
    y[r] = c;
  });
  return { ...base, x: new Tensor(x, [rows.length, f]), y: new Tensor(y, [rows.length]), numClasses: classNames.length, classNames };
}

export interface CsvInputOptions {
  /** File name used in error messages. Default 'CSV'. */
  name?: string;
  /** Features per row the model expects. */
  features: number;
  /** The model's feature names: with a header naming them all, those columns are read, in this order. */
  featureNames?: readonly string[];
  /** The training label column: with a header, every other column is an input. */
  label?: string;
  delimiter?: string;
}

/**
 * Model inputs from CSV text (predict): the same reader and the same cell rules as
 * parseCsv (strict decimal numbers within float32's range), but the header is optional
 * (a first row that is not all numbers is one) and there is no label. With a header and
 * `featureNames`, those columns are read by name (a header without one of them is an error,
 * not read by position); otherwise a row has exactly `features` cells, or one more (a label
 * last, ignored). Returns x [N, features].
 */
export function parseCsvInputs(text: string, options: CsvInputOptions): Tensor {
  checkCsvOptions('parseCsvInputs', options, CSV_INPUT_OPTIONS);
  const name = options.name ?? 'CSV';
  const n = options.features;
  const { records: recs, line } = readRecords(text, name, options.delimiter ?? ',');
  if (recs.length === 0) throw new Error(`${name}: no input rows`);
  const hasHeader = !recs[0].every((c) => NUMBER.test(c.trim()));
  const header = hasHeader ? recs[0].map((h) => h.trim()) : null;
  const rows = hasHeader ? recs.slice(1) : recs;
  if (rows.length === 0) throw new Error(`${name}: no input rows after the header`);
  let cols: number[] | null = null;
  const names = options.featureNames;
  if (header && names && names.length === n) cols = namedColumns(header, names, name, -1, '');
  // The training label column is not an input, wherever it stands.
  else if (header && options.label !== undefined && header.includes(options.label)) cols = header.map((_, j) => j).filter((j) => header[j] !== options.label);
  if (!cols) {
    const width = rows[0].length;
    if (width !== n && width !== n + 1) {
      throw new Error(`${name}: rows have ${width} columns but the model expects ${n} features (or ${n + 1} columns with a label last)`);
    }
    cols = Array.from({ length: n }, (_, j) => j);
  }
  const x = new Float32Array(rows.length * n);
  for (let r = 0; r < rows.length; r++) {
    const rec = rows[r];
    for (let k = 0; k < n; k++) {
      const j = cols[k];
      const v = cellValue(rec[j] ?? '');
      if (typeof v === 'string') {
        const col = header ? `column ${showCell(header[j])}` : `column ${j + 1}`;
        throw new Error(`${name}: row ${r + 1} (line ${line(r + (header ? 1 : 0))}), ${col}: ${v}`);
      }
      x[r * n + k] = v;
    }
  }
  return new Tensor(x, [rows.length, n]);
}
