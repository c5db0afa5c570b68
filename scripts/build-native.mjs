#!/usr/bin/env node
// Build the native GEMM (native/gemm.cc → build/gradlab-gemm.node and build/gradlab-gemm-avx512.node) with the machine's C++
// compiler and Node's own headers. Optional: when there is no compiler, no headers or no
// x86-64 CPU, it says so and gradlab uses its WebAssembly GEMM (same numbers, slower).
//   node scripts/build-native.mjs            (run by `npm run build`)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'gradlab-gemm.node');

function skip(why) {
  console.log(`build-native: skipped (${why}); matrix products use the WebAssembly GEMM`);
  process.exit(0);
}

if (process.arch !== 'x64') skip(`CPU architecture ${process.arch}, the kernel is for x86-64`);
// Node's headers: beside the node binary (/usr/include/node for /usr/bin/node), or npm's nodedir.
const candidates = [resolve(dirname(process.execPath), '..', 'include', 'node'), process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node')].filter(Boolean);
const headers = candidates.find((d) => existsSync(join(d, 'node_api.h')));
if (!headers) skip(`no node_api.h in ${candidates.join(' or ')}`);
const cxx = process.env.CXX || 'g++';
mkdirSync(dirname(out), { recursive: true });
// Two builds of the same source: AVX2 (any x86-64 from 2013 on) and AVX-512 (a 6×32 tile, loaded
// only when the AVX2 build reports the CPU has AVX-512F; see src/kernels/wasm/native.ts).
// -ffp-contract=off: α·acc + β·C stays two roundings, as in the WebAssembly GEMM.
const builds = [
  [out, ['-mavx2', '-mfma']],
  [join(root, 'build', 'gradlab-gemm-avx512.node'), ['-mavx2', '-mfma', '-mavx512f', '-DGL_AVX512']],
];
for (const [file, isa] of builds) {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    execFileSync(cxx, ['-O3', '-std=c++17', ...isa, '-ffp-contract=off', '-fPIC', '-shared', '-Wall', `-I${headers}`, join(root, 'native', 'gemm.cc'), '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    skip(`${cxx} failed: ${e.code === 'ENOENT' ? 'not installed' : e.message.split('\n')[0]}`);
  }
  renameSync(tmp, file);
  console.log(`build-native: ${file}`);
}
