// Every lab lesson on its own seed and two others, driven in headless Chromium through
// window.lab: prints lesson, seed, verdict, steps, seconds and the evidence; screenshots
// to artifacts/lab/seeds-<id>-<seed>.png. Usage: node bench/lesson-seeds.mjs [id ...] [--seeds 1,2,3] [--steps N]
// (needs `npm run build:lab`; seeds default: the lesson's own, +1000, +2000, or its own three times
// when the lesson keeps its seed; --steps: once the
// verdict is in, train on to step N and print the verdict shown then as well, a student leaving it running).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serveLab } from '../dist/lab-server.node.js';

const ROOT = resolve(import.meta.dirname, '..');
const SHOTS = join(ROOT, 'artifacts', 'lab');
mkdirSync(SHOTS, { recursive: true });
const args = process.argv.slice(2);
const si = args.indexOf('--seeds');
const seedsArg = si >= 0 ? args.splice(si, 2)[1].split(',').map(Number) : null;
const ni = args.indexOf('--steps');
const longSteps = ni >= 0 ? Number(args.splice(ni, 2)[1]) : 0;
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
for (const id of ids) {
  const own = await page.evaluate((i) => { window.lab.startLesson(i); return window.gradlab.state.seed; }, id);
  // A lesson that keeps its own seed (its data draw): three repeated runs.
  const anySeed = lessons.find((l) => l.id === id).anySeed;
  for (const seed of anySeed ? seedsArg ?? [own, own + 1000, own + 2000] : [own, own, own]) {
    const t0 = Date.now();
    await page.evaluate(([i, s]) => { window.lab.startLesson(i); if (s !== window.gradlab.state.seed) { window.lab.set({ seed: s }); window.lab.start(); } }, [id, seed]);
    try {
      await page.waitForFunction(() => ['pass', 'fail'].includes(window.lab.snapshot().lesson?.verdict), null, { timeout: 150_000, polling: 500 });
    } catch { /* timed out: reported as pending */ }
    const read = () => page.evaluate(() => ({ ...window.lab.snapshot().lesson, step: window.gradlab.step, head: document.querySelector('#lesson-verdict strong')?.textContent }));
    const s = await read();
    if (longSteps > 0) {
      await page.waitForFunction((n) => window.gradlab.step >= n || !window.gradlab.running, longSteps, { timeout: 300_000, polling: 1000 }).catch(() => {});
      const l = await read();
      console.log(`${id}\tseed ${seed}\tat step ${l.step}: ${l.verdict}\t${l.head}\t${l.evidence.replace(/\n/g, ' | ')}`);
    }
    await page.evaluate(() => window.lab.stop());
    await page.screenshot({ path: join(SHOTS, `seeds-${id}-${seed}.png`), fullPage: true, timeout: 90_000 }).catch((e) => console.log(`(no screenshot: ${e.message.split('\n')[0]})`));
    console.log(`${id}\tseed ${seed}\t${s.verdict}\tstep ${s.step}\t${((Date.now() - t0) / 1000).toFixed(0)} s\t${s.evidence.replace(/\n/g, ' | ')}`);
  }
}
console.log(`console/page errors: ${errors.length}${errors.length ? '\n' + errors.join('\n') : ''}`);
await browser.close();
await server.close();
