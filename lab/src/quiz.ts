/**
 * The quiz panel: "Check your understanding". The questions are the library's (src/quiz.ts, also
 * printed at the end of each experiment's page); this file only shows them one at a time, keeps
 * the student's answers in local storage, gives each question a shareable `#quiz=<id>` link, and
 * runs the question's lesson, whose own verdict (lessons.ts) closes the loop: "you saw it happen".
 * The page (main.ts) runs lessons and reports their verdicts; the panel touches nothing else.
 */
import './quiz.css';
import { QUIZ, checkAnswer, quizQuestion, type QuizQuestion } from '../../src/quiz.js';
import { LESSONS, type LessonVerdict } from './lessons.js';

/** What the panel needs from the page. */
export interface QuizHost {
  runLesson(id: string): void;
}

/** Saved in local storage: the last option chosen per question, and the lessons seen passing. */
interface Progress {
  answers: Record<string, number>;
  seen: Record<string, { step: number; evidence: string }>;
}

const STORAGE_KEY = 'gradlab.quiz.v1';
const HASH = /^#quiz=([A-Za-z0-9-]+)$/;
const LETTERS = 'ABCDEFGH';

function loadProgress(): Progress {
  const p: Progress = { answers: {}, seen: {} };
  try {
    const raw = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Partial<Progress>;
    // Keep only what still fits the current questions (an old save may name removed ones).
    for (const q of QUIZ) {
      const a = raw.answers?.[q.id];
      if (Number.isInteger(a) && (a as number) >= 0 && (a as number) < q.options.length) p.answers[q.id] = a as number;
    }
    for (const l of LESSONS) {
      const s = raw.seen?.[l.id];
      if (s && Number.isFinite(s.step)) p.seen[l.id] = { step: s.step, evidence: typeof s.evidence === 'string' ? s.evidence : '' };
    }
  } catch {
    /* unreadable or blocked storage: start afresh */
  }
  return p;
}

/**
 * Change the saved progress: storage is read again first, so that answers given in another tab
 * of the lab since this one loaded are kept (saving this tab's copy would overwrite them), then
 * `change` is applied and the result saved and mirrored into `progress`.
 */
function updateProgress(progress: Progress, change: (p: Progress) => void): void {
  let fresh = progress;
  try {
    // Nothing saved (or storage blocked): this tab's copy is all there is.
    if (localStorage.getItem(STORAGE_KEY) !== null) fresh = loadProgress();
  } catch {
    /* blocked storage */
  }
  change(fresh);
  progress.answers = fresh.answers;
  progress.seen = fresh.seen;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(fresh));
  } catch {
    /* storage full or disabled: progress lives for this page only */
  }
}

const lessonTitle = (id: string) => LESSONS.find((l) => l.id === id)?.title ?? id;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

