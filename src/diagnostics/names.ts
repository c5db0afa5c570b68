/**
 * One name for a layer wherever it is shown (terminal, JSON evidence, HTML report, lab): its role
 * in the network, its type and size, and its module path, e.g.
 * "hidden 3 · Linear 256→256 (module 6)" or "conv 2 · Conv2d 32→64 3×3 (module 4)". The role
 * counts layers with weights from the input: the k-th Linear and the BatchNorm/activation modules
 * after it form "hidden k" (the last Linear and what follows it are "output"), the k-th Conv2d and
 * what follows it "conv k", the k-th residual block and what follows it "block k". Findings keep
 * module paths (DESIGN: layers are the paths of namedParameters()); this is how they are displayed.
 */
import type { LayerSeries, Report } from '../train/types.js';

/** What naming a layer needs: a Report's monitor series carry it. */
export type LayerDescription = Pick<LayerSeries, 'name' | 'kind' | 'units' | 'inputs' | 'activation' | 'kernel'>;

/**
 * The layer kinds with weights of their own, whose gradients and update ratios the rules and
 * charts compare along the depth of a network (a residual block's are its convolutions').
 */
export const WEIGHTED_KINDS: readonly string[] = ['Linear', 'Conv2d', 'BasicBlock', 'Residual'];

/** Display names of the layers, by module path. */
export function layerLabels(layers: readonly LayerDescription[]): Map<string, string> {
  const out = new Map<string, string>();
  const linears = layers.filter((l) => l.kind === 'Linear');
  const lastLinear = linears[linears.length - 1];
  const count = { Linear: 0, Conv2d: 0, block: 0 };
  let role = 'input';
  for (const l of layers) {
    if (l.kind === 'Linear') role = l === lastLinear ? 'output' : `hidden ${++count.Linear}`;
    else if (l.kind === 'Conv2d') role = `conv ${++count.Conv2d}`;
    else if (l.kind === 'BasicBlock' || l.kind === 'Residual') role = `block ${++count.block}`;
    const io = `${l.inputs ?? '?'}→${l.units ?? '?'}`;
    const what =
      l.kind === 'Linear'
        ? `Linear ${io}`
        : l.kind === 'Conv2d'
          ? `Conv2d ${io}${l.kernel ? ` ${l.kernel[0]}×${l.kernel[1]}` : ''}`
          : l.kind === 'BasicBlock' && l.units !== undefined
            ? `BasicBlock ${io}`
            : l.kind.startsWith('BatchNorm') && l.units !== undefined
              ? `${l.kind} ${l.units}`
              : l.kind;
    out.set(l.name, `${role} · ${what} (module ${l.name})`);
  }
  return out;
}

/** A function naming layers by module path (for a path no series describes: "module p"). */
export function layerNamer(layers: readonly LayerDescription[]): (path: string) => string {
  const labels = layerLabels(layers);
  return (path) => labels.get(path) ?? (path === '' ? 'the model' : `module ${path}`);
}

/** The namer for a Report's layers (its monitor series). */
export const reportLayerNamer = (r: Pick<Report, 'monitors'>): ((path: string) => string) => layerNamer(r.monitors?.layers ?? []);

/** Names as a list for text: all of them up to `max`, else the first `max` and how many more. */
export function nameList(paths: readonly string[], name: (path: string) => string, max = 4): string {
  if (paths.length <= max) return paths.map(name).join(', ');
  return `${paths.slice(0, max).map(name).join(', ')} and ${paths.length - max} more`;
}
