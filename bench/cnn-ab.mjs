// Paired before/after of gradlab's CNN plain loop (bench/cnn.mjs's runCnnGradlab, 2,560 samples)
// between two built trees, alternating in fresh processes so machine drift hits both alike:
//   node bench/cnn-ab.mjs BEFORE_TREE AFTER_TREE [rounds]
// A tree is a checkout with dist/ built and node_modules (e.g. `git archive <commit> | tar -x -C
// /tmp/before`, link node_modules, `npm run build:wasm && npx tsc -p tsconfig.json`).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

if (process.argv[2] === '--one') {
  const t = process.argv[3];
  const { runCnnGradlab } = await import(path.join(t, 'bench/cnn.mjs'));
  const { loadData } = await import(path.join(t, 'bench/mlp.mjs'));
  console.log(runCnnGradlab(await loadData(2560)).samplesPerSec.toFixed(0));
  process.exit(0);
}
const [before, after] = process.argv.slice(2, 4).map((t) => path.resolve(t ?? ''));
if (!process.argv[3]) {
  console.error('usage: node bench/cnn-ab.mjs BEFORE_TREE AFTER_TREE [rounds]');
  process.exit(2);
}
const rounds = Number(process.argv[4] ?? 4);
const run = (t) => Number(execFileSync(process.execPath, [process.argv[1], '--one', t], { encoding: 'utf8' }).trim());
const ratios = [];
for (let r = 0; r < rounds; r++) {
  const b = run(before), a = run(after);
  ratios.push(a / b);
  console.log(`round ${r + 1}: before ${b}, after ${a} samples/s → ${(a / b).toFixed(2)}`);
}
ratios.sort((x, y) => x - y);
const m = ratios.length % 2 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
console.log(`after ÷ before, median of ${rounds} paired rounds: ${m.toFixed(2)}×`);
