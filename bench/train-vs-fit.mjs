// `gradlab train` against fit() per training example, on the benchmark MLP (Fashion-MNIST,
// 784-256-256-10 ReLU, Adam 1e-3, batch 128, no schedule), each in a fresh process as users run
// them, alternating; the CLI's epoch 2 (its first is V8 compiling) against fit's epoch 2 with the
// same held-out evaluation per epoch (the CLI's test set as fit's validationData).
//   npm run build && node bench/train-vs-fit.mjs [rounds=3]
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
const FIT = `
import { fit, nn, manualSeed } from ${JSON.stringify(path.join(here, '..', 'dist', 'index.js'))};
import { loadFashionMnist } from ${JSON.stringify(path.join(here, '..', 'dist', 'node.js'))};
const tr = await loadFashionMnist(undefined, { split: 'train' });
const te = await loadFashionMnist(undefined, { split: 'test' });
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
const r = await fit(model, { x: tr.x, y: tr.y }, { epochs: 2, batchSize: 128, optimizer: 'adam', lr: 1e-3, seed: 0, validationData: { x: te.x, y: te.y } });
console.log(JSON.stringify(r.history.epochs.map((e) => e.durationMs)));
process.exit(0);
`;
const ratios = [];
for (let r = 0; r < rounds; r++) {
  const c = JSON.parse(execFileSync(process.execPath, [cli, 'train', '-d', 'fashion-mnist', '--layers', '256,256', '--no-batchnorm', '--lr', '0.001', '-b', '128', '-e', '2', '--schedule', 'none', '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  const cliMs = c.history[1].durationMs;
  const f = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', FIT], { encoding: 'utf8' }).trim().split('\n').pop());
  const fitMs = f[1];
  ratios.push(fitMs / cliMs);
  console.log(`round ${r + 1}: gradlab train epoch 2 ${cliMs.toFixed(0)} ms, fit() epoch 2 ${fitMs.toFixed(0)} ms → train speed ÷ fit speed ${(fitMs / cliMs).toFixed(3)}`);
}
ratios.sort((a, b) => a - b);
console.log(`median ${ratios[ratios.length >> 1].toFixed(3)} (60,000 examples and a 10,000-example evaluation per epoch)`);
