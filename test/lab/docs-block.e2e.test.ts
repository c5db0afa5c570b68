/**
 * README's "Driving the lab from a script" block, copied from the README and run as written in the
 * lab's page (headless Chromium, `lab` = window.lab): it must run without throwing, and each value
 * its comments describe must have that shape. test/docs.test.ts names this file as the block's twin.
 */
import { describe, expect, it } from 'vitest';
import { codeBlocks, keyOf } from '../helpers/docs.js';
import { useLab } from './browser.js';

const block = codeBlocks('README.md').find((b) => keyOf(b) === 'README.md:lab.lessons();');

describe("README's window.lab block in the page", () => {
  const lab = useLab({ width: 1280, height: 800 });

  it('runs as written, and returns what its comments say', async () => {
    expect(block, "README's lab block").toBeDefined();
    const page = lab.b.page;
    // Each statement's value, in order: the block run as a function body with one line changed
    // per line, its first statement `lab.f(…);` → `values.push(lab.f(…));` (the block's own text otherwise).
    const values = await page.evaluate((src) => {
      const values: unknown[] = [];
      const body = src.replace(/^(lab\.\w+\([^\n]*?\));/gm, 'values.push($1);');
      new Function('lab', 'values', body)((window as unknown as { lab: unknown }).lab, values);
      return JSON.parse(JSON.stringify(values));
    }, block!.text);
    const [lessons, , , csv, , snapshot, quiz, answer] = values as [
      Array<{ id: string; title: string; anySeed: boolean }>,
      unknown,
      unknown,
      { name: string; label: string; rows: number; features: string[]; classes: string[] },
      unknown,
      { runId: number; settings: object; steps: number[]; loss: number[]; findings: unknown[]; lesson: unknown },
      Array<{ id: string; question: string; options: string[]; answer: number; lesson: string; explanation: string }>,
      { correct: boolean; explanation: string; lesson: string },
    ];
    expect(values.length).toBe(8); // lab.start(); lab.stop(); is one line: start's value
    expect(lessons[0]).toEqual({ id: 'zero-init', title: 'All-zero weights', anySeed: true });
    expect(csv).toEqual({ name: 'mine.csv', label: 'kind', rows: 40, features: ['x', 'y'], classes: ['a', 'b'] });
    expect(Object.keys(snapshot).sort()).toEqual(['findings', 'lesson', 'loss', 'runId', 'settings', 'steps']);
    expect(Object.keys(quiz[0]).sort()).toEqual(['answer', 'explanation', 'id', 'lesson', 'options', 'question']);
    expect(Object.keys(answer).sort()).toEqual(['correct', 'explanation', 'lesson']);
    expect(lab.b.errors).toEqual([]);
  }, 120_000);
});
