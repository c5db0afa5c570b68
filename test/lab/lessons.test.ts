/**
 * A lesson's verdict follows the run as the page shows it (lab/src/lessons.ts judgeLesson): pending
 * before its first step, pass while every check holds, fail once a claim that held stops holding
 * (never a stale pass), and fail when it has not held by its last step.
 */
import { describe, expect, it } from 'vitest';
import { LESSONS, judgeLesson, type LessonMeasurements, type LessonVerdict } from '../../lab/src/lessons.js';

const softmax = LESSONS.find((l) => l.id === 'softmax-output')!;
/** The run at `step`, last evaluated there with test accuracy `acc` and test loss `loss`. */
const at = (step: number, acc: number, loss: number): LessonMeasurements => ({
  step,
  evals: [{ step, trainLoss: loss, testLoss: loss, trainAcc: acc, testAcc: acc }],
  layers: null,
  firstLayers: null,
  findings: [],
  healthStep: step,
});

describe('judgeLesson', () => {
  it('is pending before the lesson’s first step, even when the numbers already hold', () => {
    expect(judgeLesson(softmax, at(softmax.from - 1, 0.99, 0.05), null).verdict).toBe('pending');
  });

  it('passes while the claim holds and fails, naming the step it held at, once it no longer does', () => {
    let v: LessonVerdict | null = null;
    v = judgeLesson(softmax, at(100, 0.95, 0.2), v);
    expect(v).toMatchObject({ verdict: 'pass', heldAt: 100, step: 100 });
    v = judgeLesson(softmax, at(400, 0.97, 0.1), v);
    expect(v).toMatchObject({ verdict: 'pass', heldAt: 100, step: 400 });
    // A later evaluation below the claim (a student kept it running at a bad learning rate).
    v = judgeLesson(softmax, at(700, 0.6, 0.9), v);
    expect(v.verdict).toBe('fail');
    expect(v.heldAt).toBe(100);
    expect(v.evidence).toContain('✗ test accuracy ≥ 90.0%: test accuracy 60.0% at step 700');
    // And back: the verdict is the charts' state, not a latch.
    expect(judgeLesson(softmax, at(900, 0.95, 0.2), v).verdict).toBe('pass');
  });

  it('fails when the claim has not held by the lesson’s last step, pending before it', () => {
    expect(judgeLesson(softmax, at(softmax.until - 1, 0.5, 1), null).verdict).toBe('pending');
    expect(judgeLesson(softmax, at(softmax.until, 0.5, 1), null).verdict).toBe('fail');
  });

  it('judges test accuracy on the median of the last three evaluations from its first step on', () => {
    const leaky = LESSONS.find((l) => l.id === 'leaky-relu')!;
    const run = (accs: [number, number][]): LessonMeasurements => {
      const step = accs[accs.length - 1][0];
      return { ...at(step, 0, 0), evals: accs.map(([s, a]) => ({ step: s, trainLoss: 0.1, testLoss: 0.1, trainAcc: a, testAcc: a })) };
    };
    // One evaluation dips (Adam at lr 0.03 on batches of 16, seed 1: 60% at step 2525): still a pass.
    const dip = judgeLesson(leaky, run([[2489, 0.97], [2507, 0.96], [2525, 0.6]]), null);
    expect(dip.verdict, dip.evidence).toBe('pass');
    expect(dip.evidence).toContain('test accuracy 96.0% at step 2525 (median of the evaluations at steps 2489, 2507, 2525)');
    // Two of the last three below the claim: it no longer holds.
    expect(judgeLesson(leaky, run([[2489, 0.97], [2507, 0.6], [2525, 0.62]]), dip).verdict).toBe('fail');
    // Evaluations before the lesson's first step (200) are not counted.
    const early = judgeLesson(leaky, run([[100, 0.1], [150, 0.1], [210, 0.9]]), null);
    expect(early.verdict, early.evidence).toBe('pass');
    expect(early.evidence).toContain('test accuracy 90.0% at step 210');
  });

  it('is not judged on a stale evaluation (older than the first step)', () => {
    const m = { ...at(softmax.from + 10, 0.99, 0.05), evals: [{ step: 10, trainLoss: 0.05, testLoss: 0.05, trainAcc: 0.99, testAcc: 0.99 }] };
    expect(judgeLesson(softmax, m, null).verdict).toBe('pending');
  });
});
