/**
 * Messages between the page and the training worker: plain JSON-serialisable data, shaped
 * after the Trainer's Report types (ActivationStats, ParameterStats, Finding).
 */
import type { ActivationStats, Finding, ParameterStats } from '../../src/train/types.js';
import type { ConvView } from './convview.js';
import type { LabState } from './state.js';

/**
 * Every message names its run: `reset` starts run `runId`; the worker tags everything it posts
 * with the id of the run it came from, and the page drops what is not from its current run
 * (a slice of the previous run may still be in flight when the settings or the lesson change).
 */
export type ToWorker =
  /** `local`: the user's CSV data, present when `state.dataset` is 'local' and a file is loaded. */
  | { type: 'reset'; runId: number; state: LabState; local?: LocalData }
  /** Settings that apply to the run in progress (LIVE_SETTINGS in state.ts): no rebuild. */
  | { type: 'update'; runId: number; state: LabState }
  /** `ctl`: the page's count of run controls sent; progress echoes the last one handled (`ctl` below). */
  | { type: 'play'; runId: number; ctl: number }
  | { type: 'pause'; runId: number; ctl: number }
  | { type: 'step'; runId: number; ctl: number }
  /** Which test image the conv panel shows (an index into the test set). */
  | { type: 'digit'; runId: number; index: number };

/**
 * A CSV file the user loaded, parsed on the page by the library's parseCsv (lab/src/localdata.ts):
 * raw feature values, row-major, and class indices. The worker splits and standardises it
 * (lab/src/data.ts), so a change of seed or training fraction needs no new upload.
 */
export interface LocalData {
  /** The file name, for messages. */
  name: string;
  /** The label column's name. */
  label: string;
  /** The feature columns, in file order (every column but the label). */
  featureNames: string[];
  /** Class names in index order (parseCsv's order: numeric or lexicographic). */
  classNames: string[];
  /** [rows × featureNames.length], raw values. */
  x: Float32Array;
  /** Class index per row. */
  y: Float32Array;
}

export interface StepPoint {
  step: number;
  loss: number;
  gradNorm: number;
}

export interface EvalPoint {
  step: number;
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
}

/** One module of the Sequential at one monitored step. */
export interface LayerSnapshot {
  /** Module path ('0', '1', …), as in namedParameters(). */
  name: string;
  /** The step these statistics were measured at. */
  step?: number;
  kind: string;
  activation?: string;
  /** Statistics of the module's output on the batch. */
  stats?: ActivationStats;
  /** Channels of an [N, C, H, W] output (conv layers): `stats.dead` counts filters. */
  channels?: number;
  params?: ParameterStats[];
  symmetricUnits?: number;
  /** Gradient norm over the module's parameters. */
  gradNorm?: number;
}

export interface ModelInfo {
  backend: string;
  threads: number;
  parameters: number;
  /** The Sequential's modules; `label` is the library's display name (src/diagnostics/names.ts). */
  modules: Array<{ name: string; kind: string; activation?: string; summary: string; label: string }>;
  inputDim: number;
  numClasses: number;
  trainSize: number;
  testSize: number;
  is2d: boolean;
  /** 2D sets: the points (raw coordinates) and labels, to draw over the boundary. */
  points?: { x: number[]; y: number[]; label: number[]; test: boolean[] };
  bounds?: { x0: number; x1: number; y0: number; y1: number };
  /** How Linear layers were initialised: module path → initializer name. */
  initUsed: Record<string, string>;
  /** Module path of the first Conv2d (whose filters and maps the conv panel shows), if any. */
  firstConv?: string;
}

/** The conv panel's data: the first conv layer on one test image (lab/src/convview.ts). */
export interface ConvPanelData extends ConvView {
  /** The image: its index in the test set, its class and its pixels (0 … 255, row-major). */
  index: number;
  label: number;
  pixels: number[];
}

export interface Boundary {
  size: number;
  /** Per cell (row-major, y from top): predicted class and its probability (NaN where the output is NaN/Infinity). */
  cls: number[];
  prob: number[];
}

export type FromWorker = { runId: number } & (
  | { type: 'ready'; info: ModelInfo }
  | { type: 'loading'; message: string }
  | {
      type: 'progress';
      running: boolean;
      step: number;
      epoch: number;
      steps: StepPoint[];
      evals: EvalPoint[];
      layers?: LayerSnapshot[];
      /** Once per run: the layers' statistics at step 1 (the initial weights). */
      firstLayers?: LayerSnapshot[];
      boundary?: Boundary;
      /** Sample test digits (MNIST): predicted class per shown image. */
      digits?: { pixels: number[][]; label: number[]; pred: number[] };
      /** Conv nets: the first conv layer's filters and feature maps for the chosen test image. */
      conv?: ConvPanelData;
      /** The current findings of the library's health rules (absent when unchanged). */
      findings?: Finding[];
      /** The step of the last health check: the findings describe the run up to it. */
      healthStep: number;
      stopReason?: string;
      /**
       * The last run control (play/pause/step) the worker had handled when it posted this: a post
       * older than the page's last control says nothing about whether the run is running now.
       */
      ctl: number;
      /** The step that went non-finite and was not applied (`step` counts the steps applied), and the attempts at it. */
      rejected?: { step: number; attempts: number };
      /** Batches the run skipped: one per rejected attempt (Resume and Step go on with the next batch). */
      skipped: number;
    }
  | { type: 'error'; message: string }
);

/** Distributes a union over Omit (so each member keeps its own fields). */
export type FromWorkerBody = FromWorker extends infer M ? (M extends { runId: number } ? Omit<M, 'runId'> : never) : never;
