import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CLASSES, MAX_CSV_COLUMNS, MAX_CSV_RECORD_CHARS, csvHeader, decodeCsvBytes, parseCsv, parseCsvInputs } from '../../src/data/csv.js';
import { fitScaler, applyScaler, scaleSplits } from '../../src/data/scaler.js';
import { loadCsv } from '../../src/data/datasets.node.js';
import { tensor } from '../../src/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iris = `sepal,petal,species
5.1,1.4,setosa
7.0,4.7,versicolor
6.3,6.0,virginica
4.9,1.4,setosa
`;

describe('parseCsv', () => {
  it('reads numeric features and maps categorical labels to sorted class indices', () => {
    const ds = parseCsv(iris, { name: 'iris.csv' });
    expect(ds.x.shape).toEqual([4, 2]);
    expect(Array.from(ds.x.data)).toEqual([5.1, 1.4, 7.0, 4.7, 6.3, 6.0, 4.9, 1.4].map(Math.fround));
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.y.data)).toEqual([0, 1, 2, 0]);
    expect(ds.numClasses).toBe(3);
    expect(ds.featureNames).toEqual(['sepal', 'petal']);
    expect(ds.name).toBe('iris.csv');
  });

  it('chooses the label column by name; quoted fields, BOM, CRLF and blank lines', () => {
    const text = '\ufeff"label",a,b\r\n"yes",1,2\r\n\r\nno,3,"4"\r\n';
    const ds = parseCsv(text, { label: 'label' });
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(Array.from(ds.x.data)).toEqual([1, 2, 3, 4]);
    expect(ds.classNames).toEqual(['no', 'yes']);
    expect(Array.from(ds.y.data)).toEqual([1, 0]);
  });

  it('integer labels are classes in numeric order; fractional labels mean regression', () => {
    const cls = parseCsv('a,y\n1,10\n2,2\n3,10\n');
    expect(cls.classNames).toEqual(['2', '10']);
    expect(Array.from(cls.y.data)).toEqual([1, 0, 1]);
    const reg = parseCsv('a,y\n1,0.5\n2,2\n');
    expect(reg.y.shape).toEqual([2, 1]);
    expect(Array.from(reg.y.data)).toEqual([0.5, 2]);
    expect(reg.numClasses).toBeUndefined();
    expect(parseCsv('a,y\n1,3\n2,4\n', { task: 'regression' }).y.shape).toEqual([2, 1]);
  });

  it('integer labels of more than 20 distinct values and more than one per two rows mean regression (a price in whole dollars); task or classNames decide otherwise', () => {
    const text = (n: number, distinct: number): string => 'a,y\n' + Array.from({ length: n }, (_, i) => `${i},${1000 + (i % distinct) * 25}`).join('\n') + '\n';
    expect(parseCsv(text(41, 21)).y.shape).toEqual([41, 1]);
    // 21 values in 43 rows and 20 values in 30 rows stay classes.
    expect(parseCsv(text(43, 21)).numClasses).toBe(21);
    expect(parseCsv(text(30, 20)).numClasses).toBe(20);
    expect(parseCsv(text(41, 21), { task: 'classification' }).numClasses).toBe(21);
  });

  it('maps a test file with the training file\'s classNames', () => {
    const train = parseCsv(iris);
    const test = parseCsv('sepal,petal,species\n5,1,virginica\n', { classNames: train.classNames });
    expect(Array.from(test.y.data)).toEqual([2]);
    expect(test.numClasses).toBe(3);
    expect(() => parseCsv('sepal,petal,species\n5,1,daisy\n', { name: 'test.csv', classNames: train.classNames })).toThrow(
      /test\.csv: row 1 \(line 2\), column "species": label "daisy" is not one of the known classes/,
    );
  });

  it('errors name the file, row, line and column', () => {
    const lines = ['name,age,label'];
    for (let i = 1; i <= 20; i++) lines.push(`${i},${i === 17 ? 'abc' : 30 + i},${i % 2}`);
    expect(() => parseCsv(lines.join('\n'), { name: 'data.csv' })).toThrow('data.csv: row 17 (line 18), column "age": "abc" is not a number');
    expect(() => parseCsv('a,b\n1,\n', { name: 'd.csv', label: 'a' })).toThrow('d.csv: row 1 (line 2), column "b": empty value is not a number');
    expect(() => parseCsv('a,b\n0x10,1\n', { name: 'd.csv' })).toThrow(/column "a": "0x10" is not a number/);
    expect(() => parseCsv('a,b\nInfinity,1\n', { name: 'd.csv' })).toThrow(/"Infinity" is not a number/);
    expect(() => parseCsv('a,b\n1,2\n3\n', { name: 'd.csv' })).toThrow('d.csv: line 3: 1 field, but the header has 2 columns; every row needs one value per column');
    expect(() => parseCsv('a,b\n1,2,\n', { name: 'd.csv' })).toThrow('d.csv: line 2: 3 fields, but the header has 2 columns; every row needs one value per column (this row ends with a comma, which adds an empty field)');
    expect(() => parseCsv('a,b\n"1,2\n3,4\n', { name: 'd.csv' })).toThrow(/^d\.csv: a quoted field opened on line 2 is never closed/);
    expect(() => parseCsv('a,b\n"1"x,2\n', { name: 'd.csv' })).toThrow(/^d\.csv: line 2: text right after a closing quote/);
    expect(() => parseCsv('a,y\n1,0.5\n2,x\n', { name: 'r.csv', task: 'regression' })).toThrow('r.csv: row 2 (line 3), column "y": "x" is not a number (task is regression)');
    expect(() => parseCsv(iris, { name: 'iris.csv', label: 'kind' })).toThrow('iris.csv: no label column "kind" (columns: "sepal", "petal", "species")');
    expect(() => parseCsv('', { name: 'e.csv' })).toThrow(/e\.csv: empty file/);
    expect(() => parseCsv('a,b\n', { name: 'e.csv' })).toThrow(/e\.csv: no data rows/);
    expect(() => parseCsv('a,a\n1,2\n', { name: 'e.csv' })).toThrow(/column name "a" appears twice/);
    // A file without a header: its first row is data, which would be lost as column names.
    expect(() => parseCsv('0.5,1.25,1\n0.1,0.2,0\n', { name: 'n.csv' })).toThrow('n.csv: the first row ("0.5", "1.25", "1") is numbers, not column names: the file needs a header row naming its 3 columns');
    expect(() => parseCsv('3,1,1\n4,1,0\n', { name: 'n.csv' })).toThrow(/n\.csv: the first row .* is numbers, not column names/);
    // pandas' names for an unnamed frame's columns (df.to_csv(path, index=False)) are a header.
    expect(parseCsv('0,1,2\n0.5,1.5,1\n0.1,0.2,0\n', { name: 'p.csv' }).featureNames).toEqual(['0', '1']);
  });

  it('a missing-value mark as a label (NaN, NA, None, ?) is an error naming the row, not a third class; so is a word among fractional labels', () => {
    for (const v of ['NaN', 'NA', 'nan', 'None', 'null', 'N/A', '?']) {
      expect(() => parseCsv(`a,y\n1,0\n2,1\n3,${v}\n`, { name: 'm.csv' })).toThrow(`m.csv: row 3 (line 4), column "y": missing label ${JSON.stringify(v)} (a missing-value mark, not a class); drop the row, or give it its class`);
    }
    // A class the caller names is one.
    expect(parseCsv('a,y\n1,NA\n2,EU\n', { classNames: ['EU', 'NA'] }).classNames).toEqual(['EU', 'NA']);
    // [0.5, 1.5, "inf"] were three classes.
    expect(() => parseCsv('a,y\n1,0.5\n2,1.5\n3,inf\n', { name: 'r.csv' })).toThrow('r.csv: row 3 (line 4), column "y": label "inf" is not a number, but other labels are fractional numbers (a regression target, e.g. "0.5")');
    expect(parseCsv('a,y\n1,0\n2,cat\n').classNames).toEqual(['0', 'cat']);
  });

  it('an empty label is an error naming the row and column, not a class ""', () => {
    const text = 'a,label\n1,2\n2,9\n3,\n4,10\n';
    expect(() => parseCsv(text, { name: 'd.csv' })).toThrow('d.csv: row 3 (line 4), column "label": empty label');
    expect(() => parseCsv('a,label\n1,x\n2,"  "\n', { name: 'd.csv' })).toThrow('d.csv: row 2 (line 3), column "label": empty label');
  });

  it('values beyond float32 (1e39 → Infinity) are errors naming the file, row and column', () => {
    expect(() => parseCsv('a,b,y\n1,2,0\n3,1e39,1\n', { name: 'd.csv' })).toThrow(/^d\.csv: row 2 \(line 3\), column "b": "1e39" is outside the float32 range/);
    expect(() => parseCsv('a,b,y\n1,-4e38,0\n', { name: 'd.csv' })).toThrow(/row 1 \(line 2\), column "b": "-4e38" is outside the float32 range/);
    expect(() => parseCsv('a,y\n1,0.5\n2,1e39\n', { name: 'r.csv' })).toThrow(/^r\.csv: row 2 \(line 3\), column "y": "1e39" is outside the float32 range.*\(task is regression\)/);
    expect(() => parseCsv('a,b,y\nNaN,1,0\n', { name: 'd.csv' })).toThrow(/column "a": "NaN" is not a number/);
    // The largest float32 itself is fine.
    expect(parseCsv('a,y\n3.4028234663852886e38,0\n1,1\n').x.data[0]).toBe(3.4028234663852886e38);
  });

  it('a huge cell or a terminal escape is echoed escaped and cut short', () => {
    const big = 'x'.repeat(1_000_000);
    let msg = '';
    try {
      parseCsv(`a,y\n${big},0\n`, { name: 'd.csv' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^d\.csv: row 1 \(line 2\), column "a": "x{40}"… \(1000000 characters\) is not a number$/);
    expect(() => parseCsv('a,y\n\u001b[2J,0\n', { name: 'd.csv' })).toThrow('"\\u001b[2J" is not a number');
  });

  it('refuses more than MAX_CSV_COLUMNS columns and names the count', () => {
    const header = Array.from({ length: MAX_CSV_COLUMNS + 1 }, (_, i) => `c${i}`).join(',');
    expect(() => parseCsv(`${header}\n`, { name: 'wide.csv' })).toThrow(`wide.csv: ${MAX_CSV_COLUMNS + 1} columns, more than the ${MAX_CSV_COLUMNS} allowed`);
  });

  it('refuses more distinct labels than maxClasses (default MAX_CLASSES = 2^20, the spec\'s output limit)', () => {
    expect(MAX_CLASSES).toBe(2 ** 20);
    const text = 'x,label\n0,a\n0,b\n0,c\n0,d\n';
    expect(() => parseCsv(text, { name: 'c.csv', maxClasses: 3 })).toThrow('c.csv: column "label" has 4 distinct labels, more than the 3 classes allowed');
    expect(parseCsv(text, { maxClasses: 4 }).numClasses).toBe(4);
  });

  it('parseCsvInputs (predict): header optional, same cell rules as parseCsv', () => {
    expect(Array.from(parseCsvInputs('1,2\n3,4\n', { features: 2 }).data)).toEqual([1, 2, 3, 4]);
    // A label column last is ignored; a header naming the model's features picks them.
    expect(Array.from(parseCsvInputs('a,b,y\n1,2,x\n', { features: 2 }).data)).toEqual([1, 2]);
    expect(Array.from(parseCsvInputs('y,b,a\n0,2,1\n', { features: 2, featureNames: ['a', 'b'] }).data)).toEqual([1, 2]);
    expect(() => parseCsvInputs('1,1e39\n', { name: 'in.csv', features: 2 })).toThrow('in.csv: row 1 (line 1), column 2: "1e39" is outside the float32 range');
    expect(() => parseCsvInputs('a,b\n1,\n', { name: 'in.csv', features: 2 })).toThrow('in.csv: row 1 (line 2), column "b": empty value is not a number');
    expect(() => parseCsvInputs('1,2,3,4\n', { name: 'in.csv', features: 2 })).toThrow('in.csv: rows have 4 columns but the model expects 2 features');
    expect(() => parseCsvInputs('', { name: 'in.csv', features: 2 })).toThrow('in.csv: no input rows');
  });

  it('loadCsv names the file in errors', async () => {
    const p = join(dir, 'bad.csv');
    writeFileSync(p, 'x,y\n1,a\nfoo,b\n');
    await expect(loadCsv(p)).rejects.toThrow(`${p}: row 2 (line 3), column "x": "foo" is not a number`);
    await expect(loadCsv(join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: cannot read/);
    writeFileSync(join(dir, 'ok.csv'), iris);
    expect((await loadCsv(join(dir, 'ok.csv'))).x.shape).toEqual([4, 2]);
  });
});

describe('CSV files as users have them', () => {
  const latin1 = Uint8Array.from([...'a,b,label\n1,2,caf'].map((c) => c.charCodeAt(0)).concat([0xe9, 0x0a], [...'3,4,the\n'].map((c) => c.charCodeAt(0))));

  it('Latin-1 bytes are refused naming the line and the byte (they were read as U+FFFD: a class "caf\ufffd")', async () => {
    expect(() => decodeCsvBytes(latin1, 'fr.csv')).toThrow('fr.csv: line 2 is not UTF-8 text (byte 0xe9 after "1,2,caf", at byte 17); gradlab reads CSV as UTF-8');
    const p = join(dir, 'fr.csv');
    writeFileSync(p, latin1);
    await expect(loadCsv(p)).rejects.toThrow(`${p}: line 2 is not UTF-8 text`);
    // The same text as UTF-8 is read, the accent kept in the class name.
    writeFileSync(p, 'a,b,label\n1,2,café\n3,4,thé\n');
    expect((await loadCsv(p)).classNames).toEqual(['café', 'thé']);
  });

  it("UTF-16 with its BOM (Excel's Unicode text) is read; an .xlsx or binary file is named for what it is", async () => {
    const text = 'a\tb\tlabel\n1\t2\tx\n';
    const le = new Uint8Array([0xff, 0xfe, ...new Uint8Array(new Uint16Array([...text].map((c) => c.charCodeAt(0))).buffer)]);
    expect(decodeCsvBytes(le)).toBe(text);
    const p = join(dir, 'u16.csv');
    writeFileSync(p, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b,label\r\n1,2,ja\r\n3,4,nein\r\n', 'utf16le')]));
    const ds = await loadCsv(p);
    expect(ds.classNames).toEqual(['ja', 'nein']);
    expect(Array.from(ds.x.data)).toEqual([1, 2, 3, 4]);
    expect(() => decodeCsvBytes(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0]), 'data.csv')).toThrow('data.csv: is a ZIP archive (an Excel .xlsx workbook?), not CSV text');
    expect(() => decodeCsvBytes(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0]), 'cat.csv')).toThrow('cat.csv: not a text file (it contains NUL bytes)');
  });

  it('lines of only spaces or tabs are skipped as empty lines are (train said "1 field, but the header has 3 columns")', () => {
    const ds = parseCsv('a,b,label\n1,2,0\n   \n3,4,1\n\t\n  ');
    expect(Array.from(parseCsv('a,b,label\r\n1,2,0\r\n \t \r\n3,4,1\r\n').x.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(ds.x.data)).toEqual([1, 2, 3, 4]);
    expect(csvHeader('  \na,b,label\n')).toEqual(['a', 'b', 'label']);
    expect(parseCsvInputs('1,2\n \n', { features: 2 }).shape).toEqual([1, 2]);
  });

  it('mixed line ends (a Windows file with lines appended on Linux) and old-Mac \\r files are read, with the right line numbers', () => {
    // \r\n then \n: csv-parse took \r\n as the record end and ran the last lines together ("7 fields").
    expect(Array.from(parseCsv('a,b,label\r\n1,2,0\r\n3,4,1\n5,6,0\n').x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(parseCsv('a,b,label\r1,2,0\r3,4,1\r').y.data)).toEqual([0, 1]);
    expect(() => parseCsv('a,b,label\r\n1,2,0\n3,x,1\r\n', { name: 'm.csv' })).toThrow('m.csv: row 2 (line 3), column "b": "x" is not a number');
  });

  it("a ';' file with decimal commas is named as ';'-separated, and a decimal comma is named as one", () => {
    // "1,5;2;0" split at its comma gave "line 2: 2 fields, but the header has 1 columns".
    expect(() => parseCsv('a;b;label\n1,5;2;0\n3,5;4;1\n', { name: 'de.csv' })).toThrow("de.csv: the header has 1 column (its values are separated by ';'; gradlab reads comma-separated values)");
    expect(() => parseCsv('a,b,label\n"1,5",2,0\n', { name: 'q.csv' })).toThrow('q.csv: row 1 (line 2), column "a": "1,5" is not a number (a decimal comma? gradlab reads a point as the decimal mark: 1.5)');
  });

  it("options are checked before the text: pandas' sep, a misspelt key, a label that is not a string, repeated class names, a reserved delimiter", async () => {
    const t = 'a,b,y\n1,2,0\n3,4,1\n';
    expect(() => parseCsv(t, { sep: ';' } as never)).toThrow("parseCsv: unknown option 'sep'; the options are name, label, task, classNames, delimiter, maxClasses, featureNames");
    expect(() => parseCsv(t, { labels: 'a' } as never)).toThrow("parseCsv: unknown option 'labels' (did you mean 'label'?)");
    expect(() => parseCsv(t, { label: 2 } as never)).toThrow('parseCsv: label must be a string (a column name), got 2');
    expect(() => parseCsv(t, { classNames: ['0', '0', '1'] })).toThrow('parseCsv: classNames names "0" twice; each name must be distinct');
    expect(() => parseCsv(t, { classNames: 'ab' as never })).toThrow('parseCsv: classNames must be an array of strings, got "ab"');
    expect(() => parseCsv(t, { featureNames: ['a', 'a'] })).toThrow('parseCsv: featureNames names "a" twice');
    for (const d of ['', '"', '\n']) expect(() => parseCsv(t, { delimiter: d })).toThrow('parseCsv: delimiter must be a non-empty string without quotes or line breaks');
    expect(() => parseCsv(t, { maxClasses: 0 })).toThrow('parseCsv: maxClasses must be an integer ≥ 1, got 0');
    expect(() => parseCsv(t, 'y' as never)).toThrow('parseCsv: options must be an object');
    expect(() => parseCsvInputs('1,2\n', { features: 0 })).toThrow("parseCsvInputs: features must be an integer ≥ 1 (the model's inputs), got 0");
    expect(() => csvHeader(t, { label: 'y' } as never)).toThrow("csvHeader: unknown option 'label'");
    expect(() => decodeCsvBytes('a,b\n' as never)).toThrow('decodeCsvBytes: bytes must be a Uint8Array (a file\'s contents), got a string (it is text already: pass it to parseCsv)');
    const p = join(dir, 'opts.csv');
    writeFileSync(p, t);
    await expect(loadCsv(p, { lable: 'a' } as never)).rejects.toThrow("loadCsv: unknown option 'lable' (did you mean 'label'?)");
    // A two-character delimiter is csv-parse's and stays accepted.
    expect(parseCsv('a::b::y\n1::2::0\n', { delimiter: '::' }).featureNames).toEqual(['a', 'b']);
  });

  it("a nameless column (pandas' to_csv index) is refused naming it; a misspelt --label gets a did-you-mean", () => {
    expect(() => parseCsv(',a,b,label\n0,1,2,x\n1,3,4,y\n', { name: 'pd.csv' })).toThrow('pd.csv: column 1 has no name in the header; name it, or drop it (pandas writes its row index so: df.to_csv(path, index=False))');
    expect(() => parseCsv('a, ,label\n1,2,x\n', { name: 'n.csv' })).toThrow('n.csv: column 2 has no name in the header; name it, or drop it');
    expect(() => parseCsv('a,b,Species\n1,2,x\n', { name: 'i.csv', label: 'species' })).toThrow('i.csv: no label column "species" (did you mean "Species"?) (columns: "a", "b", "Species")');
  });

  it('missing values, inf and NaN are named with their row and column, never read as numbers', () => {
    for (const cell of ['NA', 'NaN', 'nan', '?', 'inf', '-Infinity', 'null', 'N/A']) {
      expect(() => parseCsv(`a,b,label\n1,2,0\n3,${cell},1\n`, { name: 'm.csv' })).toThrow(`m.csv: row 2 (line 3), column "b": ${JSON.stringify(cell)} is not a number`);
    }
  });
});

describe('CSV text past csv-parse\'s reach (its browser build made a JS array of the bytes: V8 died at ~110 MB, no message)', () => {
  it('a file without line breaks is an error naming the line, and so is a quote left open for 16 Mi characters', () => {
    const long = '1'.repeat(MAX_CSV_RECORD_CHARS + 10);
    expect(() => parseCsv(`a,y\n${long}`, { name: 'one-line.csv' })).toThrow('one-line.csv: line 2: a row longer than 16 Mi characters (a file without line breaks?); expected CSV text, one row per line');
    expect(() => csvHeader(long, { name: 'h.csv' })).toThrow('h.csv: line 1: a row longer than 16 Mi characters');
    expect(() => parseCsv(`a,y\n1,0\n"2,${long.slice(0, MAX_CSV_RECORD_CHARS / 2)}\n${long.slice(0, MAX_CSV_RECORD_CHARS / 2)}\n`, { name: 'q.csv' })).toThrow(
      'q.csv: a quoted field opened on line 3 is not closed within 16 Mi characters',
    );
  });

  it('longer text is read in pieces: rows, values, quoted line breaks and line numbers as in one piece', () => {
    // 17 rows of 1 Mi characters each: the second piece starts at row 16 (line 17).
    const cell = '1.' + '0'.repeat(2 ** 20);
    const rows = Array.from({ length: 17 }, (_, i) => `${cell},${i === 3 ? '"a\nb"' : i % 2}`);
    const ds = parseCsv(`x,y\n${rows.join('\n')}\n`, { name: 'big.csv' });
    expect(ds.x.shape).toEqual([17, 1]);
    expect(Array.from(ds.x.data)).toEqual(new Array(17).fill(1));
    expect(ds.classNames).toEqual(['0', '1', 'a\nb']);
    expect(Array.from(ds.y.data)).toEqual(rows.map((_, i) => (i === 3 ? 2 : i % 2)));
    // The first row of the second piece has three fields: csv-parse took it as that piece's width.
    const wide = rows.slice();
    wide[15] = `${cell},1,2`;
    expect(() => parseCsv(`x,y\n${wide.join('\n')}\n`, { name: 'big.csv' })).toThrow('big.csv: line 18: 3 fields, but the header has 2 columns');
    const bad = rows.slice();
    bad[16] = `${cell},1`.replace('1.', '1,');
    expect(() => parseCsv(`x,y\n${bad.join('\n')}\n`, { name: 'big.csv' })).toThrow('big.csv: line 19: 3 fields, but the header has 2 columns');
  });
});

