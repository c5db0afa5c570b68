/**
 * Fuzz: model files and checkpoints mutated structurally — metadata records (spec, config,
 * data, summary, checkpoint state) with values replaced at random paths, tensor entries,
 * header keys, header text, header length, truncation, data bytes — then read by inspect,
 * predict, evaluate, export and --resume. Every case must end in exit 0–4 with a message.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { budget, cases, cli, expectClean, fuzzDir, mutateJson, pick, randomJson, rng, Tally, toJson } from './fuzz.js';
import type { Generator } from '../../src/random.js';

const dir = fuzzDir();
const train = ['--data', 'moons', '--samples', '200', '--layers', '4', '--epochs', '1', '--batch-size', '32', '-q'];
let model: Uint8Array;
let checkpoint: Uint8Array;

beforeAll(async () => {
  const m = join(dir, 'base.safetensors');
  const c = join(dir, 'base.ckpt.safetensors');
  const r = await cli(['train', ...train, '--out', m, '--checkpoint', c]);
  expect(r.code, r.err).toBe(0);
  model = readFileSync(m);
  checkpoint = readFileSync(c);
});

function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}

function join2(headerText: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const RECORDS = ['spec', 'config', 'data', 'summary', 'checkpoint', 'format', 'format_version'];

/** One structural mutation; `kind` says which, so configuration mutations can be told apart. */
function mutate(g: Generator, base: Uint8Array): { bytes: Uint8Array; kind: string } {
  const { header, data } = split(base);
  const md = { ...(header.__metadata__ as Record<string, string>) };
  const kind = pick(g, ['record', 'record', 'record', 'tensor', 'key', 'text', 'length', 'truncate', 'data', 'metadata']);
  switch (kind) {
    case 'record': {
      const k = pick(g, RECORDS);
      let v: unknown;
      try {
        v = JSON.parse(md[k] ?? 'null');
      } catch {
        v = md[k];
      }
      md[k] = g.int(6) === 0 ? String(pick(g, ['{', '[1,', '"x', '', 'null', '1e999'])) : toJson(mutateJson(g, v));
      return { bytes: join2(JSON.stringify({ ...header, __metadata__: md }), data), kind: `record ${k}` };
    }
    case 'tensor': {
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      const t = pick(g, names);
      return { bytes: join2(toJson({ ...header, [t]: mutateJson(g, header[t]) }), data), kind };
    }
    case 'key': {
      const h: Record<string, unknown> = { ...header };
      const keys = Object.keys(h);
      const op = g.int(3);
      if (op === 0) delete h[pick(g, keys)];
      else if (op === 1) h[pick(g, ['extra', '0.weight', 'optimizer.0.exp_avg', 'optimizer.99.x', '__proto__'])] = randomJson(g);
      else {
        const k = pick(g, keys);
        h[`${k}x`] = h[k];
        delete h[k];
      }
      return { bytes: join2(toJson(h), data), kind };
    }
    case 'text': {
      const text = JSON.stringify(header);
      const i = g.int(text.length);
      const c = pick(g, ['"', '{', '}', '[', ']', ',', ':', '\\', '0', '-', 'e', ' ', '\u0000', 'é']);
      return { bytes: join2(text.slice(0, i) + c + text.slice(i + (g.int(2) ? 1 : 0)), data), kind };
    }
    case 'length': {
      const text = JSON.stringify(header);
      const len = pick(g, [0n, 1n, 7n, BigInt(text.length - 1), BigInt(text.length + 1), 100_000_001n, 2n ** 63n, 2n ** 64n - 1n]);
      return { bytes: join2(text, data, len), kind };
    }
    case 'truncate':
      return { bytes: base.subarray(0, g.int(base.length)), kind };
    case 'data': {
      const b = new Uint8Array(base);
      const dataStart = base.length - data.length;
      for (let i = 1 + g.int(4); i > 0; i--) b[dataStart + g.int(data.length)] = pick(g, [0xff, 0x7f, 0x80, 0x00]);
      return { bytes: b, kind };
    }
    default:
      return { bytes: join2(toJson({ ...header, __metadata__: randomJson(g) }), data), kind };
  }
}

describe('fuzz: model files and checkpoints', () => {
  const n = cases(60);
  it(`${n} mutated model files: inspect, predict, evaluate and export end in exit 0–4 with a message`, { timeout: budget(n, 60) }, async () => {
    const g = rng(1);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const { bytes, kind } = mutate(g, model);
      const p = join(dir, `m${i}.safetensors`);
      writeFileSync(p, bytes);
      expectClean(await cli(['inspect', p, ...(i % 2 ? ['--json'] : [])]), `case ${i} (${kind}): inspect`, tally);
      expectClean(await cli(['predict', p, '[0.1, -0.2]']), `case ${i} (${kind}): predict`, tally);
      if (i % 4 === 0) expectClean(await cli(['evaluate', p, '--data', 'moons']), `case ${i} (${kind}): evaluate`, tally);
      if (i % 4 === 1) expectClean(await cli(['export', p, '--pytorch', join(dir, `m${i}.py`)]), `case ${i} (${kind}): export`, tally);
    }
    expect(tally.total).toBe(2 * n + Math.ceil(n / 4) + Math.ceil((n - 1) / 4));
    console.log(`fuzz model files (${n} cases): ${tally}`);
  });

  it(`${n} mutated checkpoints: inspect and --resume end in exit 0–4 with a message`, { timeout: budget(n, 200) }, async () => {
    const g = rng(2);
    const tally = new Tally();
    for (let i = 0; i < n; i++) {
      const { bytes, kind } = mutate(g, checkpoint);
      const p = join(dir, `c${i}.safetensors`);
      writeFileSync(p, bytes);
      expectClean(await cli(['inspect', p]), `case ${i} (${kind}): inspect`, tally);
      expectClean(await cli(['train', '--resume', p, '--epochs', '2', '-q']), `case ${i} (${kind}): train --resume`, tally);
    }
    console.log(`fuzz checkpoints (${n} cases): ${tally}`);
  });
});
