import { test } from 'vitest';
import { loadData } from '../../lab/src/data.js';
import { buildLabModel } from '../../lab/src/model.js';
import { parseState, DEFAULT_STATE } from '../../lab/src/state.js';
import { fit, evaluate } from '../../src/train/index.js';
import { manualSeed } from '../../src/index.js';

const CANDS = (process.env.CANDS ?? '').split('|').filter(Boolean);
const STEPS = Number(process.env.STEPS ?? 3000);
test('explore', async () => {
  for (const q of CANDS) {
    const st = parseState(q, DEFAULT_STATE);
    const data = await loadData(st);
    manualSeed(st.seed);
    const model = buildLabModel(st, data.inputDim, data.numClasses);
    const epochs = Math.ceil((STEPS * st.batchSize) / data.train.x.shape[0]);
    const t0 = performance.now();
    const r = await fit(model, data.train, { epochs, batchSize: st.batchSize, optimizer: st.optimizer, lr: st.lr, seed: st.seed, validationData: data.test, metrics: ['accuracy'], ...(st.clip > 0 ? { clipGradNorm: st.clip } : {}), monitor: { every: 50 }, yieldEvery: 0 });
    const ep = r.history.epochs;
    const accs = [0.1, 0.25, 0.5, 0.75, 1].map((f) => ep[Math.max(0, Math.round(f * ep.length) - 1)]?.valMetrics?.accuracy?.toFixed(2));
    const acts = r.monitors.layers.filter((l) => l.activation && l.activation !== 'softmax');
    const st0 = (l: any) => { const s = l.samples[l.samples.length - 1]?.activation; return s ? `${s.mean.toFixed(2)}/${s.std.toFixed(2)}` : '-'; };
    const actsTxt = acts.length ? `${st0(acts[0])} ${st0(acts[Math.floor(acts.length/2)])} ${st0(acts[acts.length - 1])}` : '';
    console.log(`RES ${q} | steps ${r.history.steps.length} ${(performance.now()-t0).toFixed(0)}ms | acc ${accs.join(',')} | loss ${ep.at(-1)?.loss.toFixed(3)} | act μ/σ ${actsTxt} | ${r.stopReason} | ${r.findings.map((f) => f.rule + ':' + f.status).join(',')}`);
  }
}, 600000);
