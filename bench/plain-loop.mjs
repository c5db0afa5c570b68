// One epoch of the benchmark MLP with the plain user loop (bench/mlp.mjs runGradlab), alone in
// its process, for gradlab's peak RSS. Prints one JSON line.
//   node bench/plain-loop.mjs [--samples N] [--batch B] [--bn]
import { loadData, runGradlab } from './mlp.mjs';

const args = process.argv.slice(2);
const arg = (name, d) => (args.indexOf(name) >= 0 ? Number(args[args.indexOf(name) + 1]) : d);
const data = await loadData(arg('--samples', 60000));
const r = runGradlab(data, { batch: arg('--batch', 128), bn: args.includes('--bn') });
console.log(JSON.stringify({ ...r, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
