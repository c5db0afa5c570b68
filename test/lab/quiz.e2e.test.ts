/**
 * The quiz answers itself with a live run (issue 18), in Debian's Chromium through window.lab:
 * every question is answered (wrong, then right) and its linked lesson is run at its own settings
 * until the lesson's own verdict is pass — a lesson linked by several questions runs once and its
 * pass counts for each. The panel shows right/wrong, the explanation, the run button and "you saw
 * it happen"; the score and answers survive a reload (local storage); `#quiz=<id>` opens a
 * question and survives settings changes. Screenshots of the panel at desktop and phone widths go
 * to artifacts/lab/quiz-*.png.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type LabServer } from '../../src/lab-server.node.js';
import { QUIZ } from '../../src/quiz.js';
import { type LabBrowser, SHOTS, startLab } from './browser.js';

const LESSONS_USED = new Set(QUIZ.map((q) => q.lesson)).size;

interface QuizItem {
  id: string;
  question: string;
  options: string[];
  answer: number;
  lesson: string;
  explanation: string;
}
type Lab = {
  quiz(): QuizItem[];
  answer(id: string, option: number): { correct: boolean; explanation: string; lesson: string };
  startLesson(id: string): void;
  stop(): void;
  set(s: Record<string, unknown>): void;
  snapshot(): { lesson: { id: string; verdict: 'pending' | 'pass' | 'fail'; evidence: string } | null };
};
const lab = <T>(page: Page, fn: (lab: Lab, arg: any) => T, arg?: unknown) =>
  page.evaluate(([f, a]) => new Function('lab', 'arg', `return (${f})(lab, arg)`)((window as unknown as { lab: Lab }).lab, a) as T, [fn.toString(), arg] as const);

const ready = (page: Page) => page.waitForFunction(() => (window as unknown as { gradlab?: { ready: boolean } }).gradlab?.ready === true, null, { timeout: 60_000 });

describe('lab: the quiz answers itself with a live run', () => {
  let server: LabServer;
  let b: LabBrowser;
  let origin: string;

  beforeAll(async () => {
    ({ server, b, origin } = await startLab({ width: 1280, height: 800 }));
    await b.page.goto(origin + '/');
    await ready(b.page);
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  it('window.lab.quiz() lists the library’s questions', async () => {
    const qs = await lab(b.page, (l) => l.quiz());
    expect(qs).toEqual(QUIZ.map(({ id, question, options, answer, lesson, explanation }) => ({ id, question, options, answer, lesson, explanation })));
    expect(qs.length).toBeGreaterThanOrEqual(12);
  });

  it('window.lab.answer names the problem with a bad id or option', async () => {
    await expect(lab(b.page, (l) => l.answer('no-such-question', 0))).rejects.toThrow(/Unknown quiz question 'no-such-question'/);
    await expect(lab(b.page, (l) => l.answer('zero-init', 7))).rejects.toThrow(/option must be an integer from 0 to 3, got 7/);
  });

  it('every question: answered wrong then right, and its lesson passes at its own settings', async () => {
    const t0 = Date.now();
    const passed = new Map<string, string>();
    for (const q of QUIZ) {
      const wrong = (q.answer + 1) % q.options.length;
      const w = await lab(b.page, (l, a) => l.answer(a[0], a[1]), [q.id, wrong]);
      expect(w).toEqual({ correct: false, explanation: q.explanation, lesson: q.lesson });
      expect(await b.page.getAttribute('#quiz-feedback', 'data-correct')).toBe('false');
      const r = await lab(b.page, (l, a) => l.answer(a[0], a[1]), [q.id, q.answer]);
      expect(r).toEqual({ correct: true, explanation: q.explanation, lesson: q.lesson });
      // The panel shows the question, the verdict on the answer, the explanation and the run button.
      expect(await b.page.textContent('.quiz-form legend')).toBe(q.question);
      expect(await b.page.getAttribute('#quiz-feedback', 'data-correct')).toBe('true');
      expect(await b.page.textContent('#quiz-feedback')).toContain(q.explanation);
      expect(await b.page.getAttribute('.quiz-run', 'data-quiz-lesson')).toBe(q.lesson);
      expect(new URL(b.page.url()).hash).toBe(`#quiz=${q.id}`);

      if (!passed.has(q.lesson)) {
        const t1 = Date.now();
        await lab(b.page, (l, id) => l.startLesson(id), q.lesson);
        await b.page.waitForFunction(
          (id) => {
            const s = (window as unknown as { lab: Lab }).lab.snapshot().lesson;
            return s?.id === id && (s.verdict === 'pass' || s.verdict === 'fail');
          },
          q.lesson,
          { timeout: 120_000, polling: 250 },
        );
        const s = (await lab(b.page, (l) => l.snapshot())).lesson!;
        await lab(b.page, (l) => l.stop());
        expect(s.verdict, `${q.id} → lesson ${q.lesson}:\n${s.evidence}`).toBe('pass');
        expect(Date.now() - t1).toBeLessThan(120_000);
        passed.set(q.lesson, s.evidence);
      }
      // "You saw it happen": the panel shows the lesson's pass for this question.
      await b.page.waitForSelector('#quiz-lesson-status[data-verdict="pass"]', { timeout: 5_000 });
      expect(await b.page.textContent('#quiz-lesson-status')).toContain('You saw it happen');
    }
    expect(await b.page.textContent('#quiz-score')).toMatch(new RegExp(`^Score: ${QUIZ.length} right of ${QUIZ.length} \\(${QUIZ.length} answered\\) · lessons seen: ${LESSONS_USED} of ${LESSONS_USED}$`));
    expect(Date.now() - t0).toBeLessThan(200_000);
  }, 240_000);

  it('the run button in the panel runs the linked lesson', async () => {
    await b.page.goto(`${origin}/#quiz=softmax-sigmoid`);
    await ready(b.page);
    await b.page.click('.quiz-run');
    // The lesson banner offers the way back to the question.
    await b.page.click('#lesson-banner .quiz-back');
    expect(await b.page.evaluate(() => (window as unknown as { gradlab: { lesson: string | null } }).gradlab.lesson)).toBe('softmax-output');
    await b.page.waitForSelector('#quiz-lesson-status[data-verdict="pass"]', { timeout: 60_000 });
    await lab(b.page, (l) => l.stop());
  }, 90_000);

  it('keeps answers and score across a reload; #quiz=<id> opens a question and survives settings changes', async () => {
    await b.page.goto(`${origin}/#quiz=he-relu`);
    await ready(b.page);
    expect(await b.page.textContent('.quiz-form legend')).toBe(QUIZ.find((q) => q.id === 'he-relu')!.question);
    expect(await b.page.textContent('#quiz-score')).toMatch(new RegExp(`^Score: ${QUIZ.length} right of ${QUIZ.length} \\(${QUIZ.length} answered\\) · lessons seen: ${LESSONS_USED} of ${LESSONS_USED}$`));
    // The lesson seen passing earlier is remembered too.
    expect(await b.page.getAttribute('#quiz-lesson-status', 'data-verdict')).toBe('pass');
    expect(await b.page.$$eval('.quiz-dot.right', (d) => d.length)).toBe(QUIZ.length);
    await lab(b.page, (l) => l.set({ seed: 7 }));
    const u = new URL(b.page.url());
    expect(u.hash).toBe('#quiz=he-relu');
    expect(u.searchParams.get('seed')).toBe('7');
    // A wrong answer through the page's own form.
    await b.page.check('#quiz-opt-1');
    await b.page.click('.quiz-form button[type=submit]');
    expect(await b.page.getAttribute('#quiz-feedback', 'data-correct')).toBe('false');
    expect(await b.page.textContent('#quiz-score')).toMatch(new RegExp(`^Score: ${QUIZ.length - 1} right of ${QUIZ.length} \\(${QUIZ.length} answered\\)`));
  }, 90_000);

  it('screenshots of the quiz panel at desktop and phone widths', async () => {
    await b.page.goto(`${origin}/#quiz=vanishing-cause`);
    await ready(b.page);
    await b.page.check('#quiz-opt-0');
    await b.page.click('.quiz-form button[type=submit]');
    for (const [name, vp] of [['desktop', { width: 1280, height: 800 }], ['phone', { width: 390, height: 844 }]] as const) {
      await b.page.setViewportSize(vp);
      await b.page.waitForTimeout(300);
      const card = b.page.locator('#quiz-card');
      await card.screenshot({ path: join(SHOTS, `quiz-${name}.png`) });
      // Nothing of the panel sticks out of the viewport sideways.
      const box = await card.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(vp.width);
      const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    expect(b.errors).toEqual([]);
  }, 60_000);

  it('a damaged or foreign save in local storage is ignored, not fatal', async () => {
    for (const saved of ['{not json', '{"answers":{"zero-init":99,"he-relu":"1","xavier":3,"gone":0},"seen":{"zero-init":{"step":"x"},"exploding":{"step":5}}}', '[]', 'null']) {
      await b.page.evaluate((v) => localStorage.setItem('gradlab.quiz.v1', v), saved);
      // goto to the same path with another hash does not reload the page: reload it.
      await b.page.goto(`${origin}/#quiz=xavier`);
      await b.page.reload();
      await ready(b.page);
      expect(await b.page.textContent('.quiz-form legend')).toBe(QUIZ.find((q) => q.id === 'xavier')!.question);
      const text = await b.page.textContent('#quiz-score');
      // Only the valid answer (xavier: option 3, the right one) and the valid seen lesson survive.
      if (saved.startsWith('{"answers"')) expect(text).toMatch(/^Score: 1 right of \d+ \(1 answered\) · lessons seen: 1 of /);
      else expect(text).toMatch(/^Score: 0 right of \d+ \(0 answered\) · lessons seen: 0 of /);
    }
    expect(b.errors).toEqual([]);
  }, 60_000);
  it('two tabs answering different questions keep both answers (neither tab overwrites the other)', async () => {
    await b.page.evaluate(() => localStorage.removeItem('gradlab.quiz.v1'));
    const [q1, q2] = QUIZ;
    await b.page.goto(`${origin}/#quiz=${q1.id}`);
    await b.page.reload();
    await ready(b.page);
    // Tab B opens while A has answered nothing yet: its copy of the progress is empty.
    const tab = await b.context.newPage();
    try {
      await tab.goto(`${origin}/#quiz=${q2.id}`);
      await ready(tab);
      await b.page.check(`#quiz-opt-${q1.answer}`);
      await b.page.click('.quiz-form button[type=submit]');
      await tab.check(`#quiz-opt-${q2.answer}`);
      await tab.click('.quiz-form button[type=submit]');
      const saved = JSON.parse((await b.page.evaluate(() => localStorage.getItem('gradlab.quiz.v1')))!) as { answers: Record<string, number> };
      expect(saved.answers).toEqual({ [q1.id]: q1.answer, [q2.id]: q2.answer });
      expect(await tab.textContent('#quiz-score')).toMatch(/^Score: 2 right of \d+ \(2 answered\)/);
    } finally {
      await tab.close();
    }
    expect(b.errors).toEqual([]);
  }, 60_000);
});
