/**
 * Fuzz: data files — CSV text with cells, quotes, separators and bytes mutated (train,
 * evaluate and predict read it), and IDX files (optionally gzip) with header bytes, sizes and
 * compressed bytes mutated (train reads them). Every case must end in exit 0–4 with a message.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx.js';
import type { Generator } from '../../src/random.js';
import { budget, cases, cli, expectClean, fuzzDir, HOSTILE_STRINGS, pick, rng, Tally } from './fuzz.js';

const dir = fuzzDir();
const quick = ['--layers', '3', '--epochs', '1', '--batch-size', '8', '-q'];

function baseCsv(): string[][] {
  const rows = [['a', 'b', 'c', 'label']];
  for (let i = 0; i < 24; i++) rows.push([String(i % 5), String(((i * 7) % 3) - 1), String(i / 10), ['x', 'y', 'z'][i % 3]]);
  return rows;
}
const csvText = (rows: string[][]): string => rows.map((r) => r.join(',')).join('\n') + '\n';

function mutateCsv(g: Generator): string {
  const rows = baseCsv();
  const edits = 1 + g.int(3);
  for (let e = 0; e < edits; e++) {
    const r = g.int(rows.length);
    const c = g.int(Math.max(1, rows[r].length));
    switch (g.int(7)) {
      case 0: rows[r][c] = pick(g, HOSTILE_STRINGS); break;
      case 1: rows[r].splice(c, 1); break;
      case 2: rows[r].push(pick(g, HOSTILE_STRINGS)); break;
      case 3: rows[r][c] = `"${rows[r][c] ?? ''}`; break;
      case 4: rows.splice(r, 1); break;
      case 5: rows[r][c] = pick(g, ['\ufeff', '\r', '\n\n', ';', '"a""b"', '1e39', '-4e38', '3.4028234663852886e38', '']); break;
      default: rows[0][Math.min(c, rows[0].length - 1)] = pick(g, ['a', 'label', '', '"', 'x'.repeat(300)]);
    }
    if (rows.length === 0) rows.push(['a']);
  }
  let text = csvText(rows);
  if (g.int(5) === 0) {
    const i = g.int(text.length);
    text = text.slice(0, i) + String.fromCharCode(g.int(256)) + text.slice(i + g.int(2));
  }
  return text;
}

describe('fuzz: CSV', () => {
  let model = '';
  beforeAll(async () => {
    const p = join(dir, 'base.csv');
    writeFileSync(p, csvText(baseCsv()));
    model = join(dir, 'csv.safetensors');
    const r = await cli(['train', '--data', p, ...quick, '--out', model]);
    expect(r.code, r.err).toBe(0);
  });

  const n = cases(25);
  it(`${n} mutated CSV files: train, evaluate and predict end in exit 0–4 with a message`, { timeout: budget(n, 300) }, async () => {
    const g = rng(3);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const p = join(dir, `m${i}.csv`);
      const text = mutateCsv(g);
      writeFileSync(p, text);
      const what = `case ${i}: ${JSON.stringify(text.slice(0, 300))}`;
      expectClean(await cli(['train', '--data', p, ...quick]), `${what}: train`, tally);
      expectClean(await cli(['evaluate', model, '--data', p]), `${what}: evaluate`, tally);
      expectClean(await cli(['predict', model, p]), `${what}: predict`, tally);
    }
    console.log(`fuzz CSV (${n} files × 3 commands): ${tally}`);
  });
});

function mutateIdx(g: Generator): { images: Uint8Array; labels: Uint8Array } {
  const n = 20;
  let images = encodeIdx(Array.from({ length: n * 4 }, (_, i) => (i * 37) % 256), [n, 2, 2]);
  let labels = encodeIdx(Array.from({ length: n }, (_, i) => i % 3), [n]);
  const target = g.int(2) === 0 ? 'images' : 'labels';
  let b = target === 'images' ? images : labels;
  switch (g.int(6)) {
    case 0:
      b = b.subarray(0, g.int(b.length)); // truncated
      break;
    case 1: {
      b = new Uint8Array(b); // a header byte
      b[g.int(Math.min(16, b.length))] = pick(g, [0, 1, 3, 8, 9, 0x0b, 0x0c, 0x0d, 0x0e, 0x10, 0xff]);
      break;
    }
    case 2: {
      b = new Uint8Array(b); // a dimension
      const dims = target === 'images' ? 3 : 1;
      new DataView(b.buffer).setUint32(4 + 4 * g.int(dims), pick(g, [0, 1, 19, 21, 255, 65536, 0x7fffffff, 0xffffffff]), false);
      break;
    }
    case 3: {
      const c = new Uint8Array(b.length + 1 + g.int(10)); // extra bytes
      c.set(b);
      b = c;
      break;
    }
    case 4: {
      if (target === 'labels') {
        b = new Uint8Array(b); // a label out of range
        b[9 + g.int(n - 1)] = pick(g, [10, 99, 255]);
      }
      break;
    }
    default:
      break;
  }
  if (target === 'images') images = b;
  else labels = b;
  if (g.int(3) === 0) {
    // gzip, perhaps with a damaged stream.
    images = gzipSync(images);
    labels = gzipSync(labels);
    if (g.int(2) === 0) {
      images = new Uint8Array(images);
      images[10 + g.int(images.length - 10)] ^= 1 << g.int(8);
    }
  }
  return { images, labels };
}

describe('fuzz: IDX', () => {
  const n = cases(25);
  it(`${n} mutated IDX pairs: train ends in exit 0–4 with a message`, { timeout: budget(n, 300) }, async () => {
    const g = rng(4);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const { images, labels } = mutateIdx(g);
      const gz = images[0] === 0x1f ? '.gz' : '';
      const sub = join(dir, `idx${i}`);
      mkdirSync(sub);
      const ip = join(sub, `train-images-idx3-ubyte${gz}`);
      writeFileSync(ip, images);
      writeFileSync(join(sub, `train-labels-idx1-ubyte${gz}`), labels);
      expectClean(await cli(['train', '--data', ip, ...quick]), `case ${i}: train`, tally);
    }
    console.log(`fuzz IDX (${n} pairs): ${tally}`);
  });
});
