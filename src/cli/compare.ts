/**
 * `gradlab compare`: train every combination of the listed architectures (`--arch`, repeated)
 * × activations × initializers × BatchNorm on/off × optimizers × learning rates, in turn, with the same data, seed and
 * budget; print a table and optionally write one report with the runs side by side.
 * A run that diverges is a result, not a failure: compare exits 0 when every run ran.
 */
import type { ActivationName } from '../activations.js';
import type { InitName } from '../init.js';
import type { OptimizerName } from '../optim/registry.js';
import type { Report } from '../train/types.js';
import { writeFileAtomic } from '../io/atomic.node.js';
import { renderReport } from '../report/html.js';
import { asWriteError, EXIT, usageError, type ExitCode } from './errors.js';
import { checkOutputs } from './outputs.js';
import { formatDuration, num, pct } from './progress.js';
import { table } from './commands.js';
import { runTrain, type CliIO, type TrainArgs, type TrainSummary } from './train.js';

export interface CompareArgs extends Omit<TrainArgs, 'activation' | 'init' | 'batchnorm' | 'optimizer' | 'lr' | 'out' | 'checkpoint' | 'resume' | 'label'> {
  activations: ActivationName[];
  inits: InitName[];
  batchnorms: boolean[];
  optimizers: OptimizerName[];
  /** undefined entries: the optimizer's default lr. */
  lrs: Array<number | undefined>;
  /** Layer lists (`--arch`, once per architecture); [undefined]: the MLP of --layers. */
  archs: Array<string | undefined>;
}

export const MAX_COMPARE_RUNS = 64;

type GridPoint = Pick<TrainArgs, 'activation' | 'init' | 'batchnorm' | 'optimizer' | 'lr' | 'arch'>;

export interface CompareRun {
  label: string;
  arch?: string;
  activation: ActivationName;
  init: InitName;
  batchnorm: boolean;
  optimizer: OptimizerName;
  lr: number;
  summary: TrainSummary;
}

export function gridOf(a: CompareArgs): Array<GridPoint> {
  const out: Array<GridPoint> = [];
  for (const arch of a.archs)
    for (const activation of a.activations)
      for (const init of a.inits)
        for (const batchnorm of a.batchnorms)
          for (const optimizer of a.optimizers)
            for (const lr of a.lrs) out.push({ activation, init, batchnorm, optimizer, ...(lr !== undefined ? { lr } : {}), ...(arch !== undefined ? { arch } : {}) });
  return out;
}

/** An architecture's name in labels and the table: its layer list, shortened past 40 characters. */
export function archLabel(arch: string): string {
  return arch.length <= 40 ? arch : `${arch.slice(0, 37)}...`;
}

/** A run's label from what varies in the grid; architectures by their place on the command line ('arch 2'). */
export function runLabel(c: GridPoint, vary: Set<string>, archs: ReadonlyArray<string | undefined> = []): string {
  const parts: string[] = [];
  if (vary.has('arch')) parts.push(`arch ${archs.indexOf(c.arch) + 1}`);
  if (vary.has('activation')) parts.push(c.activation);
  if (vary.has('init')) parts.push(c.init);
  if (vary.has('batchnorm')) parts.push(c.batchnorm ? 'bn' : 'no-bn');
  if (vary.has('optimizer')) parts.push(c.optimizer);
  if (vary.has('lr')) parts.push(`lr=${c.lr ?? 'default'}`);
  return parts.length ? parts.join(' ') : `${c.activation} ${c.init} ${c.batchnorm ? 'bn' : 'no-bn'} ${c.optimizer}`;
}

