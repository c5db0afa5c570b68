/**
 * The HTML page of an experiment: the published claim and its citation, the verdict with
 * each check (the inequality, what was measured, passed or not), the measured series as
 * charts (series sharing a `chart` are drawn together) and the tables. Self-contained, like
 * the training report. The page ends with the quiz questions the experiment answers (src/quiz.ts,
 * the lab's questions), each answer folded in a <details> (no script).
 */
import type { ExperimentResult, Series as ExpSeries } from '../experiments/types.js';
import { quizForExperiment } from '../quiz.js';
import { Ids, page } from './html.js';
import { esc, lineChart, PALETTE, type Series } from './svg.js';

function charts(series: ExpSeries[], ids: Ids): string {
  const groups = new Map<string, ExpSeries[]>();
  for (const s of series) {
    const key = s.chart ?? s.label;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.entries()]
    .map(([title, ss]) => {
      const lines: Series[] = ss.map((s, i) => ({
        name: s.label,
        color: PALETTE[i % PALETTE.length],
        points: s.x.map((x, j) => [x, Number.isFinite(s.y[j]) ? s.y[j] : null]),
        dots: s.x.length <= 40,
      }));
      const logY = ss.some((s) => s.logY) && ss.every((s) => s.y.every((v) => !Number.isFinite(v) || v > 0));
      return `<div class="card">${lineChart({ id: ids.next('e'), title, series: lines, xLabel: ss[0].xLabel, yLabel: ss[0].yLabel, logY, width: 560, height: 300, legend: true })}</div>`;
    })
    .join('');
}

const LETTERS = 'ABCDEFGH';

/** "Check your understanding": the questions this experiment answers, answers folded. */
function quizSection(name: string): string {
  const qs = quizForExperiment(name);
  if (qs.length === 0) return '';
  const items = qs
    .map(
      (q) => `<li id="quiz-${esc(q.id)}"><p><b>${esc(q.question)}</b></p><ol type="A">${q.options.map((o) => `<li>${esc(o)}</li>`).join('')}</ol>
<details><summary>Answer</summary><p><b>${LETTERS[q.answer]}.</b> ${esc(q.explanation)}</p><p>Watch it happen: run <code>gradlab lab</code> and open its page at <code>#quiz=${esc(q.id)}</code> (lesson <code>${esc(q.lesson)}</code>).</p></details></li>`,
    )
    .join('');
  return `<h2>Check your understanding</h2><p>Questions this experiment answers; each answer opens under its question.</p><ol class="quiz">${items}</ol>`;
}

/**
 * A table cell. `decimals`: the column holds a fraction somewhere, so its whole numbers are written
 * with the same four decimals (a test accuracy of 1 beside 0.5000 read as a different quantity).
 */
function cell(v: string | number | boolean | null, decimals = false): string {
  if (v === null) return '–';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && !decimals) return String(v);
    return v === 0 || (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4) ? v.toFixed(4) : v.toExponential(3);
  }
  return esc(String(v));
}

/** Per column: whether some number in it is not whole. */
const fractionalColumns = (rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null>>): boolean[] =>
  (rows[0] ?? []).map((_, j) => rows.some((row) => typeof row[j] === 'number' && !Number.isInteger(row[j])));

export function renderExperiment(r: ExperimentResult): string {
  const ids = new Ids();
  const status = r.verdict.reproduced ? '<span style="color:#1a7f37">reproduced</span>' : '<span style="color:#b42318">not reproduced</span>';
  const checks = r.verdict.checks
    .map((c) => `<tr><td>${c.passed ? '✔' : '✘'}</td><td>${esc(c.description)}</td><td>${esc(c.observed)}</td></tr>`)
    .join('');
  const tables = r.measurements.tables
    .map(
      (t) =>
        `<h3>${esc(t.title)}</h3><table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map((row, _, rows) => `<tr>${row.map((v, j) => `<td>${cell(v, fractionalColumns(rows)[j])}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`,
    )
    .join('');
  const config = Object.entries(r.config)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`)
    .join('');
  const body = `<header><h1>${esc(r.title)}</h1><div class="sub">experiment <code>${esc(r.name)}</code> · ${esc(r.citation)}</div><div>${status}</div></header>
<main>
<h2>The published finding</h2><p>${esc(r.claim)}</p>
<h2>Verdict</h2><p>${esc(r.verdict.summary)}</p>
<table><thead><tr><th></th><th>check (published outcome, with its margin)</th><th>observed</th></tr></thead><tbody>${checks}</tbody></table>
<h2>Measurements</h2><div class="grid">${charts(r.measurements.series, ids)}</div>${tables}
<h2>Configuration</h2><table><tbody>${config}</tbody></table>
${quizSection(r.name)}
</main>`;
  return page(`gradlab experiment — ${r.title}`, body);
}
