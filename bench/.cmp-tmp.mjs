import { loadData, runGradlab, runTorch } from './mlp.mjs';
const data = await loadData(60000);
const bn = process.argv.includes('--bn'); const batch = process.argv.includes('--b32') ? 32 : 128;
for (let r = 0; r < 3; r++) {
  const g = runGradlab(data, { batch, bn });
  const t2 = runTorch({ batch, bn, threads: 2, samples: 60000, repeats: 1 }).runs[0];
  const t1 = runTorch({ batch, bn, threads: 1, samples: 60000, repeats: 1 }).runs[0];
  const best = Math.max(t1.samplesPerSec, t2.samplesPerSec);
  console.log(`gradlab ${g.samplesPerSec.toFixed(0)} (${(g.testAccuracy*100).toFixed(1)}%)  torch1 ${t1.samplesPerSec.toFixed(0)}  torch2 ${t2.samplesPerSec.toFixed(0)}  ratio ${(g.samplesPerSec / best).toFixed(2)}`);
}
process.exit(0);
