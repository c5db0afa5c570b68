/**
 * The experiment contract. An experiment is one file: its configuration, its run, the
 * measurements, and a verdict that compares them with the published finding it cites.
 * Results are plain JSON (series and tables for charts) so the CLI, the HTML report and the
 * web lab can draw them.
 */
import type { Report } from '../train/types.js';

export interface ExperimentOptions {
  /** CI size (seconds on the reference kernels) instead of the full size. */
  quick?: boolean;
  /** Seed of every random draw (initialisation, batches, dropout, synthetic data). */
  seed?: number;
  /** Progress: a fraction in [0, 1] and what is being done. */
  onProgress?: (fraction: number, message: string) => void;
}

/** One curve of a chart. */
export interface Series {
  label: string;
  x: number[];
  y: number[];
  /** Chart this curve belongs to (series with the same chart are drawn together). */
  chart?: string;
  xLabel?: string;
  yLabel?: string;
  /** Draw the y axis on a log scale. */
  logY?: boolean;
}

export interface Table {
  title: string;
  columns: string[];
  rows: Array<Array<string | number | boolean | null>>;
}

export interface Measurements {
  series: Series[];
  tables: Table[];
  /** Any further plain-JSON values worth keeping. */
  [key: string]: unknown;
}

export interface Check {
  /** The published outcome, stated as an inequality with its margin. */
  description: string;
  passed: boolean;
  /** What was measured, with numbers. */
  observed: string;
}

export interface Verdict {
  /** True when every check passed. */
  reproduced: boolean;
  checks: Check[];
  summary: string;
}

export interface ExperimentResult {
  name: string;
  title: string;
  claim: string;
  citation: string;
  config: Record<string, unknown>;
  measurements: Measurements;
  verdict: Verdict;
  /** Trainer reports of the runs, when the experiment trained through fit(). */
  reports?: Report[];
  /** Wall-clock time of the run in milliseconds. */
  durationMs?: number;
}

export interface Experiment {
  /** Registry key and CLI name ('zero-init', 'he-2015', …). */
  name: string;
  title: string;
  /** The published finding, in the papers' terms (one or two sentences). */
  claim: string;
  /** Authors, year, title, venue. */
  citation: string;
  run(opts?: ExperimentOptions): Promise<ExperimentResult>;
}
