/**
 * The decision-boundary picture of a classifier on 2-D inputs, for the HTML report: the
 * predicted class on a grid over the data's range (lighter where the model is less sure) with
 * the training points (filled) and held-out points (rings) on top.
 */
import { noGrad } from '../autograd.js';
import type { Module } from '../nn/module.js';
import { softmax } from '../ops/softmax.js';
import { Tensor } from '../tensor.js';
import { esc, PALETTE } from './svg.js';

export interface BoundaryPicture {
  /**
   * Cells per side; `cls`/`prob` are row-major, the first row at the top (largest y). A cell
   * where the model's output is not finite (a run stopped by NaN/Infinity) has class −1, no prediction.
   */
  size: number;
  cls: number[];
  prob: number[];
  bounds: { x0: number; x1: number; y0: number; y1: number };
  points: { x: number[]; y: number[]; label: number[]; test: boolean[] };
}

/** Evaluate `model` (in eval mode, restored after) on a size × size grid over the points' range (5% margin). */
export function boundaryPicture(model: Module, train: { x: Tensor; y: Tensor }, test: { x: Tensor; y: Tensor } | null, size = 60): BoundaryPicture {
  if (train.x.ndim !== 2 || train.x.shape[1] !== 2) throw new Error(`boundaryPicture: needs 2-D inputs [N, 2], got [${train.x.shape}]`);
  const points = { x: [] as number[], y: [] as number[], label: [] as number[], test: [] as boolean[] };
  for (const [d, isTest] of [[train, false], [test, true]] as const) {
    if (!d) continue;
    for (let i = 0; i < d.x.shape[0]; i++) {
      points.x.push(d.x.data[2 * i]);
      points.y.push(d.x.data[2 * i + 1]);
      points.label.push(d.y.data[i]);
      points.test.push(isTest);
    }
  }
  const pad = (lo: number, hi: number) => [lo - 0.05 * (hi - lo || 1), hi + 0.05 * (hi - lo || 1)];
  const [x0, x1] = pad(Math.min(...points.x), Math.max(...points.x));
  const [y0, y1] = pad(Math.min(...points.y), Math.max(...points.y));
  const grid = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      grid[(r * size + c) * 2] = x0 + ((c + 0.5) / size) * (x1 - x0);
      grid[(r * size + c) * 2 + 1] = y1 - ((r + 0.5) / size) * (y1 - y0);
    }
  }
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const out = model.forward(new Tensor(grid, [size * size, 2]));
      const k = out.shape[1] ?? 1;
      const cls: number[] = [];
      const prob: number[] = [];
      if (k === 1) {
        for (let i = 0; i < size * size; i++) {
          const p = 1 / (1 + Math.exp(-out.data[i]));
          cls.push(Number.isNaN(p) ? NO_PREDICTION : p > 0.5 ? 1 : 0);
          prob.push(p > 0.5 ? p : 1 - p);
        }
      } else {
        const p = softmax(out, 1);
        for (let i = 0; i < size * size; i++) {
          let best = 0;
          for (let c = 1; c < k; c++) if (p.data[i * k + c] > p.data[i * k + best]) best = c;
          const pb = p.data[i * k + best];
          cls.push(Number.isFinite(pb) ? best : NO_PREDICTION);
          prob.push(pb);
        }
      }
      return { size, cls, prob, bounds: { x0, x1, y0, y1 }, points };
    });
  } finally {
    if (wasTraining) model.train();
  }
}

/** The class of a grid cell whose output is NaN/Infinity; drawn grey. */
const NO_PREDICTION = -1;
const NO_PREDICTION_COLOR = '#9aa0aa';

/** `#rrggbb` blended with white: t = 0 is white, 1 the colour. */
function tint(hex: string, t: number): string {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgb(${c.map((v) => Math.round(255 + (v - 255) * t)).join(',')})`;
}

/** The picture as inline SVG: cells merged along rows where class and confidence level agree. */
export function boundarySvg(b: BoundaryPicture, width = 420): string {
  const cell = width / b.size;
  const f = (v: number) => v.toFixed(1);
  const rects: string[] = [];
  const level = (p: number) => (Number.isFinite(p) ? Math.max(0, Math.min(4, Math.round(((p - 0.5) / 0.5) * 4))) : 4);
  const color = (k: number) => (k === NO_PREDICTION ? NO_PREDICTION_COLOR : PALETTE[k % PALETTE.length]);
  for (let r = 0; r < b.size; r++) {
    let c = 0;
    while (c < b.size) {
      const i = r * b.size + c;
      const key = `${b.cls[i]}:${level(b.prob[i])}`;
      let e = c + 1;
      while (e < b.size && `${b.cls[r * b.size + e]}:${level(b.prob[r * b.size + e])}` === key) e++;
      // Opaque tints (the class colour blended with white): overlapping translucent cells
      // would draw darker seams where they meet.
      rects.push(`<rect x="${f(c * cell)}" y="${f(r * cell)}" width="${f((e - c) * cell + 0.5)}" height="${f(cell + 0.5)}" fill="${tint(color(b.cls[i]), 0.08 + 0.1 * level(b.prob[i]))}"/>`);
      c = e;
    }
  }
  const { x0, x1, y0, y1 } = b.bounds;
  const sx = (v: number) => ((v - x0) / (x1 - x0)) * width;
  const sy = (v: number) => width - ((v - y0) / (y1 - y0)) * width;
  const step = Math.max(1, Math.ceil(b.points.x.length / 1500));
  const dots: string[] = [];
  for (let i = 0; i < b.points.x.length; i += step) {
    const col = PALETTE[b.points.label[i] % PALETTE.length];
    dots.push(
      b.points.test[i]
        ? `<circle cx="${f(sx(b.points.x[i]))}" cy="${f(sy(b.points.y[i]))}" r="3" fill="#fff" stroke="${col}" stroke-width="1.5"/>`
        : `<circle cx="${f(sx(b.points.x[i]))}" cy="${f(sy(b.points.y[i]))}" r="3" fill="${col}" stroke="#fff" stroke-width="0.7"/>`,
    );
  }
  const none = b.cls.filter((k) => k === NO_PREDICTION).length;
  const label = `Decision boundary: background colour is the predicted class (stronger where the model is surer)${none ? `; grey: no prediction, the output is NaN/Infinity (${((100 * none) / b.cls.length).toFixed(0)}% of the area)` : ''}; filled dots are training points, rings held-out points`;
  return `<figure class="card" style="display:inline-block;margin:0"><svg class="chart boundary" shape-rendering="crispEdges" width="${width}" height="${width}" viewBox="0 0 ${width} ${width}" role="img" aria-label="${esc(label)}"><rect width="${width}" height="${width}" fill="#fff"/>${rects.join('')}${dots.join('')}</svg><figcaption class="sub" style="max-width:${width}px">${esc(label)}.</figcaption></figure>`;
}
