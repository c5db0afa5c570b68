// Paired before/after of gradlab's CNN plain loop (bench/cnn.mjs's runCnnGradlab, 2,560 samples;
// with --mlp the benchmark MLP's plain loop, bench/mlp.mjs's runGradlab, batch 128, 30,000 samples;
// --bn with it: the BatchNorm variant)
// between two built trees, alternating in fresh processes so machine drift hits both alike:
//   node bench/cnn-ab.mjs [--mlp [--bn]] BEFORE_TREE AFTER_TREE [rounds]
// A tree is a checkout with dist/ built and node_modules (e.g. `git archive <commit> | tar -x -C
// /tmp/before`, link node_modules, `npm run build:wasm && npx tsc -p tsconfig.json`).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const mlp = process.argv.includes('--mlp');
const bn = process.argv.includes('--bn');
const args = process.argv.slice(2).filter((a) => a !== '--mlp' && a !== '--bn');
if (args[0] === '--one') {
  const t = args[1];
  const { loadData, runGradlab } = await import(path.join(t, 'bench/mlp.mjs'));
  if (mlp) console.log(runGradlab(await loadData(30000), { batch: 128, bn }).samplesPerSec.toFixed(0));
  else {
    const { runCnnGradlab } = await import(path.join(t, 'bench/cnn.mjs'));
    console.log(runCnnGradlab(await loadData(2560)).samplesPerSec.toFixed(0));
  }
  process.exit(0);
}
const [before, after] = args.slice(0, 2).map((t) => path.resolve(t ?? ''));
if (!args[1]) {
  console.error('usage: node bench/cnn-ab.mjs [--mlp] BEFORE_TREE AFTER_TREE [rounds]');
  process.exit(2);
}
const rounds = Number(args[2] ?? 4);
const run = (t) => Number(execFileSync(process.execPath, [process.argv[1], '--one', t, ...(mlp ? ['--mlp'] : []), ...(bn ? ['--bn'] : [])], { encoding: 'utf8' }).trim());
const ratios = [];
for (let r = 0; r < rounds; r++) {
  const b = run(before), a = run(after);
  ratios.push(a / b);
  console.log(`round ${r + 1}: before ${b}, after ${a} samples/s → ${(a / b).toFixed(2)}`);
}
ratios.sort((x, y) => x - y);
const m = ratios.length % 2 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
console.log(`after ÷ before, median of ${rounds} paired rounds: ${m.toFixed(2)}×`);