describe('scaling fitted on training data only', () => {
  const train = parseCsv('a,b,y\n0,10,0\n2,10,1\n4,10,0\n');
  const test = parseCsv('a,b,y\n6,20,1\n', { classNames: train.classNames });

  it('minmax uses the training min/max; test values may leave [0, 1]', () => {
    const { train: tr, test: te, scaler } = scaleSplits({ train, test }, 'minmax');
    expect(scaler).toEqual({ method: 'minmax', offset: [0, 10], scale: [4, 1] });
    expect(Array.from(tr.x.data)).toEqual([0, 0, 0.5, 0, 1, 0]);
    expect(Array.from(te!.x.data)).toEqual([1.5, 10]);
    expect(te!.y).toBe(test.y);
    expect(JSON.parse(JSON.stringify(scaler))).toEqual(scaler);
  });

  it('standard uses the training mean and population std', () => {
    const { test: te, scaler } = scaleSplits({ train, test }, 'standard');
    const sd = Math.sqrt(8 / 3);
    expect(scaler.offset).toEqual([2, 10]);
    expect(scaler.scale[0]).toBeCloseTo(sd, 12);
    expect(scaler.scale[1]).toBe(1);
    expect(te!.x.data[0]).toBeCloseTo(4 / sd, 6);
  });

  it('none is the identity; bad method and feature count are rejected', () => {
    const s = fitScaler(train.x, 'none');
    expect(Array.from(applyScaler(test.x, s).data)).toEqual([6, 20]);
    expect(() => fitScaler(train.x, 'zscore' as 'none')).toThrow(/method must be one of minmax, standard, none/);
    expect(() => applyScaler(tensor([1, 2, 3], [1, 3]), s)).toThrow(/scaler has 2 features, data has 3/);
  });
});

describe('csvHeader', () => {
  it('gives the trimmed column names as parseCsv reads them (BOM, blank lines, quotes), without reading the rows', () => {
    const text = '\ufeff\n"sepal, cm",  petal ,species\n5.1,1.4,setosa\n7.0,"unterminated\n';
    expect(csvHeader(text, { name: 'h.csv' })).toEqual(['sepal, cm', 'petal', 'species']);
    expect(() => parseCsv(text, { name: 'h.csv' })).toThrow(/^h\.csv: /);
    expect(csvHeader('a;b\n1;2\n', { delimiter: ';' })).toEqual(['a', 'b']);
    expect(() => csvHeader('', { name: 'e.csv' })).toThrow('e.csv: empty file (expected a header row)');
    expect(() => csvHeader('"a,b\n1,2\n', { name: 'q.csv' })).toThrow(/^q\.csv: .*quote/i);
  });
});
