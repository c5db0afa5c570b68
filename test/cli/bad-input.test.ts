/**
 * Bad input through the whole command (issue 16): each case ends in a clean exit 2/3/4 whose
 * message names the file, row, column, field or flag — never exit 5 or a stack trace.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { cli } from '../helpers/cli.js';

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

describe('size limits', () => {
  it.each([['65536,65536'], ['16384,16384'], ['8192,8192,8192,8192,8192']])('--layers %s is exit 2 naming the flag and the limit', async (layers) => {
    const r = await cli('train', '--data', 'moons', '--samples', '100', '--layers', layers, '--epochs', '1', '-q');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`--layers ${layers}: `);
    expect(r.err).toMatch(/more than the 268435456 allowed/);
  });

  it('a model under the parameter limit whose training exceeds the wasm memory is refused up front, with the estimate and the limit', async () => {
    const t0 = performance.now();
    const r = await cli('train', '--data', 'moons', '--samples', '100', '--layers', '15000,15000', '--epochs', '1', '-q');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--layers 15000,15000 with --batch-size 64 and adam: training .* needs about 4\.\d+ GiB \(parameters 0\.84 GiB .*\), more than the 3\.20 GiB usable of the 4\.00 GiB WebAssembly memory/);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('--layers 8,,8 and 8, are refused (exit 2), not read as 8,8', async () => {
    for (const layers of ['8,,8', '8,', ',8']) {
      const r = await cli('train', '--data', 'moons', '--layers', layers, '-q');
      expect(r.code, layers).toBe(2);
      expect(r.err).toContain(`invalid value '${layers}' for --layers`);
    }
  });

  it('--label for data that is not CSV is a usage error', async () => {
    const r = await cli('train', '--data', 'moons', '--label', 'y', '-q');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--label names a CSV file's label column; 'moons' is not a .csv file");
  });

  it('a CSV of more than 65,536 columns is exit 3 (more than 2^20 classes: test/data/csv.test.ts)', async () => {
    const wide = file('wide.csv', Array.from({ length: 70_000 }, (_, i) => `c${i}`).join(',') + '\n' + Array.from({ length: 70_000 }, () => '1').join(',') + '\n');
    const w = await cli('train', '--data', wide, '-q');
    expect(w.code, w.err).toBe(3);
    expect(w.err).toContain(`${wide}: 70000 columns, more than the 65536 allowed`);
  });

  it('IDX images with 0 pixels are exit 3 naming the file', async () => {
    const images = file('zero-images-idx3-ubyte', encodeIdx([], [5, 0, 0]));
    file('zero-labels-idx1-ubyte', encodeIdx([0, 1, 0, 1, 0], [5]));
    const r = await cli('train', '--data', images, '-q');
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${images}: images of shape [5, 0, 0] have no pixels`);
  });
});

describe('model files: deep or huge metadata, device files', () => {
  let good = '';
  beforeAll(async () => {
    good = join(dir, 'moons.safetensors');
    const r = await cli('train', '--data', 'moons', '--samples', '200', ...quick, '--out', good);
    expect(r.code, r.err).toBe(0);
  });
  const withMetadata = (name: string, edit: (md: Record<string, string>) => void): string => {
    const f = parseSafetensors(readFileSync(good));
    const md = { ...f.metadata! };
    edit(md);
    const tensors = new Map([...f.tensors].map(([k, e]) => [k, e.dtype === 'I64' ? { dtype: 'I64' as const, shape: e.shape, data: e.data as BigInt64Array } : { dtype: 'F32' as const, shape: e.shape, data: e.data as Float32Array }]));
    return file(name, serializeSafetensors(tensors, md));
  };

  it.each(['config', 'data', 'summary', 'spec'])('metadata "%s" nested 10,000 deep is exit 3 naming the field and the depth limit', async (field) => {
    const p = withMetadata(`deep-${field}.safetensors`, (md) => (md[field] = '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}'));
    for (const argv of [['inspect', p], ['inspect', p, '--json'], ['predict', p, '[0, 0]']]) {
      const r = await cli(...argv);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(3);
      expect(r.err).toContain(`${p}: metadata "${field}" is nested more than 64 levels deep`);
    }
  });

  it('a header of more than 2^18 keys is refused before it is parsed, quickly', async () => {
    // 300,000 metadata entries, written directly (the header alone: it is refused before anything else).
    const json = Buffer.from('{"__metadata__":{' + Array.from({ length: 300_000 }, (_, i) => `"k${i}":""`).join(',') + '}}');
    const bytes = Buffer.alloc(8 + json.length);
    bytes.writeBigUInt64LE(BigInt(json.length));
    json.copy(bytes, 8);
    const p = file('many-keys.safetensors', bytes);
    const t0 = performance.now();
    const r = await cli('inspect', p);
    const ms = performance.now() - t0;
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${p}: header has more than 262144 keys`);
    expect(ms).toBeLessThan(1500);
  });
});

describe('files that are not regular files, gzip bombs', () => {
  it.each([['inspect'], ['predict'], ['evaluate'], ['train --resume']])('%s /dev/zero is refused at once (exit 3), not read forever', async (cmd) => {
    const argv =
      cmd === 'inspect' ? ['inspect', '/dev/zero'] : cmd === 'predict' ? ['predict', '/dev/zero', '[0]'] : cmd === 'evaluate' ? ['evaluate', '/dev/zero', '--data', 'moons'] : ['train', '--resume', '/dev/zero', '-q'];
    const t0 = performance.now();
    const r = await cli(...argv);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain('/dev/zero: cannot read: is a character device, not a regular file');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a FIFO with no writer is refused, not waited on; predict input and CSV data too', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const r = await cli('inspect', fifo);
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${fifo}: cannot read: is a named pipe (FIFO), not a regular file`);
    const t = await cli('train', '--data', fifo, '-q');
    expect(t.code, t.err).toBe(3);
    expect(t.err).toContain('is a named pipe (FIFO), not a regular file');
  });

  it('a gzip bomb stops at the size its IDX header declares, with a message saying so', async () => {
    const { gzipSync } = await import('node:zlib');
    // Header: 10 images of 28×28 (7,856 bytes in all), then 64 MiB of zeros.
    const header = encodeIdx(new Uint8Array(10 * 784), [10, 28, 28]).subarray(0, 16);
    const body = new Uint8Array(16 + 64 * 2 ** 20);
    body.set(header);
    const images = file('bomb-images-idx3-ubyte.gz', gzipSync(body, { level: 9 }));
    file('bomb-labels-idx1-ubyte.gz', gzipSync(encodeIdx(new Uint8Array(10), [10])));
    const t0 = performance.now();
    const r = await cli('train', '--data', images, '-q');
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain(`${images}: gzip data decompresses to more than the 7,856 bytes its IDX header declares`);
    expect(performance.now() - t0).toBeLessThan(3000);
    // A header declaring more than the limit is refused before decompressing.
    const huge = new Uint8Array(16);
    huge.set([0, 0, 8, 3, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]); // [2^24, 256, 256]
    const h = file('huge-images-idx3-ubyte.gz', gzipSync(huge));
    file('huge-labels-idx1-ubyte.gz', gzipSync(encodeIdx(new Uint8Array(1), [1])));
    const r2 = await cli('train', '--data', h, '-q');
    expect(r2.code, r2.err).toBe(3);
    expect(r2.err).toMatch(/its IDX header declares 1,048,576 MiB of data, more than the 1,024 MiB limit/);
  });
});

describe('divergence', () => {
  it('a run diverging in its first epoch exits 1 and writes its last finite weights to <out>.last-good.safetensors, leaving --out alone', async () => {
    const { existsSync } = await import('node:fs');
    const out = join(dir, 'diverge.safetensors');
    const r = await cli('train', '--data', 'moons', '--samples', '300', '--layers', '16,16', '--epochs', '3', '--batch-size', '16', '--optimizer', 'sgd', '--lr', '1e30', '--init', 'normal', '--no-batchnorm', '--out', out, '-q');
    expect(r.code, r.err).toBe(1);
    const lastGood = join(dir, 'diverge.last-good.safetensors');
    expect(r.out).toContain(`last good weights (before step `);
    expect(r.out).toContain(lastGood);
    expect(existsSync(out)).toBe(false);
    const ins = await cli('inspect', lastGood, '--json');
    expect(ins.code, ins.err).toBe(0);
    const doc = JSON.parse(ins.out);
    expect(doc.summary.lastGoodBeforeStep).toBeGreaterThanOrEqual(0);
    for (const t of doc.tensors) expect(Number.isFinite(t.norm)).toBe(true);
  });
});

describe('printing names from files', () => {
  it('class names with terminal escapes and bidi overrides are shown escaped by predict and inspect', async () => {
    const p = file('escapes.csv', 'a,b,label\n' + Array.from({ length: 40 }, (_, i) => `${i % 5},${i % 3},${i % 2 ? '"\u001b]0;pwned\u0007\u001b[2J"' : 'ok\u202eevil'}`).join('\n') + '\n');
    const model = join(dir, 'escapes.safetensors');
    expect((await cli('train', '--data', p, ...quick, '--out', model)).code).toBe(0);
    const pr = await cli('predict', model, '[[1, 1], [2, 2], [3, 0]]', '--top', '2');
    expect(pr.code, pr.err).toBe(0);
    const ins = await cli('inspect', model);
    expect(ins.code, ins.err).toBe(0);
    for (const out of [pr.out, ins.out]) {
      expect(out).not.toMatch(/[\u001b\u0007\u202e]/);
      expect(out).toContain('\\x1b]0;pwned\\x07\\x1b[2J');
      expect(out).toContain('ok\\u202eevil');
    }
    // Errors too: a label not among the model's classes.
    const bad = file('escapes-bad.csv', 'a,b,label\n1,2,"\u001b[31mred"\n');
    const ev = await cli('evaluate', model, '--data', bad);
    expect(ev.code).toBe(3);
    expect(ev.err).not.toMatch(/\u001b/);
  });
});

describe('many classes', () => {
  it('predict on a model of 300,000 classes (softmax over a large row without spreading it into arguments)', async () => {
    const { buildModel } = await import('../../src/models.js');
    const { saveModel } = await import('../../src/io/model.node.js');
    const spec = { inputs: 1, layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 300_000, output: 'softmax' } as const;
    const p = join(dir, 'wide-out.safetensors');
    await saveModel(p, buildModel({ ...spec, layers: [] }), { spec: { ...spec, layers: [] } });
    const r = await cli('predict', p, '[1]', '--json');
    expect(r.code, r.err).toBe(0);
    const pred = JSON.parse(r.out).predictions[0];
    expect(pred.class).toBeGreaterThanOrEqual(0);
    expect(pred.probability).toBeGreaterThan(0);
  });
});

describe('BatchNorm and a last batch of one', () => {
  it('a training set one more than a multiple of the batch size trains (the single last example is not batch-normalised alone)', async () => {
    // 21 rows: 17 for training (2 × 8 + 1), 4 held out.
    const rows = ['a,b,label'];
    for (let i = 0; i < 21; i++) rows.push(`${i % 5},${(i * 3) % 7},${i % 2}`);
    const p = file('seventeen.csv', rows.join('\n') + '\n');
    const r = await cli('train', '--data', p, '--layers', '3', '--epochs', '2', '--batch-size', '8', '-q', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).steps).toBe(4);
    const o = await cli('train', '--data', p, '--limit', '1', '--layers', '3', '--epochs', '1', '-q');
    expect(o.code, o.err).toBe(3);
    expect(o.err).toContain('1 training example; BatchNorm needs at least 2');
  });
});

describe('finite inputs that overflow the model', () => {
  it('predict and evaluate refuse (exit 3) rather than print NaN or a null loss', async () => {
    const model = join(dir, 'overflow.safetensors');
    const p = file('overflow-train.csv', csvText());
    expect((await cli('train', '--data', p, ...quick, '--out', model)).code).toBe(0);
    const r = await cli('predict', model, '[3e38, -3e38]');
    expect(r.code, r.err).toBe(3);
    expect(r.err).toContain("row 1: the model's outputs are not finite");
    const big = file('overflow.csv', csvText((rows) => rows.forEach((row) => (row[0] = '3e38'))));
    const ev = await cli('evaluate', model, '--data', big);
    expect(ev.code, ev.err).toBe(3);
    expect(ev.err).toContain(`${big}: the loss of ${model} on it is not finite`);
  });
});

describe('metadata cross-checks', () => {
  it('class and feature names must match the model\'s outputs and inputs (exit 3 naming the field)', async () => {
    const good = join(dir, 'names.safetensors');
    expect((await cli('train', '--data', file('names.csv', csvText()), ...quick, '--out', good)).code).toBe(0);
    const f = parseSafetensors(readFileSync(good));
    const write = (name: string, data: unknown): string => {
      const tensors = new Map([...f.tensors].map(([k, e]) => [k, e.dtype === 'I64' ? { dtype: 'I64' as const, shape: e.shape, data: e.data as BigInt64Array } : { dtype: 'F32' as const, shape: e.shape, data: e.data as Float32Array }]));
      return file(name, serializeSafetensors(tensors, { ...f.metadata!, data: JSON.stringify(data) }));
    };
    const data = JSON.parse(f.metadata!.data);
    const c = write('names-c.safetensors', { ...data, classNames: ['2', '9'] });
    const rc = await cli('inspect', c);
    expect(rc.code).toBe(3);
    expect(rc.err).toContain(`${c}: metadata "data": classNames has 2 names but the model has 3 classes`);
    const fe = write('names-f.safetensors', { ...data, featureNames: ['f1', 'f2', 'f3'] });
    const rf = await cli('predict', fe, '[0, 0]');
    expect(rf.code).toBe(3);
    expect(rf.err).toContain('featureNames has 3 names but the model has 2 inputs');
  });
});

describe('out of memory during training', () => {
  it('a wasm memory failure becomes a usage error naming the flags; other errors pass through', async () => {
    const { outOfMemory } = await import('../../src/cli/limits.js');
    const spec = { inputs: 2, layers: [8], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0, outputs: 2, output: 'softmax' } as const;
    const e = outOfMemory(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'), { ...spec, layers: [8] }, 64);
    expect(e?.message).toMatch(/^out of memory training 2 → Linear\(8\).* with --batch-size 64 \(WebAssembly\.Memory\.grow\(\): Maximum memory size exceeded\); use narrower --layers/);
    expect((e as { code?: number }).code).toBe(2);
    expect(outOfMemory(new RangeError('Invalid array length'), { ...spec, layers: [8] }, 64)).toBeNull();
    expect(outOfMemory(new Error('memory'), { ...spec, layers: [8] }, 64)).toBeNull();
  });
});

describe('predict: JSON inputs', () => {
  it('rows nested deeper than 2 are refused before they are built (exit 3), not overflowing the stack', async () => {
    const model = join(dir, 'json-in.safetensors');
    expect((await cli('train', '--data', 'moons', '--samples', '100', ...quick, '--out', model)).code).toBe(0);
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const r = await cli('predict', model, deep);
    expect(r.code, r.err.slice(0, 300)).toBe(3);
    expect(r.err).toContain('input is nested more than 2 levels deep');
    const p = file('deep.json', deep);
    const f = await cli('predict', model, p);
    expect(f.code).toBe(3);
    expect(f.err).toContain(`${p} is nested more than 2 levels deep`);
    const bad = await cli('predict', model, '[1, ');
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('input is not valid JSON');
  });
});

/** Exit `code`, a one-paragraph gradlab message matching `pattern`, no stack trace. */
function clean(r: { code: number; err: string }, code: number, pattern: RegExp): void {
  expect(r.code, r.err).toBe(code);
  expect(r.err).toMatch(/^gradlab: error: /);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at |internal error/);
}

