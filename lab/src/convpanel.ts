/**
 * The conv panel: the first conv layer's filters and its feature maps for one test digit, which
 * the user picks or cycles (the worker computes them, lab/src/convview.ts; this file draws).
 * Each filter sits above its map: the k×k kernel in a diverging scale (red positive, blue
 * negative, white 0, one scale for all filters), the map as ink (darker = stronger, one scale for
 * all maps), so a filter that does not respond to the digit is a blank square.
 */
import { ACTIVATIONS, type ActivationName } from '../../src/activations.js';
import { fitCanvas } from './charts.js';
import type { ConvPanelData, ModelInfo } from './protocol.js';

export interface ConvPanel {
  /** A new run: show the panel when its model has a conv layer (and ask for the chosen digit), else hide it. */
  setModel(info: ModelInfo): void;
  /** Draw the worker's latest data. */
  draw(d: ConvPanelData): void;
  /** Draw again at the current width (window resize). */
  redraw(): void;
  /** The data drawn last (null before the first). */
  readonly last: ConvPanelData | null;
}

const POS: [number, number, number] = [178, 24, 43];
const NEG: [number, number, number] = [33, 102, 172];

/** A value in [−255, 255] on white → red (positive) or white → blue (negative). */
export function diverging(v: number): [number, number, number] {
  const t = Math.min(1, Math.abs(v) / 255);
  const c = v >= 0 ? POS : NEG;
  return [Math.round(255 + (c[0] - 255) * t), Math.round(255 + (c[1] - 255) * t), Math.round(255 + (c[2] - 255) * t)];
}

/** A map value in [−255, 255] as ink: 0 white, 255 near black; negative values in blue ink. */
function ink(v: number): [number, number, number] {
  if (v >= 0) {
    const g = Math.round(255 - Math.min(255, v) * 0.92);
    return [g, g, g];
  }
  return diverging(v);
}

/** An h×w grid of colours as a bitmap the canvas can scale (pixelated). */
function bitmap(h: number, w: number, colour: (i: number) => [number, number, number]): OffscreenCanvas {
  const img = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = colour(i);
    img.data[i * 4] = r;
    img.data[i * 4 + 1] = g;
    img.data[i * 4 + 2] = b;
    img.data[i * 4 + 3] = 255;
  }
  const off = new OffscreenCanvas(w, h);
  off.getContext('2d')!.putImageData(img, 0, 0);
  return off;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

/**
 * Build the panel inside `card` (a section holding the heading `h2`); `pick(index)` asks the
 * worker for another test image.
 */
