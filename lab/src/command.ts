/**
 * The lab's run as a `gradlab train` command: the same data (drawn, split and standardised as
 * the CLI does with --standardize and --test-fraction, lab/src/data.ts), the same model and
 * initial weights (buildModel after manualSeed(seed)), the same batches (trainingLoader,
 * shuffleGenerator(seed)) and the same training step — so the CLI reports the same losses and
 * the same findings (the same non-finite step and layer) for the epochs the lab has run.
 * Settings the CLI has no flag for give the reason instead of a command.
 */
import { shellWord } from '../../src/cli/progress.js';
import { imageShape, isSynthetic, testFraction, type LabState } from './state.js';

/** The lab's monitoring interval (worker.ts): every 5 steps on 2-D data, 10 on wider rows. */
export const monitorEvery = (is2d: boolean): number => (is2d ? 5 : 10);

/** make_blobs' cluster_std from the lab's noise (0 … 0.5 → 1 … 4), as lab/src/data.ts draws blobs. */
export const blobsNoise = (noise: number): number => 1 + noise * 6;

/** `gradlab train …` for the state, training `epochs` epochs; or why there is none. */
export function cliCommand(s: LabState, epochs: number): { command: string } | { reason: string } {
  if (s.dataset === 'local') return { reason: 'Your CSV file stays in this browser, so there is no command for it here: gradlab train --data <your file>.csv splits and standardises it as the lab does.' };
  if (s.head !== 'crossEntropy') return { reason: `gradlab train classifies with softmax + cross-entropy; this run's output and loss (${s.head}) have no CLI flag.` };
  const f: string[] = ['gradlab', 'train', '--data', s.dataset];
  if (isSynthetic(s.dataset)) {
    f.push('--samples', String(s.points), '--noise', String(s.dataset === 'blobs' ? blobsNoise(s.noise) : s.noise), '--test-fraction', String(testFraction(s)), '--standardize');
  }
  if (s.model !== 'mlp' && imageShape(s.dataset)) f.push('--model', s.model);
  else {
    const l = s.layers;
    const same = l.every((x) => x.width === l[0].width && x.activation === l[0].activation && x.bn === l[0].bn);
    if (l.length === 0) f.push('--layers', "''");
    else if (same) f.push('--layers', l.map((x) => x.width).join(','), '--activation', l[0].activation, l[0].bn ? '--batchnorm' : '--no-batchnorm');
    else f.push('--arch', shellWord(l.map((x) => [`linear(${x.width})`, ...(x.bn ? ['bn'] : []), x.activation.toLowerCase(), ...(s.dropout > 0 ? [`dropout(${s.dropout})`] : [])].join(',')).join(',')));
    if (s.dropout > 0 && same) f.push('--dropout', String(s.dropout));
  }
  f.push('--init', s.init, '--optimizer', s.optimizer, '--lr', String(s.lr), '--batch-size', String(s.batchSize));
  if (s.clip > 0) f.push('--clip', String(s.clip));
  f.push('--seed', String(s.seed), '--schedule', 'none', '--epochs', String(Math.max(1, epochs)), '--monitor-every', String(monitorEvery(isSynthetic(s.dataset))));
  return { command: f.join(' ') };
}
