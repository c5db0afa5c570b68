// Paired in-process A/B of the benchmark CNN's plain-loop step (bench/cnn.mjs's net, Adam 1e-3,
// batch 128, fixed data): two built trees loaded side by side, steps alternating A, B, A, B…
// after 5 warm-up steps each, so a busy machine's drift hits both alike step by step (fresh
// processes of bench/cnn-ab.mjs also differ in what the ThreadChooser learns in their first steps).
// Reports wall and CPU (user+sys) time per step: median and min over the rounds.
//   THREADS=2 ROUNDS=30 node bench/cnn-step-ab.mjs A_TREE B_TREE
const [aDir, bDir] = process.argv.slice(2);
const threads = Number(process.env.THREADS ?? 2), rounds = Number(process.env.ROUNDS ?? 30), warm = 5;
const xs = Float32Array.from({ length: 128 * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const ys = Float32Array.from({ length: 128 }, (_, i) => i % 10);
async function load(dir) {
  const g = await import(dir + '/dist/index.js');
  g.setNumThreads(threads);
  g.manualSeed(0);
  const { nn } = g;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.BatchNorm2d(32), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }), new nn.BatchNorm2d(64), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(3136, 128), new nn.ReLU(), new nn.Linear(128, 10));
  const opt = new g.optim.Adam(model.parameters(), { lr: 1e-3 });
  let lossValue = 0;
  const step = () => {
    opt.zeroGrad();
    const l = g.loss.crossEntropy(model.forward(g.tensor(xs, [128, 1, 28, 28])), g.tensor(ys, [128]));
    l.backward();
    opt.step();
    lossValue = l.item();
  };
  return { step, loss: () => lossValue };
}
const A = await load(aDir), B = await load(bDir);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const wa = [], wb = [], ca = [], cb = [];
for (let r = 0; r < warm + rounds; r++) {
  for (const [X, w, c] of [[A, wa, ca], [B, wb, cb]]) {
    const c0 = cpu(), t0 = performance.now();
    X.step();
    if (r >= warm) { w.push(performance.now() - t0); c.push(cpu() - c0); }
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const mn = (a) => Math.min(...a);
const ratios = wa.map((a, i) => a / wb[i]);
console.log(`threads ${threads}, ${rounds} paired steps; loss after: A ${A.loss().toFixed(6)}, B ${B.loss().toFixed(6)}`);
console.log(`wall ms/step: A median ${med(wa).toFixed(1)} min ${mn(wa).toFixed(1)} | B median ${med(wb).toFixed(1)} min ${mn(wb).toFixed(1)} | A/B per step median ${med(ratios).toFixed(3)}, of mins ${(mn(wa) / mn(wb)).toFixed(3)}`);
console.log(`cpu ms/step:  A median ${med(ca).toFixed(1)} min ${mn(ca).toFixed(1)} | B median ${med(cb).toFixed(1)} min ${mn(cb).toFixed(1)}`);
process.exit(0);
