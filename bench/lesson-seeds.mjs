// Every lab lesson on several seeds, driven in headless Chromium through window.lab, as a student
// who opens a lesson and leaves it running. Per lesson and seed it prints the verdict at its first
// judgement (the first pass or fail, and its step), the verdict at the end, and every flip after the
// first judgement (each change of the verdict box's data-verdict, seen by a MutationObserver, so a
// verdict shown for a single update is caught) with the step and the evidence at the flip;
// screenshots to artifacts/lab/seeds-<id>-<seed>.png, and -flip.png at the first flip; the verdicts
// and the evaluations (step, losses, accuracies) to seeds-<id>-<seed>.json.
// Usage: node bench/lesson-seeds.mjs [id ...] [--seeds 1,2,3] [--steps N] [--tsv file]
// (needs `npm run build:lab`; seeds default: the lesson's own, +1000, +2000, or its own three times
// when the lesson keeps its seed; --steps: train on to step N — at least to the lesson's `until`
// — however long that takes, a student leaving it running; --tsv appends one line per run).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serveLab } from '../dist/lab-server.node.js';

const ROOT = resolve(import.meta.dirname, '..');
const SHOTS = join(ROOT, 'artifacts', 'lab');
mkdirSync(SHOTS, { recursive: true });
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const seedsArg = flag('--seeds')?.split(',').map(Number) ?? null;
const longSteps = Number(flag('--steps') ?? 0);
const tsv = flag('--tsv');
const server = await serveLab({ dir: join(ROOT, 'dist', 'lab'), port: 0, host: '127.0.0.1' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
const errors = [];
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
page.on('pageerror', (e) => errors.push(String(e)));
await page.goto(server.url);
await page.waitForFunction(() => window.gradlab?.ready === true, null, { timeout: 60_000 });
const lessons = await page.evaluate(() => window.lab.lessons());
const ids = args.length ? args : lessons.map((l) => l.id);
const oneLine = (s) => (s ?? '').replace(/\n/g, ' | ');
for (const id of ids) {
  const own = await page.evaluate((i) => { window.lab.startLesson(i); return window.gradlab.state.seed; }, id);
  // A lesson that keeps its own seed (its data draw): repeated runs on it.
  const anySeed = lessons.find((l) => l.id === id).anySeed;
  const seeds = anySeed ? seedsArg ?? [own, own + 1000, own + 2000] : (seedsArg ?? [0, 1, 2]).map(() => own);
  for (const seed of seeds) {
    const t0 = Date.now();
    await page.evaluate(([i, s]) => {
      window.lab.stop();
      window.__verdicts = [];
      window.__obs?.disconnect();
      window.lab.startLesson(i);
      if (s !== window.gradlab.state.seed) { window.lab.set({ seed: s }); window.lab.start(); }
      // Every change of the shown verdict, with the step and the evidence shown with it.
      const record = () => {
        const box = document.getElementById('lesson-verdict');
        const v = box?.dataset.verdict;
        const log = window.__verdicts;
        if (v && (log.length === 0 || log[log.length - 1].verdict !== v)) log.push({ verdict: v, step: window.gradlab.step, head: box.querySelector('strong')?.textContent, evidence: box.querySelector('pre')?.textContent });
      };
      window.__obs = new MutationObserver(record);
      window.__obs.observe(document.getElementById('lesson-banner'), { attributes: true, subtree: true, childList: true, attributeFilter: ['data-verdict'] });
      record();
    }, [id, seed]);
    const target = longSteps;
    // Until the first judgement, then on to the target step (or the run stops).
    await page.waitForFunction(() => window.__verdicts.some((v) => v.verdict !== 'pending') || !window.gradlab.running && window.gradlab.step > 0, null, { timeout: 600_000, polling: 1000 }).catch(() => {});
    let flipShot = false;
    for (;;) {
      const st = await page.evaluate(() => ({ step: window.gradlab.step, running: window.gradlab.running, log: window.__verdicts }));
      const first = st.log.findIndex((v) => v.verdict !== 'pending');
      if (!flipShot && first >= 0 && st.log.length > first + 1) {
        flipShot = true;
        await page.screenshot({ path: join(SHOTS, `seeds-${id}-${seed}-flip.png`), fullPage: true, timeout: 90_000 }).catch(() => {});
      }
      if (st.step >= target || !st.running) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const end = await page.evaluate(() => {
      window.lab.stop();
      const box = document.getElementById('lesson-verdict');
      return { step: window.gradlab.step, verdict: box.dataset.verdict, head: box.querySelector('strong')?.textContent, evidence: box.querySelector('pre')?.textContent, log: window.__verdicts, evals: window.gradlab.evals };
    });
    writeFileSync(join(SHOTS, `seeds-${id}-${seed}.json`), JSON.stringify({ id, seed, verdicts: end.log, evals: end.evals }));
    await page.screenshot({ path: join(SHOTS, `seeds-${id}-${seed}.png`), fullPage: true, timeout: 90_000 }).catch((e) => console.log(`(no screenshot: ${e.message.split('\n')[0]})`));
    const fi = end.log.findIndex((v) => v.verdict !== 'pending');
    const first = fi >= 0 ? end.log[fi] : null;
    const flips = fi >= 0 ? end.log.slice(fi + 1) : [];
    const secs = ((Date.now() - t0) / 1000).toFixed(0);
    const line = [id, seed, first ? `${first.verdict}@${first.step}` : 'never judged', `${end.verdict}@${end.step}`, flips.length ? flips.map((f) => `${f.verdict}@${f.step}`).join(',') : '-', `${secs}s`, oneLine(end.evidence)];
    console.log(line.join('\t'));
    for (const f of flips) console.log(`   flip to ${f.verdict} at step ${f.step}: ${f.head} — ${oneLine(f.evidence)}`);
    if (first) console.log(`   first ${first.verdict} at step ${first.step}: ${oneLine(first.evidence)}`);
    if (tsv) appendFileSync(tsv, `${line.join('\t')}\t${flips.map((f) => `${f.verdict}@${f.step}: ${oneLine(f.evidence)}`).join(' || ')}\n`);
  }
}
console.log(`console/page errors: ${errors.length}${errors.length ? '\n' + errors.join('\n') : ''}`);
await browser.close();
await server.close();
