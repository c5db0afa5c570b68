// The loop users write, in PyTorch's two orders, on the benchmark MLP at batch 128: what the
// automatic memory moves to JS arrays (and copies back in) per step, and the step time.
//   node bench/zerograd-order.mjs [--mid] [--bn]    (--mid: loss = …; opt.zeroGrad(); loss.backward(); opt.step())
import { manualSeed, nn, optim, loss, tensor, memoryInfo } from 'gradlab';
const mid = process.argv.includes('--mid'), bn = process.argv.includes('--bn');
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(784,256), ...(bn?[new nn.BatchNorm1d(256)]:[]), new nn.ReLU(), new nn.Linear(256,256), new nn.ReLU(), new nn.Linear(256,10));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = Float32Array.from({length:128*784},()=>Math.random()), ys = Float32Array.from({length:128},(_,i)=>i%10);
const step = () => { const x = tensor(xs,[128,784]), y = tensor(ys,[128]);
  if (mid) { const l = loss.crossEntropy(model.forward(x), y); opt.zeroGrad(); l.backward(); opt.step(); }
  else { opt.zeroGrad(); loss.crossEntropy(model.forward(x), y).backward(); opt.step(); } };
for (let i=0;i<20;i++) step();
const a = memoryInfo(); const t0=performance.now();
for (let i=0;i<200;i++) step();
const b = memoryInfo();
console.log(`${mid?'zeroGrad mid':'zeroGrad first'}${bn?' bn':''}: per step moved ${((b.evictedBytes-a.evictedBytes)/200/1024).toFixed(0)} kB (${((b.evictedTensors-a.evictedTensors)/200).toFixed(1)} tensors), staged ${((b.staged-a.staged)/200).toFixed(1)} tensors; ${((performance.now()-t0)/200).toFixed(2)} ms/step`);
