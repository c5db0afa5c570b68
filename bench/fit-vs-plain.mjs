// fit() (default monitoring and health checks) against the plain user loop on the benchmark MLP,
// paired round by round (batch 128, 30,000 Fashion-MNIST images): node bench/fit-vs-plain.mjs
import { loadData, runGradlab, runFit } from './mlp.mjs';
const data = await loadData(30000);
const r = [];
for (let i = 0; i < 5; i++) {
  const a = runGradlab(data, { batch: 128, bn: false }).samplesPerSec;
  const f = (await runFit(data, { batch: 128, bn: false })).samplesPerSec;
  r.push(f / a);
  console.log(`plain ${a.toFixed(0)} fit ${f.toFixed(0)} ratio ${(f / a).toFixed(3)}`);
}
r.sort(); console.log('median', r[2].toFixed(3));
process.exit(0);
