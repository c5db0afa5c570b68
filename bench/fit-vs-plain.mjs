// fit() (default monitoring and health checks) against the plain user loop on the benchmark MLP,
// paired round by round (batch 128, 30,000 Fashion-MNIST images):
//   node bench/fit-vs-plain.mjs [--threads N] [--cpu]
// --cpu: also the ratio of process CPU time (with --threads 1 there are no workers, so it is the
// work done, less sensitive than wall time to other processes on a shared machine).
import { setNumThreads } from 'gradlab';
import { loadData, runGradlab, runFit } from './mlp.mjs';
const args = process.argv.slice(2);
const ti = args.indexOf('--threads');
if (ti >= 0) setNumThreads(Number(args[ti + 1]));
const cpuToo = args.includes('--cpu');
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const data = await loadData(30000);
const r = [];
const rc = [];
for (let i = 0; i < 5; i++) {
  let c = cpu();
  const a = runGradlab(data, { batch: 128, bn: false }).samplesPerSec;
  const ca = cpu() - c;
  c = cpu();
  const f = (await runFit(data, { batch: 128, bn: false })).samplesPerSec;
  const cf = cpu() - c;
  r.push(f / a);
  rc.push(ca / cf);
  console.log(`plain ${a.toFixed(0)} fit ${f.toFixed(0)} ratio ${(f / a).toFixed(3)}${cpuToo ? `; CPU time plain ${ca.toFixed(0)} ms, fit ${cf.toFixed(0)} ms, ratio ${(ca / cf).toFixed(3)}` : ''}`);
}
const median = (x) => x.slice().sort((p, q) => p - q)[2].toFixed(3);
console.log('median', median(r), cpuToo ? `(CPU time: ${median(rc)})` : '');
process.exit(0);