export function createConvPanel(card: HTMLElement, pick: (index: number) => void): ConvPanel {
  const heading = card.querySelector('h2')!;
  const hint = el('p', { className: 'hint' });
  const digitCanvas = el('canvas', { id: 'conv-digit' });
  digitCanvas.setAttribute('role', 'img');
  const caption = el('p', { id: 'conv-caption', className: 'conv-caption' });
  caption.setAttribute('aria-live', 'polite');
  const prev = el('button', { type: 'button', id: 'conv-prev', textContent: '◀ Previous' });
  const next = el('button', { type: 'button', id: 'conv-next', textContent: 'Next ▶' });
  const number = el('input', { type: 'number', id: 'conv-index', min: '0', step: '1', value: '0', inputMode: 'numeric' });
  const numberLabel = el('label', { htmlFor: number.id, textContent: 'Test digit #' });
  const controls = el('div', { className: 'conv-controls' });
  const pickIndex = el('span', { className: 'conv-index' });
  pickIndex.append(numberLabel, number);
  controls.append(prev, pickIndex, next);
  const side = el('div', { className: 'conv-side' });
  side.append(caption, controls);
  const top = el('div', { className: 'conv-top' });
  top.append(digitCanvas, side);
  const grid = el('canvas', { id: 'conv-grid' });
  grid.setAttribute('role', 'img');
  const scale = el('p', { id: 'conv-scale', className: 'hint' });
  card.append(hint, top, grid, scale);

  let last: ConvPanelData | null = null;
  let index = 0;
  let testSize = 1;
  let title = '';

  const choose = (i: number) => {
    if (!Number.isFinite(i)) return;
    index = ((Math.round(i) % testSize) + testSize) % testSize;
    number.value = String(index);
    pick(index);
  };
  prev.addEventListener('click', () => choose(index - 1));
  next.addEventListener('click', () => choose(index + 1));
  number.addEventListener('change', () => choose(Number(number.value)));

  function draw(d: ConvPanelData): void {
    last = d;
    const width = Math.max(220, card.clientWidth - 30);
    // The digit the maps are computed on, with its class and the model's prediction.
    const ds = 84;
    const dctx = fitCanvas(digitCanvas, ds, ds);
    dctx.imageSmoothingEnabled = false;
    dctx.drawImage(bitmap(28, 28, (i) => { const v = 255 - d.pixels[i]; return [v, v, v]; }), 0, 0, ds, ds);
    digitCanvas.setAttribute('aria-label', `Test digit #${d.index}, class ${d.label}`);
    caption.textContent = `Test digit #${d.index}: class ${d.label}, predicted ${d.pred}`;
    caption.dataset.correct = String(d.pred === d.label);

    // One cell per filter: its kernel above its feature map.
    const n = d.outChannels;
    // As many columns as fit, then balanced rows (8 filters on a phone: 2 rows of 4, not 5 and 3).
    const rows = Math.ceil(n / Math.max(1, Math.min(n, Math.floor(width / 58))));
    const cols = Math.ceil(n / rows);
    const cw = width / cols;
    const ms = Math.min(cw - 8, 112);
    const fs = Math.max(d.kh * 6, Math.min(48, Math.round(ms * 0.42)));
    const ch = 14 + fs + 4 + ms + 8;
    const ctx = fitCanvas(grid, width, rows * ch);
    ctx.clearRect(0, 0, width, rows * ch);
    ctx.imageSmoothingEnabled = false;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    const per = d.inChannels * d.kh * d.kw;
    const hw = d.h * d.w;
    let silent = 0;
    for (let c = 0; c < n; c++) {
      const x = (c % cols) * cw + cw / 2;
      const y = Math.floor(c / cols) * ch;
      let peak = 0;
      for (let i = 0; i < hw; i++) peak = Math.max(peak, Math.abs(d.maps[c * hw + i]));
      if (peak === 0) silent++;
      ctx.fillStyle = peak === 0 ? '#a93226' : '#555b66';
      ctx.fillText(peak === 0 ? `${c + 1} · silent` : String(c + 1), x, y + 10);
      // The kernel, averaged over input channels when there are several (MNIST has one).
      const kernel = bitmap(d.kh, d.kw, (i) => {
        let s = 0;
        for (let k = 0; k < d.inChannels; k++) s += d.weights[c * per + k * d.kh * d.kw + i];
        return diverging(s / d.inChannels);
      });
      ctx.drawImage(kernel, x - fs / 2, y + 14, fs, fs);
      ctx.strokeStyle = '#9aa3b0';
      ctx.strokeRect(x - fs / 2 - 0.5, y + 13.5, fs + 1, fs + 1);
      const map = bitmap(d.h, d.w, (i) => ink(d.maps[c * hw + i]));
      ctx.drawImage(map, x - ms / 2, y + 18 + fs, ms, ms);
      ctx.strokeStyle = peak === 0 ? '#c0392b' : '#d5d9e0';
      ctx.strokeRect(x - ms / 2 - 0.5, y + 17.5 + fs, ms + 1, ms + 1);
    }
    const after = d.activation ? `after ${ACTIVATIONS[d.activation as ActivationName]?.label ?? d.activation}` : 'the conv output';
    grid.setAttribute(
      'aria-label',
      `${n} filters of ${title} (${d.kh}×${d.kw}) above their ${d.h}×${d.w} feature maps (${after}) on test digit #${d.index}; ${silent} silent`,
    );
    grid.dataset.silent = String(silent);
    scale.textContent =
      `Filters: red positive, blue negative, largest |w| ${d.weightScale.toPrecision(2)}. ` +
      `Maps (${after}, eval mode): darker is stronger, darkest ${d.mapScale.toPrecision(2)}${silent ? `; ${silent} of ${n} filters silent on this digit` : ''}.`;
  }

  return {
    setModel(info) {
      card.hidden = info.firstConv === undefined;
      if (card.hidden) {
        last = null;
        return;
      }
      const label = info.modules.find((m) => m.name === info.firstConv)?.label ?? `module ${info.firstConv}`;
      title = label.replace(/ \(module \d+\)$/, '');
      heading.textContent = `First conv layer: filters and feature maps`;
      hint.textContent = `${label}: each filter above the map it makes from the digit; updated as training goes.`;
      testSize = Math.max(1, info.testSize);
      number.max = String(testSize - 1);
      // A new run starts on image 0: ask for the digit chosen before, if another.
      if (index >= testSize) index = 0;
      number.value = String(index);
      if (index !== 0) pick(index);
    },
    draw,
    redraw() {
      if (last && !card.hidden) draw(last);
    },
    get last() {
      return last;
    },
  };
}
