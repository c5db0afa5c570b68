/**
 * Lessons left running on the seeds where they once told an untruth (bench/lesson-seeds.mjs, ten
 * seeds per lesson, to step 12,000–30,000), driven in Debian's Chromium as a student does: open
 * the lesson, change the seed in the form, let it train. Every change of the verdict box is
 * recorded (a MutationObserver, so a verdict shown for one update is caught): after its first
 * judgement the verdict never flips, and the page shows what the verdict's evidence says.
 * xavier-depth30 seed 0 learned the circles at step ~2,400 (the claim is now about its first
 * 1,200 steps), leaky-relu seed 4 swung to 71.7% at step 3,670 (the claim: reached 85%, no dead
 * units), clipping seed 7 killed hidden layers 4–6 at step 105 (the claim: above 65% unless
 * a layer is entirely dead), overfitting seed 6 lost its overfitting finding for steps 12,993–13,710
 * (the claim: the finding once reported, medians of three), selu seed 4's one-batch |mean| crossed
 * 1 from step 1,051 on, flipping the verdict dozens of times by step 2,700 (the bounds: ±2, σ 0.25–5).
 * Screenshots: artifacts/lab/lessonseeds-*.png.
 */
import { describe, expect, it } from 'vitest';
import { judged, leaveRunning, useLab } from './browser.js';

describe('lessons left running on the seeds that once flipped', () => {
  const lab = useLab({ width: 1280, height: 900 });

  it('xavier-depth30, seed 0: at chance through step 1,200, and the pass stays when the net learns later', async () => {
    const r = await leaveRunning(lab.b.page, 'xavier-depth30', 0, 2800, 80_000);
    const v = judged(r.shown);
    expect(v.map((s) => s.verdict), JSON.stringify(r.shown)).toEqual(['pass']);
    expect(r.end.verdict).toBe('pass');
    expect(r.end.head).toMatch(/^✓ The claim holds \(seed 0, step \d+\)$/);
    // The evidence is the first 1,200 steps' and says so; the charts have moved on (this seed learns by ~2,400).
    const at = Number(/test accuracy [\d.]+% at step (\d+)/.exec(r.end.evidence)![1]);
    expect(at).toBeLessThanOrEqual(1200);
    expect(r.end.evidence).toContain('the claim is about the first 1,200 steps');
    const late = r.evals.filter((e) => e.step > 2500).map((e) => e.testAcc);
    expect(Math.max(...late)).toBeGreaterThan(0.8);
    expect(lab.b.errors).toEqual([]);
  }, 90_000);

  it('leaky-relu, seed 4: the accuracy swings after reaching 85% and the verdict does not flip', async () => {
    const r = await leaveRunning(lab.b.page, 'leaky-relu', 4, 5000, 60_000);
    expect(judged(r.shown).map((s) => s.verdict), JSON.stringify(r.shown)).toEqual(['pass']);
    // Whether an evaluation lands in the swing the lesson's text warns about (71.7% as the median
    // of three at step 3,670 on the loaded machine) depends on the machine's speed: the page
    // evaluates on a clock, not every k steps. Reaching 85% does not.
    const after = r.evals.filter((e) => e.step > 2000).map((e) => e.testAcc);
    expect(Math.max(...after)).toBeGreaterThanOrEqual(0.85);
    expect(r.end.evidence).toMatch(/✓ test accuracy has reached 85\.0%: best test accuracy (8[5-9]|9\d|100)\.\d%/);
    expect(r.end.evidence).toContain('✓ no dead-units finding');
    expect(lab.b.errors).toEqual([]);
  }, 90_000);

  it('clipping, seed 7: finite throughout, at chance with a dead hidden layer, and the verdict names the dead layer', async () => {
    const r = await leaveRunning(lab.b.page, 'clipping', 7, 3000, 60_000);
    expect(judged(r.shown).map((s) => s.verdict), JSON.stringify(r.shown)).toEqual(['pass']);
    expect(r.end.evidence).toMatch(/test accuracy 50\.0% at step \d+.*; every unit of hidden \d · ReLU \(module \d+\) outputs 0 on every example of the batch/);
    // The page shows it: the metrics at chance and the dead-units finding among the health findings.
    expect(r.metrics).toMatch(/Test acc\.\s*50\.0%/);
    expect(r.findings).toContain('dead-units');
    expect(lab.b.errors).toEqual([]);
  }, 90_000);

  it('overfitting, seed 6: the finding lapses for a while (60 test examples) and the verdict does not flip; the metrics show the gap', async () => {
    const r = await leaveRunning(lab.b.page, 'overfitting', 6, 14_000, 80_000);
    expect(judged(r.shown).map((s) => s.verdict), JSON.stringify(r.shown)).toEqual(['pass']);
    expect(r.end.evidence).toMatch(/✓ the overfitting finding has been reported: the test loss rose from its best: Validation loss rose from/);
    // The metrics line shows what the verdict reads: training accuracy far above test, the test loss above ln 2.
    const train = Number(/Train acc\.\s*([\d.]+)%/.exec(r.metrics)?.[1]);
    const test = Number(/Test acc\.\s*([\d.]+)%/.exec(r.metrics)?.[1]);
    const testLoss = Number(/Test loss\s*([\d.]+)/.exec(r.metrics)?.[1]);
    expect(train - test, r.metrics).toBeGreaterThanOrEqual(15);
    expect(testLoss, r.metrics).toBeGreaterThan(Math.LN2);
    expect(lab.b.errors).toEqual([]);
  }, 90_000);

  it('selu, seed 4: a batch’s mean wanders past 1 around the fixed point, and the verdict does not flip', async () => {
    const r = await leaveRunning(lab.b.page, 'selu', 4, 2700, 70_000);
    expect(judged(r.shown).map((s) => s.verdict), JSON.stringify(r.shown)).toEqual(['pass']);
    const mu = Number(/largest \|mean\| ([\d.]+)/.exec(r.end.evidence)![1]);
    expect(mu).toBeLessThan(2);
    expect(r.end.evidence).toContain('the claim is about the first 5,000 steps');
    expect(lab.b.errors).toEqual([]);
  }, 85_000);
});
