/**
 * Terminal progress for `gradlab train`: one bar per epoch with ETA and the running loss and
 * accuracy, a line per finished epoch, and health findings as soon as they are made. Writes
 * to a stream (stderr), so stdout stays clean for `--json`. On a TTY the bar redraws in
 * place (at most ~10 times a second); otherwise only the per-epoch lines are written.
 */
import { nameList, reportLayerNamer } from '../diagnostics/names.js';
import type { BatchLogs, Callback, EpochLogs, Finding, TrainContext } from '../train/types.js';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * A path as one shell word in a command the user is told to run (single-quoted unless it is
 * plain). A path with control characters (a newline, ESC) is written $'…' with \xNN escapes
 * (bash, zsh, ksh), so the printed command neither breaks across lines nor drives the terminal.
 */
export function shellWord(p: string): string {
  if (/^[\w./-]+$/.test(p)) return p;
  if (/[\u0000-\u001f\u007f]/.test(p)) return `$'${p.replace(/[\\']/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
  return `'${p.replace(/'/g, `'\\''`)}'`;
}

/**
 * Text from a file (class names, paths, metadata) made safe to print on a terminal: C0 and C1
 * control characters (ESC starts the sequences that move the cursor, recolour or retitle the
 * terminal) and the bidirectional overrides that reorder what is shown become visible \xNN /
 * \uNNNN escapes. Newlines and tabs are kept when `keepLines` is true.
 */
