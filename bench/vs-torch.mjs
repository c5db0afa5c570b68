// Quick paired check of gradlab against PyTorch (1 thread) on the benchmark MLP: R rounds of
// gradlab then PyTorch on 20,000 Fashion-MNIST images, printing each round's ratio and their
// median. For judging a change in minutes; `npm run bench` is the full, recorded comparison.
//
//   npm run build && node bench/vs-torch.mjs [rounds=4] [--bn]
import { loadData, runGradlab, runTorch } from './mlp.mjs';
const SAMPLES = 20000;
const data = await loadData(SAMPLES);
const v = { name: 'batch 128', batch: 128, bn: process.argv.includes('--bn') };
const R = Number(process.argv[2] ?? 4);
const ratios = [];
for (let r = 0; r < R; r++) {
  const g = runGradlab(data, v).samplesPerSec;
  const torch = runTorch({ ...v, threads: 1, samples: SAMPLES, repeats: 1 });
  if (torch.skipped) {
    console.log(torch.skipped);
    process.exit(0);
  }
  const t = torch.runs[0].samplesPerSec;
  ratios.push(g / t);
  console.log(`gradlab ${g.toFixed(0)}  torch(1) ${t.toFixed(0)}  ratio ${(g / t).toFixed(3)}`);
}
ratios.sort((a, b) => a - b);
console.log('median ratio', ratios[ratios.length >> 1].toFixed(3));
process.exit(0);
