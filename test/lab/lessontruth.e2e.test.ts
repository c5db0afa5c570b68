/**
 * A lesson's verdict says what the page shows, driven as a student drives it in Debian's
 * Chromium: the mouse runs the lesson, the verdict's pass comes with the numbers on the page
 * that make the claim true, it keeps following the run (its step moves on), another seed typed
 * into the form is judged as well (pending, saying why, for the lesson whose data the seed draws), and a changed learning rate turns it back to pending at once
 * (no stale pass). The quiz answered with the keyboard only gives the right feedback. No console
 * or page errors. Screenshots: artifacts/lab/lessontruth-*.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { QUIZ } from '../../src/quiz.js';
import { SHOTS, pause, useLab } from './browser.js';

type W = { lab: { snapshot(): { lesson: { id: string; verdict: string; evidence: string } | null } }; gradlab: { step: number; state: { seed: number; lr: number } } };
/** The verdict box and the metrics line as one reading (one moment of the page). */
const read = (p: Page) =>
  p.evaluate(() => {
    const box = document.getElementById('lesson-verdict')!;
    return { verdict: box.dataset.verdict, head: box.querySelector('strong')!.textContent!, evidence: box.querySelector('pre')!.textContent!, text: document.getElementById('metrics')!.textContent!, step: (window as unknown as W).gradlab.step };
  });
const verdictIs = (p: Page, v: string, timeout = 60_000) =>
  p.waitForFunction((x) => document.getElementById('lesson-verdict')?.dataset.verdict === x, v, { timeout, polling: 200 });

describe('lesson verdicts agree with the page', () => {
  const lab = useLab({ width: 1280, height: 900 });

  it('a pass shows the numbers that make it true, keeps following the run, any seed is judged, a changed setting is pending at once', async () => {
    const p = lab.b.page;
    await p.click('button[data-lesson="softmax-output"]');
    await verdictIs(p, 'pass');
    const r = await read(p);
    // The claim: test accuracy ≥ 90% and test loss below ½ ln 3, read off the metrics line shown with it.
    const acc = Number(/Test acc\.\s*([\d.]+)%/.exec(r.text)?.[1]);
    const loss = Number(/Test loss\s*([\d.]+)/.exec(r.text)?.[1]);
    expect(acc, r.text).toBeGreaterThanOrEqual(90);
    expect(loss, r.text).toBeLessThan(Math.log(3) / 2);
    expect(r.head).toMatch(/^✓ The claim holds \(seed 1, step \d+\)$/);
    // The metrics say which step they were measured at, never later than the run.
    expect(Number(/\(evaluated at step (\d+)\)/.exec(r.text)?.[1])).toBeLessThanOrEqual(r.step);
    // Still judged as training goes on: the step in the verdict moves with the run.
    await p.waitForFunction((s) => (window as unknown as W).gradlab.step > s + 200, r.step, { timeout: 30_000 });
    const later = await read(p);
    expect(later.verdict).toBe('pass');
    expect(Number(/step (\d+)/.exec(later.head)![1])).toBeGreaterThan(Number(/step (\d+)/.exec(r.head)![1]));
    await p.screenshot({ path: join(SHOTS, 'lessontruth-softmax-pass.png') });
    // Running the lesson again starts a fresh run (not the same run carried on), judged afresh.
    const runId = await p.evaluate(() => (window as unknown as { lab: { snapshot(): { runId: number } } }).lab.snapshot().runId);
    await p.click('button[data-lesson="softmax-output"]');
    expect(await p.evaluate(() => (window as unknown as { lab: { snapshot(): { runId: number } } }).lab.snapshot().runId)).toBe(runId + 1);
    await verdictIs(p, 'pass');

    // The softmax lesson's claim needs its own seed (the seed draws the blobs' centres): another one is pending, saying so.
    await p.fill('#in-seed', '7');
    await p.press('#in-seed', 'Enter');
    await p.waitForFunction(() => (window as unknown as W).gradlab.state.seed === 7);
    expect((await read(p)).verdict).toBe('pending');
    expect((await read(p)).evidence).toContain('its seed too');

    // Another lesson judges any seed: typed into the form as a student does, a new run judged on its own.
    await p.click('button[data-lesson="batchnorm-on"]');
    await verdictIs(p, 'pass');
    await p.fill('#in-seed', '1002');
    await p.press('#in-seed', 'Enter');
    await p.waitForFunction(() => (window as unknown as W).gradlab.state.seed === 1002);
    expect((await read(p)).verdict).toBe('pending');
    if (!(await p.evaluate(() => (window as unknown as { gradlab: { running: boolean } }).gradlab.running))) await p.click('#play');
    await verdictIs(p, 'pass');
    expect((await read(p)).head).toMatch(/^✓ The claim holds \(seed 1002, step \d+\)$/);

    // A learning rate the lesson is not about, changed while paused (the run sends nothing):
    // pending at once, saying why, never the old pass.
    await pause(p);
    expect((await read(p)).verdict).toBe('pass');
    await p.fill('#in-lr', '0.5');
    await p.press('#in-lr', 'Enter');
    await p.waitForFunction(() => (window as unknown as W).gradlab.state.lr === 0.5);
    const changed = await read(p);
    expect(changed.verdict).toBe('pending');
    expect(changed.evidence).toContain("The settings differ from the lesson's");
    await p.screenshot({ path: join(SHOTS, 'lessontruth-settings-changed.png') });
    expect(lab.b.errors).toEqual([]);
  }, 120_000);

  it('the quiz answered with the keyboard alone: a wrong answer says which is right, the right one says right', async () => {
    const p = lab.b.page;
    await pause(p);
    const q = QUIZ[0];
    const wrong = q.answer === 0 ? 1 : 0;
    // Tab into the options: the radio group takes the arrow keys, Space selects, Enter submits.
    await p.focus('#quiz-opt-0');
    for (let k = 0; k < wrong; k++) await p.keyboard.press('ArrowDown');
    await p.keyboard.press('Space');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#quiz-feedback');
    expect(await p.getAttribute('#quiz-feedback', 'data-correct')).toBe('false');
    expect(await p.textContent('#quiz-feedback .quiz-result')).toBe(`✗ Not quite — the answer is ${'ABCD'[q.answer]}.`);
    // The run did not start behind the student's back (Space in the quiz is not the Train key).
    expect(await p.evaluate(() => (window as unknown as { gradlab: { running: boolean } }).gradlab.running)).toBe(false);
    await p.focus(`#quiz-opt-${wrong}`);
    for (let k = wrong; k < q.answer; k++) await p.keyboard.press('ArrowDown');
    for (let k = q.answer; k < wrong; k++) await p.keyboard.press('ArrowUp');
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => document.getElementById('quiz-feedback')?.dataset.correct === 'true');
    expect(await p.textContent('#quiz-feedback .quiz-result')).toBe('✓ Right.');
    expect(await p.textContent('#quiz-feedback')).toContain(q.explanation);
    await p.screenshot({ path: join(SHOTS, 'lessontruth-quiz-keyboard.png') });
    expect(lab.b.errors).toEqual([]);
  }, 60_000);
});