export async function runCompare(args: CompareArgs, io: CliIO): Promise<{ code: ExitCode; runs: CompareRun[]; reports: Report[] }> {
  await checkOutputs([{ flag: '--report', path: args.report }], [{ flag: '--data', path: args.data }, ...args.archs.map((path) => ({ flag: '--arch', path }))]);
  const grid = gridOf(args);
  if (grid.length > MAX_COMPARE_RUNS) throw usageError(`compare: the grid has ${grid.length} runs, more than ${MAX_COMPARE_RUNS}; list fewer values`);
  const withArch = args.archs.some((x) => x !== undefined);
  if (withArch && (args.activations.length > 1 || args.batchnorms.length > 1)) {
    throw usageError('compare: --arch fixes each run\'s activations and BatchNorm layers; vary them inside the --arch lists instead of with --activation/--batchnorm');
  }
  const vary = new Set<string>();
  if (args.archs.length > 1) vary.add('arch');
  if (args.activations.length > 1) vary.add('activation');
  if (args.inits.length > 1) vary.add('init');
  if (args.batchnorms.length > 1) vary.add('batchnorm');
  if (args.optimizers.length > 1) vary.add('optimizer');
  if (args.lrs.length > 1) vary.add('lr');
  const runs: CompareRun[] = [];
  const reports: Report[] = [];
  if (!args.quiet) io.stderr.write(`compare: ${grid.length} run${grid.length === 1 ? '' : 's'} on ${args.data}, ${args.epochs} epoch${args.epochs === 1 ? '' : 's'} each, seed ${args.seed}\n`);
  for (const [i, c] of grid.entries()) {
    if (io.signal?.aborted) break;
    const label = runLabel(c, vary, args.archs);
    const { report: _r, json: _j, ...rest } = args as CompareArgs & { report?: string; json?: boolean };
    void _r;
    void _j;
    const r = await runTrain({ ...rest, ...c, label: `[${i + 1}/${grid.length} ${label}]` }, io);
    r.report.config.label = label;
    reports.push(r.report);
    runs.push({ label, ...(c.arch !== undefined ? { arch: c.arch } : {}), activation: c.activation, init: c.init, batchnorm: c.batchnorm, optimizer: c.optimizer, lr: r.config.optimizerOptions.lr, summary: { ...r.summary, label } });
  }
  if (args.report !== undefined) {
    try {
      await writeFileAtomic(args.report, renderReport(reports));
    } catch (e) {
      throw asWriteError(e);
    }
  }
  if (args.json) io.stdout.write(JSON.stringify({ runs: runs.map((r) => ({ ...r, summary: r.summary })), report: args.report ?? null }) + '\n');
  else io.stdout.write(formatCompareTable(runs) + (args.report ? `\nreport ${args.report}\n` : '\n'));
  const interrupted = io.signal?.aborted ?? false;
  return { code: interrupted ? EXIT.interrupted : EXIT.ok, runs, reports };
}

export function formatCompareTable(runs: CompareRun[]): string {
  const sorted = [...runs].sort((a, b) => (b.summary.test.accuracy ?? -Infinity) - (a.summary.test.accuracy ?? -Infinity) || (a.summary.test.loss ?? Infinity) - (b.summary.test.loss ?? Infinity));
  // With --arch the layer list says the activations and BatchNorm: one 'arch' column instead.
  const arch = runs.some((r) => r.arch !== undefined);
  const header = ['run', ...(arch ? ['arch'] : ['activation']), 'init', ...(arch ? [] : ['bn']), 'optimizer', 'lr', 'test acc', 'test loss', 'train loss', 'findings', 'status', 'time'];
  const rows = sorted.map((r) => [
    r.label,
    ...(arch ? [r.arch === undefined ? '-' : archLabel(r.arch)] : [r.activation]),
    r.init,
    ...(arch ? [] : [r.batchnorm ? 'yes' : 'no']),
    r.optimizer,
    String(r.lr),
    r.summary.test.accuracy === undefined ? '-' : pct(r.summary.test.accuracy ?? undefined),
    num(r.summary.test.loss),
    num(r.summary.train.loss),
    `${r.summary.findings.errors}E ${r.summary.findings.warnings}W`,
    r.summary.status,
    formatDuration(r.summary.durationMs),
  ]);
  return table(header, rows);
}