export function printable(s: string, keepLines = false): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (keepLines && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export const pct = (v: number | undefined): string => (v === undefined || v === null ? '  -  ' : `${(100 * v).toFixed(1)}%`);
/** A loss for the terminal: 4 decimals, or 4 significant digits in scientific notation from 1e6 (toFixed would print 17 digits from 1e21). */
export const num = (v: number | undefined | null): string => (v === undefined || v === null ? '-' : !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e6 ? v.toExponential(3) : v.toFixed(4));

const SEVERITY_MARK: Record<string, string> = { error: '✖ error', warning: '⚠ warning', info: 'ℹ info' };

/**
 * One finding for the terminal: severity, rule, layers (named by `name`, default the module
 * path), when it held, evidence and advice. A resolved finding (Finding.status) says so first
 * and gives the steps at which it held.
 */
export function formatFinding(f: Finding, name: (path: string) => string = (p) => `layer ${p}`): string {
  const where = f.layers.length ? ` (${nameList(f.layers, name)})` : '';
  const when =
    f.status === 'resolved'
      ? ` held at steps ${f.firstStep ?? f.step}–${f.lastStep ?? f.step}, no longer at the end`
      : f.firstStep !== undefined && f.firstStep !== f.step
        ? ` since step ${f.firstStep}, still at step ${f.step}`
        : ` at step ${f.step}`;
  const mark = f.status === 'resolved' ? `✔ resolved ${f.severity}` : (SEVERITY_MARK[f.severity] ?? f.severity);
  return `${mark} [${f.rule}]${where}${when}: ${f.evidence}\n    → ${f.advice}`;
}

export interface ProgressOptions {
  epochs: number;
  /** Batches per epoch. */
  batches: number;
  /** The first epoch of this run (fit's initialEpoch: a resumed run starts later; fit numbers its epochs from it). */
  firstEpoch?: number;
  /** Label of the run (compare). */
  label?: string;
  /** Print nothing but findings and errors. */
  quiet?: boolean;
  /** ms clock (tests). */
  now?: () => number;
  /**
   * The terminal understands no escape sequences (TERM=dumb: Emacs' shell, some CI logs): the
   * bar is erased by overwriting it with spaces instead of ESC [K, which such a terminal prints.
   * Default: process.env.TERM === 'dumb'.
   */
  dumb?: boolean;
}

export class ProgressReporter implements Callback {
  private readonly out: ProgressStream;
  private readonly o: Required<Omit<ProgressOptions, 'label'>> & { label: string };
  private readonly tty: boolean;
  /** Characters of the bar now on the line (what a dumb terminal's erase overwrites). */
  private drawnLength = 0;
  private start = 0;
  private lastDraw = 0;
  private drawn = false;
  private epochIndex = 0;
  private batchesDone = 0;
  private lossSum = 0;
  private accSum = 0;
  private accCount = 0;
  private seen = 0;
  readonly findings: Finding[] = [];

  constructor(out: ProgressStream, options: ProgressOptions) {
    this.out = out;
    this.o = {
      epochs: options.epochs,
      batches: Math.max(1, options.batches),
      firstEpoch: options.firstEpoch ?? 0,
      label: options.label ? `${options.label} ` : '',
      quiet: options.quiet ?? false,
      now: options.now ?? (() => performance.now()),
      dumb: options.dumb ?? (typeof process !== 'undefined' && process.env?.TERM === 'dumb'),
    };
    this.tty = out.isTTY === true;
  }

  onTrainBegin(): void {
    this.start = this.o.now();
  }

  onEpochBegin(epoch: number): void {
    this.epochIndex = epoch;
    this.lossSum = 0;
    this.accSum = 0;
    this.accCount = 0;
    this.seen = 0;
  }

  private clear(): void {
    if (this.tty && this.drawn) this.out.write(this.erase());
    this.drawn = false;
  }

  /** Back to the line's start with the bar gone: ESC [K, or spaces on a dumb terminal. */
  private erase(): string {
    return this.o.dumb ? `\r${' '.repeat(this.drawnLength)}\r` : '\r\x1b[K';
  }

  onBatchEnd(logs: BatchLogs): void {
    this.batchesDone++;
    this.seen++;
    if (Number.isFinite(logs.loss)) this.lossSum += logs.loss;
    const batchAcc = logs.metrics.accuracy ?? logs.metrics.binaryAccuracy;
    if (batchAcc !== undefined && Number.isFinite(batchAcc)) {
      this.accSum += batchAcc;
      this.accCount++;
    }
    if (!this.tty || this.o.quiet) return;
    const t = this.o.now();
    if (t - this.lastDraw < 100 && logs.batch + 1 < this.o.batches) return;
    this.lastDraw = t;
    const doneInEpoch = logs.batch + 1;
    const frac = Math.min(1, doneInEpoch / this.o.batches);
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const elapsed = t - this.start;
    const totalBatches = this.o.batches * (this.o.epochs - this.o.firstEpoch);
    const eta = this.batchesDone > 0 ? (elapsed / this.batchesDone) * (totalBatches - this.batchesDone) : NaN;
    const loss = this.seen ? this.lossSum / this.seen : NaN;
    const acc = this.accCount ? ` acc ${pct(this.accSum / this.accCount)}` : '';
    const line = `${this.o.label}epoch ${this.epochIndex + 1}/${this.o.epochs} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${doneInEpoch}/${this.o.batches} loss ${num(loss)}${acc} ETA ${formatDuration(eta)}`;
    const cols = this.out.columns ?? 120;
    const shown = line.length > cols - 1 ? line.slice(0, Math.max(0, cols - 1)) : line;
    this.out.write((this.drawn || !this.o.dumb ? this.erase() : '\r') + shown);
    this.drawnLength = shown.length;
    this.drawn = true;
  }

  onEpochEnd(logs: EpochLogs): void {
    this.clear();
    if (this.o.quiet) return;
    const shown = logs.epoch;
    // Train loss/accuracy: the model at the epoch's end in eval mode (EpochLogs.trainLoss); the
    // running averages over the epoch's batches follow in parentheses, labelled.
    const running = logs.metrics.accuracy ?? logs.metrics.binaryAccuracy;
    const parts = [`${this.o.label}epoch ${shown + 1}/${this.o.epochs}`];
    if (logs.trainLoss !== undefined) {
      parts.push(`loss ${num(logs.trainLoss)}`);
      const acc = logs.trainMetrics?.accuracy ?? logs.trainMetrics?.binaryAccuracy;
      if (acc !== undefined) parts.push(`acc ${pct(acc)}`);
      parts.push(`(running avg loss ${num(logs.loss)}${running !== undefined ? ` acc ${pct(running)}` : ''})`);
    } else {
      parts.push(`running avg loss ${num(logs.loss)}`);
      if (running !== undefined) parts.push(`acc ${pct(running)}`);
    }
    if (logs.valLoss !== undefined) parts.push(`test loss ${num(logs.valLoss)}`);
    const vacc = logs.valMetrics?.accuracy ?? logs.valMetrics?.binaryAccuracy;
    if (vacc !== undefined) parts.push(`test acc ${pct(vacc)}`);
    parts.push(formatDuration(logs.durationMs));
    const remaining = this.o.epochs - (shown + 1);
    if (remaining > 0 && this.batchesDone > 0) {
      const perBatch = (this.o.now() - this.start) / this.batchesDone;
      parts.push(`ETA ${formatDuration(perBatch * remaining * this.o.batches)}`);
    }
    this.out.write(parts.join('  ') + '\n');
  }

  onFinding(f: Finding, ctx?: TrainContext): void {
    this.findings.push(f);
    this.clear();
    this.out.write(`${this.o.label}${formatFinding(f, ctx ? reportLayerNamer(ctx.report) : undefined)}\n`);
  }

  onTrainEnd(): void {
    this.clear();
  }
}
