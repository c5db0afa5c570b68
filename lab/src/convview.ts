/**
 * What the lab shows of a conv net's first convolution: its filters (the Conv2d weight,
 * [out, in, kh, kw] as in PyTorch) and its feature maps for one image. The maps are the output
 * of the activation after the conv (through its BatchNorm, if any): what the next layer sees,
 * so a filter that never fires (a dead ReLU channel) shows as a blank map. Computed in eval mode,
 * as the page's predictions are (BatchNorm with its running statistics).
 *
 * Values travel to the page quantised to integers in [−255, 255] against one scale per kind
 * (the largest |w| over all filters, the largest |value| over all maps), so filters and maps can
 * be compared with each other and the message stays small: 8 maps of 28×28 are 6,272 integers.
 */
import { noGrad } from '../../src/autograd.js';
import { ActivationModule } from '../../src/nn/activation.js';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Conv2d } from '../../src/nn/conv.js';
import type { Sequential } from '../../src/nn/sequential.js';
import type { Tensor } from '../../src/tensor.js';

export interface ConvView {
  /** Module path of the first Conv2d ('1' after the Unflatten). */
  conv: string;
  /** Module path of the layer whose output the maps are (the activation, else the conv itself). */
  shown: string;
  /** The activation's registry name, or null when the maps are the conv's own output. */
  activation: string | null;
  outChannels: number;
  inChannels: number;
  kh: number;
  kw: number;
  /** [out, in, kh, kw] row-major, each round(255 · w / weightScale). */
  weights: number[];
  /** max |w| over the layer's weights (0 when all are 0). */
  weightScale: number;
  /** Feature-map size. */
  h: number;
  w: number;
  /** [out, h, w] row-major, each round(255 · v / mapScale). */
  maps: number[];
  /** max |v| over all maps (0 when all are 0: every filter silent on this image). */
  mapScale: number;
  /** The model's predicted class for the image (argmax; a logit above 0 for one output). */
  pred: number;
}

/** Integers in [−255, 255]: round(255 · v / scale), and the scale max |v|. */
export function quantize(v: ArrayLike<number>): { q: number[]; scale: number } {
  let scale = 0;
  for (let i = 0; i < v.length; i++) scale = Math.max(scale, Math.abs(v[i]));
  const q = new Array<number>(v.length);
  for (let i = 0; i < v.length; i++) q[i] = scale > 0 ? Math.round((255 * v[i]) / scale) : 0;
  return { q, scale };
}

/** Index of the first Conv2d among the Sequential's modules, or −1. */
export function firstConvIndex(model: Sequential): number {
  return model.layers.findIndex((m) => m instanceof Conv2d);
}

/**
 * The first conv layer's filters and its feature maps for `image` (one row, [1, features], as the
 * model takes its input), or null when the model has no Conv2d. The model's train/eval mode is
 * left as it was.
 */
export function firstConvView(model: Sequential, image: Tensor): ConvView | null {
  const layers = model.layers;
  const c = firstConvIndex(model);
  if (c < 0) return null;
  if (image.shape[0] !== 1) throw new Error(`firstConvView: expected one image [1, …], got shape [${image.shape.join(', ')}]`);
  const conv = layers[c] as Conv2d;
  // The maps the next layer sees: after the BatchNorm and activation that follow the conv.
  let shown = c;
  for (let j = c + 1; j < layers.length; j++) {
    const m = layers[j];
    if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) continue;
    if (m instanceof ActivationModule) shown = j;
    break;
  }
  const wasTraining = model.training;
  try {
    model.eval();
    return noGrad(() => {
      let h = image;
      let maps: { q: number[]; scale: number } | null = null;
      let mapShape: number[] = [];
      for (let j = 0; j < layers.length; j++) {
        h = layers[j].forward(h);
        if (j === shown) {
          maps = quantize(h.data);
          mapShape = h.shape;
        }
      }
      const [out, inC, kh, kw] = conv.weight.shape;
      const weights = quantize(conv.weight.data);
      const k = h.shape[1];
      let pred = 0;
      if (k === 1) pred = h.data[0] > 0 ? 1 : 0;
      else for (let i = 1; i < k; i++) if (h.data[i] > h.data[pred]) pred = i;
      return {
        conv: String(c),
        shown: String(shown),
        activation: shown !== c ? (layers[shown] as ActivationModule).activation : null,
        outChannels: out,
        inChannels: inC,
        kh,
        kw,
        weights: weights.q,
        weightScale: weights.scale,
        h: mapShape[2],
        w: mapShape[3],
        maps: maps!.q,
        mapScale: maps!.scale,
        pred,
      };
    });
  } finally {
    model.train(wasTraining);
  }
}
