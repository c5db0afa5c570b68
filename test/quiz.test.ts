/**
 * The quiz's one list (src/quiz.ts): well-formed questions, each tied to a lab lesson and to
 * experiments that exist, answers judged with clear errors for bad input, and the experiment
 * page ending with its questions. The browser side is test/lab/quiz.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { QUIZ, checkAnswer, quizForExperiment, quizQuestion } from '../src/quiz.js';
import { EXPERIMENT_NAMES } from '../src/experiments/index.js';
import { LESSONS } from '../lab/src/lessons.js';
import { renderExperiment } from '../src/report/experiment.js';
import type { ExperimentResult } from '../src/experiments/types.js';
import * as gradlab from '../src/index.js';

describe('quiz questions', () => {
  it('has at least 12 well-formed questions with unique, URL-safe ids', () => {
    expect(QUIZ.length).toBeGreaterThanOrEqual(12);
    const ids = QUIZ.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const q of QUIZ) {
      expect(q.id).toMatch(/^[a-z0-9-]+$/);
      expect(q.options.length, q.id).toBeGreaterThanOrEqual(3);
      expect(new Set(q.options).size, q.id).toBe(q.options.length);
      expect(Number.isInteger(q.answer) && q.answer >= 0 && q.answer < q.options.length, q.id).toBe(true);
      expect(q.question.length, q.id).toBeGreaterThan(10);
      expect(q.explanation.length, q.id).toBeGreaterThan(40);
    }
  });

  it('does not always put the right answer in the same place', () => {
    const counts = [0, 0, 0, 0];
    for (const q of QUIZ) counts[q.answer]++;
    expect(counts.filter((c) => c > 0).length).toBe(4);
    expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(QUIZ.length / 2));
  });

  it('covers every topic the issue lists', () => {
    const topics = QUIZ.map((q) => `${q.topic} ${q.question}`.toLowerCase());
    const need = [
      'why initialization matters',
      'zero',
      'constant',
      'xavier',
      'he (kaiming)',
      'selu',
      'vanishing-gradient problem',
      'saturation',
      'exploding',
      'clipping',
      'batchnorm',
      'adam',
      'dying relu',
      'leaky relu',
      'running',
      'overfitting',
      'underfitting',
      'softmax',
    ];
    for (const n of need) expect(topics.some((t) => t.includes(n)) || QUIZ.some((q) => q.options.join(' ').toLowerCase().includes(n)), n).toBe(true);
  });

  it('links every question to a lab lesson and to experiments that exist', () => {
    const lessons = new Set(LESSONS.map((l) => l.id));
    for (const q of QUIZ) {
      expect(lessons.has(q.lesson), `${q.id} → lesson ${q.lesson}`).toBe(true);
      for (const e of q.experiments) expect(EXPERIMENT_NAMES, `${q.id} → experiment ${e}`).toContain(e);
    }
    // Every experiment page ends with at least one question.
    for (const e of EXPERIMENT_NAMES) expect(quizForExperiment(e).length, e).toBeGreaterThan(0);
  });
});

describe('public API', () => {
  it('exports the questions and the checker from gradlab', () => {
    expect(gradlab.QUIZ).toBe(QUIZ);
    expect(gradlab.checkAnswer('he-relu', 0).correct).toBe(true);
    expect(gradlab.quizForExperiment('he-2015').map((q) => q.id)).toEqual(['init-matters', 'xavier', 'he-relu']);
  });
});

describe('checkAnswer', () => {
  it('judges right and wrong answers and returns the explanation and lesson', () => {
    for (const q of QUIZ) {
      expect(checkAnswer(q.id, q.answer)).toEqual({ correct: true, explanation: q.explanation, lesson: q.lesson });
      expect(checkAnswer(q.id, (q.answer + 1) % q.options.length).correct).toBe(false);
    }
  });

  it('names the problem for an unknown id or an option out of range', () => {
    expect(() => checkAnswer('no-such', 0)).toThrow(/Unknown quiz question 'no-such'. Valid questions: init-matters, /);
    expect(() => quizQuestion('')).toThrow(/Unknown quiz question ''/);
    for (const bad of [-1, 4, 1.5, NaN, Infinity, '1' as unknown as number, null as unknown as number]) {
      expect(() => checkAnswer('zero-init', bad)).toThrow(/Quiz question 'zero-init': option must be an integer from 0 to 3, got /);
    }
  });
});

describe('experiment page', () => {
  const result = (name: string): ExperimentResult => ({
    name,
    title: 'A <title>',
    claim: 'claim',
    citation: 'cite',
    config: {},
    measurements: { series: [], tables: [] },
    verdict: { reproduced: true, checks: [], summary: 'ok' },
  });

  it('ends with the questions the experiment answers, answers folded', () => {
    const html = renderExperiment(result('zero-init'));
    const at = html.indexOf('<h2>Check your understanding</h2>');
    expect(at).toBeGreaterThan(html.indexOf('<h2>Configuration</h2>'));
    for (const q of quizForExperiment('zero-init')) {
      expect(html).toContain(`id="quiz-${q.id}"`);
      expect(html).toContain(`#quiz=${q.id}`);
      expect(html).toContain('<details><summary>Answer</summary>');
    }
    expect(quizForExperiment('zero-init').map((q) => q.id)).toEqual(['zero-init', 'constant-init']);
    expect(html).not.toMatch(/<script/i);
  });

  // zero-init's "After training" table showed test accuracies 0.5000, 0.6400 and 1.
  it('writes a column that holds fractions with four decimals throughout, its whole numbers too', () => {
    const r = result('unnamed');
    r.measurements.tables.push({ title: 'After training', columns: ['init', 'units', 'test accuracy'], rows: [['zeros', 1, 0.5], ['Xavier', 16, 1]] });
    const html = renderExperiment(r);
    expect(html).toContain('<tr><td>zeros</td><td>1</td><td>0.5000</td></tr>');
    expect(html).toContain('<tr><td>Xavier</td><td>16</td><td>1.0000</td></tr>');
  });

  it('has no quiz section for an experiment no question names', () => {
    expect(renderExperiment(result('unnamed'))).not.toContain('Check your understanding');
  });
});