describe('output files are checked before any work, and never replace an input', () => {
  let model = '';
  let data = '';
  beforeAll(async () => {
    data = file('outputs.csv', csvText());
    model = join(dir, 'outputs.safetensors');
    const r = await cli('train', '--data', data, ...quick, '--out', model);
    expect(r.code, r.err).toBe(0);
  });

  it('an output that is the input (export m --onnx m, train --data d.csv --out d.csv, --out = --resume) is exit 2 and the input is unchanged', async () => {
    const modelBytes = readFileSync(model);
    clean(await cli('export', model, '--onnx', model), 2, /--onnx ".*outputs\.safetensors" and <model> ".*" are the same file: writing --onnx would destroy the input/);
    clean(await cli('export', model, '--pytorch', join(dir, 'x.py'), '--pytorch-train', join(dir, 'x.py')), 2, /--pytorch and --pytorch-train name the same file/);
    expect(readFileSync(model)).toEqual(modelBytes);
    const dataText = readFileSync(data, 'utf8');
    clean(await cli('train', '--data', data, ...quick, '--out', data), 2, /--out ".*outputs\.csv" and --data ".*" are the same file/);
    clean(await cli('train', '--data', data, ...quick, '--report', join(dir, '.', 'outputs.csv')), 2, /--report .* and --data .* are the same file/);
    expect(readFileSync(data, 'utf8')).toBe(dataText);
    clean(await cli('train', '--data', data, ...quick, '--out', join(dir, 'o.safetensors'), '--report', join(dir, 'o.safetensors')), 2, /--out and --report name the same file/);

    const ck = join(dir, 'outputs-ck.safetensors');
    expect((await cli('train', '--data', data, ...quick, '--checkpoint', ck)).code).toBe(0);
    const ckBytes = readFileSync(ck);
    clean(await cli('train', '--resume', ck, '--epochs', '2', '-q', '--out', ck), 2, /--out .* and --resume .* are the same file/);
    expect(readFileSync(ck)).toEqual(ckBytes);
    // Continuing the checkpoint it writes is what --resume is for.
    expect((await cli('train', '--resume', ck, '--epochs', '2', '-q', '--checkpoint', ck)).code).toBe(0);
  });

  it('a directory, a missing directory, an empty name or a device as an output is exit 4 naming the flag, before training', async () => {
    const t0 = Date.now();
    clean(await cli('train', '--data', data, ...quick, '--out', dir), 4, /--out ".*": cannot write there: it is a directory, not a regular file/);
    clean(await cli('train', '--data', data, ...quick, '--report', join(dir, 'no', 'such', 'r.html')), 4, /--report ".*r\.html": cannot write there: the directory .*such does not exist/);
    clean(await cli('train', '--data', data, ...quick, '--checkpoint', ''), 4, /--checkpoint "": cannot write there: the file name is empty/);
    clean(await cli('export', model, '--onnx', '/dev/null'), 4, /--onnx "\/dev\/null": cannot write there: it is a character device/);
    clean(await cli('compare', '--data', data, ...quick, '--report', dir), 4, /--report ".*": cannot write there: it is a directory/);
    clean(await cli('experiment', 'run', 'he-2015', '--quick', '--report', join(dir, 'missing', 'x.html')), 4, /--report ".*x\.html": cannot write there: the directory .*missing does not exist/);
    expect(Date.now() - t0).toBeLessThan(5000); // refused up front: no experiment or training ran
  });

  it('an output flag whose value is missing (the next flag taken as its file name) is exit 2, and no file "-q" appears', async () => {
    clean(await cli('train', '--data', data, ...quick, '--report', '-q'), 2, /--report "-q": that is a flag, not a file name \(is --report's value missing\?\); for a file whose name starts with -, write \.\/-q/);
    clean(await cli('export', model, '--onnx', '--json'), 2, /--onnx "--json": that is a flag/);
    expect(existsSync('-q')).toBe(false);
  });
});

describe('flags that contradict or would be ignored', () => {
  it('--layers, --activation, --batchnorm or --dropout typed with --arch or --model is exit 2 naming them', async () => {
    clean(await cli('train', '--data', 'spiral', '--arch', 'linear(4),relu', '--layers', '8', '-e', '1', '-q'), 2, /--arch lists every layer .*; --layers would be ignored/);
    clean(await cli('train', '--data', 'spiral', '--arch', 'linear(4),relu', '--no-batchnorm', '--activation', 'tanh', '-e', '1', '-q'), 2, /--activation, --batchnorm\/--no-batchnorm would be ignored/);
    clean(await cli('train', '--data', 'mnist', '--model', 'cnn-small', '--dropout', '0.5', '-q'), 2, /--model cnn-small lists every layer .*--dropout would be ignored/);
    clean(await cli('compare', '--data', 'spiral', '--arch', 'linear(4),relu', '--layers', '8', '-e', '1', '-q'), 2, /--arch lists every layer .*; --layers would be ignored/);
  });

  it('--arch naming a .json file that is missing or a FIFO is exit 2 at once, not a parse error or a hang', async () => {
    clean(await cli('train', '--data', 'spiral', '--arch', join(dir, 'nope.json'), '-q'), 2, /--arch: .*nope\.json: cannot read: no such file/);
    if (process.platform !== 'win32') {
      const fifo = join(dir, 'arch-fifo.json');
      execFileSync('mkfifo', [fifo]);
      clean(await cli('train', '--data', 'spiral', '--arch', fifo, '-q'), 2, /--arch: .*arch-fifo\.json: cannot read: is a named pipe/);
    }
    clean(await cli('train', '--data', 'spiral', '--arch', '['.repeat(100) + ']'.repeat(100), '-q'), 2, /--arch value is nested more than 64 levels deep/);
  });

  it('--batch-size 1 with BatchNorm is exit 2; a conv net with BatchNorm and a last batch of one trains', async () => {
    clean(await cli('train', '--data', 'spiral', '--samples', '20', '--batch-size', '1', '--layers', '4', '-e', '1', '-q'), 2, /--batch-size 1 with BatchNorm: .*--no-batchnorm/);
    clean(await cli('train', '--data', 'spiral', '--samples', '20', '--batch-size', '1', '--arch', 'linear(4),bn,relu', '-e', '1', '-q'), 2, /--batch-size 1 with BatchNorm: .*remove bn from the layer list/);
    expect((await cli('train', '--data', 'spiral', '--samples', '20', '--batch-size', '1', '--layers', '4', '--no-batchnorm', '-e', '1', '-q')).code).toBe(0);
    const r = await cli('train', '--data', 'mnist', '--arch', 'conv(2,3),bn,relu,flatten', '--limit', '17', '--batch-size', '16', '-e', '1', '-q', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).steps).toBe(1);
  });

  it('--noise beyond 1000 is exit 2 (larger noise overflowed the points to ±Infinity)', async () => {
    clean(await cli('train', '--data', 'spiral', '--noise', '1e39', '-q'), 2, /invalid value '1e39' for --noise: expected a number in \[0, 1000\]/);
  });

  it('lab: an empty, unresolvable or foreign --host is exit 2 naming --host', async () => {
    clean(await cli('lab', '--port', '0', '--host', ''), 2, /--host is empty/);
    clean(await cli('lab', '--port', '0', '--host', 'no-such-host.invalid'), 2, /--host "no-such-host\.invalid": no such host name or address/);
    clean(await cli('lab', '--port', '0', '--host', '192.0.2.1'), 2, /--host "192\.0\.2\.1": not an address of this machine/);
  });
});

describe('tiny data sets', () => {
  it('a CSV of 1 or 2 rows is exit 3 naming the file and the least number of rows, not a split error', async () => {
    clean(await cli('train', '--data', file('one-row.csv', 'a,label\n1,0\n'), '-q'), 3, /one-row\.csv: 1 example, too few to hold out 20% for testing and train on the rest; give at least 3/);
    clean(await cli('train', '--data', file('two-rows.csv', 'a,label\n1,0\n2,1\n'), '-q'), 3, /two-rows\.csv: 2 examples, too few/);
    expect((await cli('train', '--data', file('three-rows.csv', 'a,label\n1,0\n2,1\n3,0\n'), '--layers', '2', '-e', '1', '-q')).code).toBe(0);
  });
});

describe('predict: inputs that are not rows', () => {
  it('a JSON object (inline, file or stdin) says what is expected; an empty <input> is exit 2', async () => {
    const model = join(dir, 'obj-in.safetensors');
    expect((await cli('train', '--data', 'moons', '--samples', '100', ...quick, '--out', model)).code).toBe(0);
    clean(await cli('predict', model, '{"x": [1, 2]}'), 3, /input: expected a JSON array of 2 numbers or an array of such rows, got an object/);
    clean(await cli('predict', model, file('obj.json', '{"x1": 1, "x2": 2}')), 3, /obj\.json: expected a JSON array .* got an object/);
    clean(await cli('predict', model, '  '), 2, /<input> is empty/);
  });
});

describe('resuming from a damaged checkpoint', () => {
  it('a checkpoint whose history is not {epochs: [...]} is exit 3 and is left as it was, not resumed without its history', async () => {
    const ck = join(dir, 'hist-ck.safetensors');
    expect((await cli('train', '--data', 'moons', '--samples', '100', ...quick, '--checkpoint', ck)).code).toBe(0);
    const f = parseSafetensors(readFileSync(ck));
    const md = { ...f.metadata! };
    md.checkpoint = JSON.stringify({ ...JSON.parse(md.checkpoint), history: 'garbage' });
    const tensors = new Map([...f.tensors].map(([k, e]) => [k, e.dtype === 'I64' ? { dtype: 'I64' as const, shape: e.shape, data: e.data as BigInt64Array } : { dtype: 'F32' as const, shape: e.shape, data: e.data as Float32Array }]));
    writeFileSync(ck, serializeSafetensors(tensors, md));
    const before = readFileSync(ck);
    clean(await cli('train', '--resume', ck, '--checkpoint', ck, '--epochs', '2', '-q'), 3, /hist-ck\.safetensors: metadata "checkpoint": history must be an object with an epochs array, or null/);
    expect(readFileSync(ck)).toEqual(before);
  });
});

describe('hostile layer lists (--arch)', () => {
  it('a list ending in linear(k) for data with another number of classes is exit 2 naming both, not a second linear stacked after it', async () => {
    clean(await cli('train', '--data', 'spiral', '--arch', 'linear(16),relu,linear(3)', '-e', '1', '-q'), 2, /--arch ends with linear\(3\), but spiral has 2 classes: end the list with linear\(2\), or leave the output layer out/);
    const ok = await cli('train', '--data', 'spiral', '--samples', '100', '--arch', 'linear(16),relu,linear(2)', '-e', '1', '-q');
    expect(ok.code, ok.err).toBe(0);
  });

  it('PyTorch class names and misspellings get a did-you-mean', async () => {
    clean(await cli('train', '--data', 'mnist', '--arch', 'Conv2d(8,3),flatten', '-q'), 2, /unknown layer type "Conv2d" \(did you mean 'conv'\?\)/);
    clean(await cli('train', '--data', 'mnist', '--arch', 'conv(8,3),BatchNorm2d,flatten', '-q'), 2, /unknown layer type "BatchNorm2d" \(did you mean 'bn'\?\)/);
    clean(await cli('train', '--data', 'mnist', '--arch', 'conv(8,3),relu,flaten', '-q'), 2, /unknown layer type "flaten" \(did you mean 'flatten'\?\)/);
    const r = await cli('train', '--data', 'mnist', '--arch', 'conv(8,3),zzz', '-q');
    expect(r.err).not.toContain('did you mean');
    expect(r.err.match(/\blinear\b/g)?.length).toBe(1); // the list of layer types names each once
  });

  it('a width past the limit says the limit; a net too large for memory names --arch, not --layers', async () => {
    clean(await cli('train', '--data', 'mnist', '--arch', 'conv(1000000000,3),flatten', '-q'), 2, /conv's out must be a positive integer ≤ 65536, got 1000000000/);
    clean(await cli('train', '--data', 'mnist', '--arch', 'conv(4096,3),conv(4096,3),flatten', '-q'), 2, /^gradlab: error: --arch with --batch-size 64 and adam: .*needs about [\d.]+ GiB.*fewer or narrower layers in --arch/);
  });
});

describe('round 4: data files as users have them, numbers at the edges, flags given twice', () => {
  it('a Latin-1 CSV is exit 3 naming the line and the byte in train, evaluate and predict (train kept "caf\ufffd" as a class name)', async () => {
    const p = file('latin1.csv', Buffer.concat([Buffer.from('f1,f2,label\n0.5,0.5,caf'), Buffer.from([0xe9]), Buffer.from('\n' + csvText().split('\n').slice(1).join('\n'))]));
    clean(await cli('train', '--data', p, ...quick), 3, /latin1\.csv: line 2 is not UTF-8 text \(byte 0xe9 after "0\.5,0\.5,caf", at byte 23\); gradlab reads CSV as UTF-8/);
    const model = join(dir, 'latin-model.safetensors');
    expect((await cli('train', '--data', file('ok4.csv', csvText()), ...quick, '--out', model)).code).toBe(0);
    clean(await cli('evaluate', model, '--data', p), 3, /line 2 is not UTF-8 text/);
    clean(await cli('predict', model, p), 3, /line 2 is not UTF-8 text/);
  });

  it('a CSV whose last line holds only spaces trains (it was "1 field, but the header has 3 columns"); a ";" file with decimal commas is named', async () => {
    expect((await cli('train', '--data', file('spaces.csv', csvText() + '   \n'), ...quick)).code).toBe(0);
    const semi = 'a;b;label\n' + Array.from({ length: 20 }, (_, i) => `${i},5;${i % 3};${i % 2}`).join('\n') + '\n';
    clean(await cli('train', '--data', file('semi.csv', semi), ...quick), 3, /semi\.csv: the header has 1 column \(its values are separated by ';'; gradlab reads comma-separated values\)/);
  });

  it('IDX labels of one class, --limit keeping one class, or the labels file given as --data are named (one class trained a 10-way classifier)', async () => {
    const d = join(dir, 'idx4');
    execFileSync('mkdir', ['-p', d]);
    writeFileSync(join(d, 'one-images-idx3-ubyte'), encodeIdx(new Uint8Array(20 * 16).map((_, i) => i % 256), [20, 4, 4]));
    writeFileSync(join(d, 'one-labels-idx1-ubyte'), encodeIdx(new Array(20).fill(3), [20]));
    clean(await cli('train', '--data', join(d, 'one-images-idx3-ubyte'), ...quick), 3, /one-images-idx3-ubyte: every training label is "3" \(16 examples\); classification needs examples of at least 2 classes/);
    clean(await cli('train', '--data', join(d, 'one-labels-idx1-ubyte'), ...quick), 2, /--data '.*one-labels-idx1-ubyte' is an IDX labels file: give the images file \(one-images-idx3-ubyte\)/);
    const sorted = 'a,label\n' + Array.from({ length: 20 }, (_, i) => `${i},${i < 10 ? 'x' : 'y'}`).join('\n') + '\n';
    const p = file('sorted.csv', sorted);
    clean(await cli('train', '--data', p, ...quick, '--limit', '2', '--seed', '1'), 3, /every training label is "[xy]" \(2 examples, the first 2 by --limit\)/);
  });

  it('a symbolic-link loop or a directory named .csv as --data is named for what it is (it was "neither a data set name nor an existing file", or "MNIST not found")', async () => {
    const a = join(dir, 'loop-a.csv');
    const b = join(dir, 'loop-b.csv');
    execFileSync('ln', ['-sf', b, a]);
    execFileSync('ln', ['-sf', a, b]);
    clean(await cli('train', '--data', a, ...quick), 3, /loop-a\.csv: cannot read: too many levels of symbolic links/);
    clean(await cli('train', '--data', a, ...quick, '--test-fraction', '0.3'), 3, /loop-a\.csv: cannot read: too many levels of symbolic links/);
    const d = join(dir, 'folder.csv');
    execFileSync('mkdir', ['-p', d]);
    clean(await cli('train', '--data', d, ...quick), 3, /folder\.csv: is a directory, not a file/);
  });

  it('--test-fraction 1e-12 is refused at once with the least data it needs (counting up to it hung)', async () => {
    const t0 = Date.now();
    clean(await cli('train', '--data', 'xor', '--samples', '40', '--no-batchnorm', ...quick, '--test-fraction', '1e-12'), 3, /xor: 40 examples, too few to hold out a fraction 1e-12 for testing and train on the rest; give at least 500,000,000,000 \(or a --test-fraction nearer 0\.2\)/);
    clean(await cli('train', '--data', 'xor', '--samples', '40', '--no-batchnorm', ...quick, '--test-fraction', '0.9999999999'), 3, /too few to hold out a fraction 0\.9999999999 for testing/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a flag given twice with different values takes the last, as argparse does, with a note naming both (it was silent); the same value twice says nothing', async () => {
    const base = ['train', '--data', 'xor', '--samples', '40', '--layers', '4', '--json', '-q'];
    const lr = await cli(...base, '--lr', '0.1', '--lr', '0.2');
    expect(lr.code, lr.err).toBe(0);
    expect(lr.err).toContain('gradlab: note: --lr given twice ("0.1", then "0.2"): the last, "0.2", is used');
    expect(JSON.parse(lr.out).config.lr).toBe(0.2);
    const e = await cli(...base, '-e', '1', '--epochs', '2');
    expect(e.err).toContain('gradlab: note: --epochs given twice ("1", then "2"): the last, "2", is used');
    expect(JSON.parse(e.out).config.epochs).toBe(2);
    expect((await cli(...base, '-e', '1', '--epochs', '1')).err).toBe('');
    const c = await cli('compare', '--data', 'xor', '--samples', '40', '-e', '1', '-q', '--json', '--lr', '0.1', '--lr', '0.2');
    expect(c.err).toContain('to compare several, separate them with commas (--lr 0.1,0.2)');
    // compare --arch is meant to be repeated: one run each, no note.
    const a = await cli('compare', '--data', 'xor', '--samples', '40', '-e', '1', '-q', '--json', '--arch', 'linear(4),relu', '--arch', 'linear(8),relu');
    expect(a.code, a.err).toBe(0);
    expect(a.err).not.toContain('given twice');
    expect(JSON.parse(a.out).runs).toHaveLength(2);
  });

  it("an empty --label is exit 2 naming the flag (it said 'data: data.label must be a non-empty string'); spaces around a name are the header's trimming", async () => {
    const p = file('lbl.csv', csvText());
    clean(await cli('train', '--data', p, ...quick, '--label', ''), 2, /invalid value '' for --label: give the label column's name as the CSV header has it/);
    clean(await cli('train', '--data', p, ...quick, '--label', '  '), 2, /invalid value ' {2}' for --label/);
    expect((await cli('train', '--data', p, ...quick, '--label', ' label ')).code).toBe(0);
  });

  it('predict: inline JSON values that are not numbers say what they are (a quoted "1" was "not a number in the float32 range")', async () => {
    const model = join(dir, 'json-in.safetensors');
    expect((await cli('train', '--data', file('json-in.csv', csvText()), ...quick, '--out', model)).code).toBe(0);
    clean(await cli('predict', model, '["0.5", 1]'), 3, /input: row 1, feature 1: "0\.5" is a string, not a number \(write numbers without quotes\)/);
    clean(await cli('predict', model, '[0.5, null]'), 3, /input: row 1, feature 2: null is not a number/);
    clean(await cli('predict', model, '[1e400, 1]'), 3, /feature 1: Infinity is not a number in the float32 range \(magnitude at most 3\.4028235e\+38; JSON reads a larger number as Infinity\)/);
  });

  it('numbers that double precision cannot hold, or written in another notation, say why', async () => {
    const base = ['train', '--data', 'xor', '--samples', '40', '--layers', '4', '-q'];
    clean(await cli(...base, '--lr', '1e-400'), 2, /invalid value '1e-400' for --lr: expected a number in \(0, ∞\) \(1e-400 is below the smallest double, 5e-324, and reads as 0\)/);
    clean(await cli(...base, '--lr', '1e400'), 2, /\(1e400 is beyond the largest double, about 1\.8e308\)/);
    clean(await cli(...base, '--lr', '0x10'), 2, /decimal digits only/);
    clean(await cli(...base, '--lr', '1_000'), 2, /decimal digits only/);
    clean(await cli(...base, '--lr', '0,5'), 2, /a decimal comma\? write 0\.5/);
    clean(await cli(...base, '--epochs', '1e3'), 2, /expected an integer in \[1, 100000\] \(write it in digits: 1000\)/);
    clean(await cli(...base, '--epochs', '1e9'), 2, /invalid value '1e9' for --epochs: expected an integer in \[1, 100000\]$/m);
    clean(await cli(...base, '--seed', '9007199254740992'), 2, /--seed: expected an integer in \[0, 4294967295\]/);
  });
});

describe('round 5: other tools\' flags, conv presets on tabular data, damaged checkpoints', () => {
  it("another training script's flag names gradlab's (commander's nearest spelling was --arch for --batch, nothing for --hidden)", async () => {
    const base = ['train', '--data', 'xor', '--samples', '40', '-q'];
    for (const [flag, says] of [
      ['--hidden', /unknown option '--hidden'\n\(gradlab's flag for this is --layers\)/],
      ['--learning-rate', /\(gradlab's flag for this is --lr\)/],
      ['--learning_rate', /\(gradlab's flag for this is --lr\)/],
      ['--batch', /\(gradlab's flag for this is --batch-size\)/],
      ['--batch_size', /\(gradlab's flag for this is --batch-size\)/],
      ['--weight_decay', /\(gradlab's flag for this is --weight-decay\)/],
      ['--num-epochs', /\(gradlab's flag for this is --epochs\)/],
      ['--device', /\(--device: no flag: gradlab runs on the CPU/],
    ] as const) {
      const r = await cli(...base, flag, '4');
      expect(r.code, flag).toBe(2);
      expect(r.err, flag).toMatch(says);
      expect(r.err, flag).not.toContain('Did you mean --arch');
    }
    // Where commander's guess is right it stays; a flag another command lacks is not suggested there.
    expect((await cli(...base, '--output', 'm.safetensors')).err).toContain('(Did you mean --out?)');
    expect((await cli('predict', 'm.safetensors', '--hidden', '4')).err).not.toContain('--layers');
  });

  it('a switch given a value (--batchnorm false, --json 1) says it is a switch and how to turn it on or off (it said only "too many arguments")', async () => {
    const base = ['train', '--data', 'xor', '--samples', '40', '-q'];
    clean(await cli(...base, '--batchnorm', 'false'), 2, /too many arguments for 'train'[^\n]*\n\(--batchnorm is a switch and takes no value: --batchnorm turns it on, --no-batchnorm off; "false" is left over\)/);
    clean(await cli(...base, '--standardize', 'yes'), 2, /\(--standardize is a switch and takes no value: give --standardize alone; "yes" is left over\)/);
    // A stray word after a switch that is no boolean gets commander's message alone.
    const r = await cli(...base, '--json', 'extra');
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('is a switch');
  });

  it("--data '' and --data - say what --data takes (they said 'data.source must be a non-empty string' and 'neither a data set name nor an existing file')", async () => {
    clean(await cli('train', '--data', '', '-q'), 2, /^gradlab: error: invalid value '' for --data: give a data set name \(mnist, spiral, …\) or the path of a \.csv file or IDX data$/m);
    clean(await cli('train', '--data', '-', '-q'), 2, /--data -: data is not read from stdin .*save it to a \.csv file and give its path/);
    // A name with a newline or a terminal escape is shown escaped, on one line.
    const r = await cli('train', '--data', 'a\nb\x1b[31m.csv', '-q');
    clean(r, 2, /--data: 'a\\x0ab\\x1b\[31m\.csv' is neither a data set name nor an existing file/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--model cnn on a CSV whose features make tiny images names the file and the image size it made of them', async () => {
    const rows = ['a,b,c,d,label', ...Array.from({ length: 60 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5},0.5,0.25,${i % 3}`)];
    const p = file('four-features.csv', rows.join('\n') + '\n');
    clean(await cli('train', '--model', 'cnn', '--data', p, '-q'), 2, /--model cnn layer \d+ \(maxpool\): .*the output would be empty \(.*four-features\.csv's 4 features read as 1×2×2 images\)/);
  });

  it('a checkpoint cut at every tenth of its length: exit 3 saying it is truncated (or too short), and the file is left as it was', async () => {
    const ck = join(dir, 'whole.ckpt.safetensors');
    expect((await cli('train', '--data', 'xor', '--samples', '40', '--layers', '8', '--epochs', '1', '-q', '--checkpoint', ck)).code).toBe(0);
    const whole = readFileSync(ck);
    for (let k = 0; k < 10; k++) {
      const cut = join(dir, `cut-${k}.safetensors`);
      const bytes = whole.subarray(0, Math.floor((whole.length * k) / 10));
      writeFileSync(cut, bytes);
      const r = await cli('train', '--resume', cut, '--epochs', '2', '-q');
      clean(r, 3, k === 0 ? /too short/ : /truncated|exceeds the file/);
      expect(readFileSync(cut).equals(bytes), `cut at ${k}0%`).toBe(true);
    }
  });
});
