#!/usr/bin/env node
// Micro-kernel tile shapes for the GEMM (asm/src/gemm.ts), in isolation: builds
// bench/tiles/tiles.ts with and without relaxed SIMD and times every tile on packed data in
// L1, interleaved round by round, reporting GFLOP/s and the median ratio to the 4×8 tile
// (ratios taken within a round cancel this shared machine's drifting speed).
//
//   node --experimental-wasm-relaxed-simd bench/tiles.mjs [--rounds N]
import asc from 'assemblyscript/asc';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 150;
const KC = 256;
const out = mkdtempSync(path.join(tmpdir(), 'tiles-'));
const A = 1 << 20, B = 2 << 20, C = 4 << 20;
// name: [rows, cols, call]
const TILES = {
  k4x8: [4, 8, (f) => f(KC, A, B, C)],
  k5x8: [5, 8, (f) => f(KC, A, B, C)],
  k6x8: [6, 8, (f) => f(KC, A, B, C)],
  k3x12: [3, 12, (f) => f(KC, A, B, C)],
  k4x12: [4, 12, (f) => f(KC, A, B, C)],
  k4x8s: [4, 8, (f) => f(KC, A, B, C)],
  'k5x8g (A strided)': [5, 8, (f) => f(KC, A, 784 * 4, 4, B, C)],
  'k6x8g (A strided)': [6, 8, (f) => f(KC, A, 784 * 4, 4, B, C)],
};
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

for (const [variant, flags] of [['relaxed SIMD (FMA)', ['--enable', 'relaxed-simd']], ['plain SIMD (mul + add)', []]]) {
  const file = path.join(out, `tiles-${flags.length ? 'relaxed' : 'simd'}.wasm`);
  const { error, stderr } = await asc.main([path.join(here, 'tiles', 'tiles.ts'), '-O3', '--runtime', 'stub', '--importMemory', '--enable', 'simd', ...flags, '-o', file], { stderr: process.stderr });
  if (error) throw new Error(stderr.toString());
  let inst;
  try {
    const memory = new WebAssembly.Memory({ initial: 256 });
    inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), { env: { memory, abort() {} } });
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < f.length; i++) f[i] = (i % 7) * 0.01;
  } catch (e) {
    console.log(`${variant}: not runnable here (${e.message.split('\n')[0]}); run with --experimental-wasm-relaxed-simd`);
    continue;
  }
  const speed = Object.fromEntries(Object.keys(TILES).map((k) => [k, []]));
  const ratio = Object.fromEntries(Object.keys(TILES).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const g = {};
    for (const [name, [rows, cols, call]] of Object.entries(TILES)) {
      const fn = inst.exports[name.split(' ')[0]];
      const it = 300;
      const t0 = performance.now();
      for (let i = 0; i < it; i++) call(fn);
      g[name] = (2 * rows * cols * KC * it) / (performance.now() - t0) / 1e6;
      speed[name].push(g[name]);
    }
    for (const k in g) ratio[k].push(g[k] / g.k4x8);
  }
  console.log(`\n${variant}, kc = ${KC}, ${ROUNDS} rounds\n\n| tile | GFLOP/s best | median | ÷ 4×8 (median of rounds) |\n|---|---:|---:|---:|`);
  for (const k of Object.keys(TILES)) console.log(`| ${k} | ${Math.max(...speed[k]).toFixed(1)} | ${med(speed[k]).toFixed(1)} | ${med(ratio[k]).toFixed(3)} |`);
}