export function mountQuiz(root: HTMLElement, host: QuizHost) {
  const progress = loadProgress();
  let current: QuizQuestion = QUIZ[0];
  /** The latest verdict the page reported, for the lesson shown with the current question. */
  let verdict: LessonVerdict | null = null;
  let shownVerdictKey = '';
  /** The question id a #quiz= link asked for that no question has (shown until another is chosen). */
  let unknownLinked: string | null = null;
  /** The option selected in the form but not yet checked. */
  let selected: number | null = null;

  const fromHash = (): QuizQuestion | null => {
    const m = HASH.exec(location.hash);
    return m ? QUIZ.find((q) => q.id === m[1]) ?? null : null;
  };

  function show(q: QuizQuestion, updateUrl: boolean): void {
    if (updateUrl) unknownLinked = null;
    current = q;
    selected = progress.answers[q.id] ?? null;
    if (updateUrl && location.hash !== `#quiz=${q.id}`) history.replaceState(null, '', `${location.pathname}${location.search}#quiz=${q.id}`);
    render();
  }

  /** "Score: r right of N (a answered) · lessons seen: s of m", each half unbroken. */
  function fillScore(p: HTMLElement): void {
    const { right, answered } = score();
    const lessons = [...new Set(QUIZ.map((x) => x.lesson))];
    const seen = lessons.filter((l) => progress.seen[l]).length;
    p.replaceChildren(el('span', {}, `Score: ${right} right of ${QUIZ.length} (${answered} answered) ·`), ' ', el('span', {}, `lessons seen: ${seen} of ${lessons.length}`));
  }

  function score(): { right: number; answered: number } {
    let right = 0;
    let answered = 0;
    for (const q of QUIZ) {
      const a = progress.answers[q.id];
      if (a === undefined) continue;
      answered++;
      if (a === q.answer) right++;
    }
    return { right, answered };
  }

  function record(id: string, option: number) {
    const r = checkAnswer(id, option);
    updateProgress(progress, (p) => (p.answers[id] = option));
    show(quizQuestion(id), true);
    return r;
  }

  function lessonStatus(q: QuizQuestion): HTMLElement {
    const box = el('div', { className: 'verdict pending', id: 'quiz-lesson-status', tabIndex: -1 });
    box.setAttribute('aria-live', 'polite');
    fillStatus(box, q);
    return box;
  }

  function fillStatus(box: HTMLElement, q: QuizQuestion): void {
    const v = verdict && verdict.id === q.lesson ? verdict : null;
    const seen = progress.seen[q.lesson];
    const strong = el('strong');
    const pre = el('pre');
    let state: 'pending' | 'pass' | 'fail' | 'idle' = 'idle';
    if (v?.verdict === 'pass' || (!v && seen)) {
      state = 'pass';
      strong.textContent = `✓ You saw it happen: the lesson’s claim held (step ${v?.step ?? seen!.step}).`;
      pre.textContent = v?.evidence ?? seen!.evidence;
    } else if (v?.verdict === 'fail') {
      state = 'fail';
      strong.textContent =
        v.heldAt !== undefined
          ? `✗ The lesson’s claim held at step ${v.heldAt} but not at step ${v.step}: see its verdict above.`
          : `✗ This run did not show it (step ${v.step}): run the lesson again.`;
      pre.textContent = v.evidence;
    } else if (v) {
      state = 'pending';
      strong.textContent = '… Running the lesson: its verdict appears here when its checks hold.';
    } else {
      strong.textContent = 'Run the lesson to watch the answer happen; its own checks say when it has.';
    }
    box.className = `verdict ${state === 'idle' ? 'idle' : state}`;
    box.dataset.verdict = state;
    box.replaceChildren(strong, ...(pre.textContent ? [pre] : []));
  }

  function render(): void {
    const q = current;
    const i = QUIZ.indexOf(q);
    const chosen = progress.answers[q.id];

    const head = el('div', { className: 'quiz-head' });
    head.append(
      el('p', { className: 'quiz-count' }, `Question ${i + 1} of ${QUIZ.length} · `, el('span', { className: 'quiz-topic' }, q.topic)),
      el('p', { className: 'quiz-score', id: 'quiz-score' }),
    );

    fillScore(head.querySelector('#quiz-score')!);
    const nav = el('ol', { className: 'quiz-nav' });
    nav.setAttribute('aria-label', 'Questions');
    QUIZ.forEach((x, k) => {
      const a = progress.answers[x.id];
      const st = a === undefined ? 'open' : a === x.answer ? 'right' : 'wrong';
      const b = el('button', { type: 'button', className: `quiz-dot ${st}` }, String(k + 1));
      b.dataset.quiz = x.id;
      b.setAttribute('aria-label', `Question ${k + 1}: ${x.topic} (${st === 'open' ? 'not answered' : st})`);
      if (x === q) b.setAttribute('aria-current', 'true');
      b.addEventListener('click', () => show(x, true));
      nav.append(el('li', {}, b));
    });

    const form = el('form', { className: 'quiz-form' });
    form.dataset.quiz = q.id;
    const fs = el('fieldset');
    fs.append(el('legend', {}, q.question));
    q.options.forEach((text, k) => {
      const input = el('input', { type: 'radio', name: 'quiz-option', value: String(k), id: `quiz-opt-${k}` });
      input.checked = selected === k;
      input.addEventListener('change', () => (selected = k));
      const label = el('label', { htmlFor: input.id, className: 'quiz-option' }, input, el('b', {}, `${LETTERS[k]}.`), ' ', text);
      if (chosen !== undefined) {
        if (k === q.answer) label.classList.add('right');
        else if (k === chosen) label.classList.add('wrong');
      }
      fs.append(label);
    });
    const check = el('button', { type: 'submit', className: 'primary' }, chosen === undefined ? 'Check answer' : 'Check again');
    form.append(fs, check);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (selected === null) {
        hint.textContent = 'Choose an option first.';
        return;
      }
      record(q.id, selected);
      document.getElementById('quiz-feedback')?.focus();
    });
    const hint = el('p', { className: 'quiz-hint' });
    hint.setAttribute('role', 'status');
    form.append(hint);

    const parts: HTMLElement[] = [head, nav, form];
    if (chosen !== undefined) {
      const ok = chosen === q.answer;
      const fb = el('div', { className: `quiz-feedback ${ok ? 'right' : 'wrong'}`, id: 'quiz-feedback', tabIndex: -1 });
      fb.dataset.correct = String(ok);
      fb.append(
        el('p', { className: 'quiz-result' }, ok ? '✓ Right.' : `✗ Not quite — the answer is ${LETTERS[q.answer]}.`),
        el('p', {}, q.explanation),
      );
      const run = el('button', { type: 'button', className: 'primary quiz-run' }, `Run the lesson: ${lessonTitle(q.lesson)}`);
      run.dataset.quizLesson = q.lesson;
      run.addEventListener('click', () => {
        verdict = null;
        host.runLesson(q.lesson);
        // The lesson's banner takes the focus at the top of the page: offer the way back here.
        const banner = document.getElementById('lesson-banner');
        if (banner) {
          const back = el('button', { type: 'button', className: 'quiz-back' }, `Back to question ${i + 1}`);
          back.addEventListener('click', () => {
            root.closest('section')?.scrollIntoView({ block: 'start' });
            document.getElementById('quiz-lesson-status')?.focus();
          });
          banner.append(back);
        }
      });
      fb.append(run, lessonStatus(q));
      parts.push(fb);
    }

    const prev = el('button', { type: 'button', disabled: i === 0 }, '← Previous');
    prev.addEventListener('click', () => show(QUIZ[i - 1], true));
    const next = el('button', { type: 'button', disabled: i === QUIZ.length - 1 }, 'Next →');
    next.addEventListener('click', () => show(QUIZ[i + 1], true));
    const link = el('button', { type: 'button' }, 'Copy link to this question');
    link.addEventListener('click', async () => {
      const url = `${location.origin}${location.pathname}#quiz=${q.id}`;
      let ok = false;
      try {
        await navigator.clipboard.writeText(url);
        ok = true;
      } catch {
        /* clipboard unavailable: show the link instead */
      }
      hint.textContent = ok ? 'Link copied.' : `Link: ${url}`;
    });
    const reset = el('button', { type: 'button', className: 'quiz-reset' }, 'Clear my answers');
    reset.addEventListener('click', () => {
      updateProgress(progress, (p) => {
        p.answers = {};
        p.seen = {};
      });
      show(QUIZ[0], true);
    });
    parts.push(el('div', { className: 'quiz-bar' }, prev, next, link, reset));
    // A #quiz= link naming no question (mistyped, or from another version): said, not silently question 1.
    if (unknownLinked !== null) parts.unshift(el('p', { className: 'hint quiz-unknown', role: 'status' }, `This link names quiz question '${unknownLinked.length > 40 ? `${unknownLinked.slice(0, 39)}…` : unknownLinked}', which this lab does not have; showing question ${i + 1}.`));
    root.replaceChildren(...parts);
    shownVerdictKey = '';
    refreshStatus();
  }

  function refreshStatus(): void {
    const box = document.getElementById('quiz-lesson-status');
    const v = verdict && verdict.id === current.lesson ? verdict : null;
    const key = `${current.id}:${v?.verdict ?? '-'}:${progress.seen[current.lesson] ? 'seen' : ''}`;
    if (!box || key === shownVerdictKey) return;
    shownVerdictKey = key;
    fillStatus(box, current);
  }

  window.addEventListener('hashchange', () => {
    const q = fromHash();
    if (q && q !== current) {
      show(q, false);
      root.closest('section')?.scrollIntoView({ block: 'start' });
    }
  });

  const linked = fromHash();
  const asked = /^#quiz=(.+)$/.exec(location.hash);
  const decoded = (v: string): string => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v; // a malformed %-escape: shown as typed
    }
  };
  unknownLinked = linked === null && asked ? decoded(asked[1]).replace(/[\u0000-\u001f]/g, '?') : null;
  show(linked ?? QUIZ[0], false);
  if (linked) root.closest('section')?.scrollIntoView({ block: 'start' });

  return {
    /** The questions, as `window.lab.quiz()` returns them. */
    list: () => QUIZ.map(({ id, question, options, answer, lesson, explanation }) => ({ id, question, options: options.slice(), answer, lesson, explanation })),
    /** Answer question `id` with option `option` (0-based): recorded, shown, judged. */
    answer: record,
    /** The page's current lesson verdict (null when no lesson runs). A pass counts as seen. */
    onVerdict(v: LessonVerdict | null): void {
      verdict = v;
      // Saved once per run that passes (the step it first held at), not on every update while it holds.
      if (v?.verdict === 'pass' && v.heldAt !== undefined && progress.seen[v.id]?.step !== v.heldAt) {
        const seen = { step: v.heldAt, evidence: v.evidence };
        updateProgress(progress, (p) => (p.seen[v.id] = seen));
        const sc = document.getElementById('quiz-score');
        if (sc) fillScore(sc);
      }
      refreshStatus();
    },
  };
}
