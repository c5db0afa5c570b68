/**
 * `gradlab experiment list` and `gradlab experiment run <name>`: the registry of
 * src/experiments, its verdicts on the terminal, as JSON, or as an HTML page.
 */
import { writeFileAtomic } from '../io/atomic.node.js';
import { getExperiment, listExperiments } from '../experiments/index.js';
import { renderExperiment } from '../report/experiment.js';
import { EXIT, asWriteError, usageError, type ExitCode } from './errors.js';
import { checkOutputs } from './outputs.js';
import type { CliIO } from './train.js';

export function runExperimentList(args: { json?: boolean }, io: CliIO): { code: ExitCode } {
  const list = listExperiments();
  if (args.json) {
    io.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return { code: EXIT.ok };
  }
  const width = Math.max(...list.map((e) => e.name.length));
  for (const e of list) io.stdout.write(`${e.name.padEnd(width)}  ${e.title}\n${' '.repeat(width + 2)}${e.citation}\n`);
  return { code: EXIT.ok };
}

export interface ExperimentRunArgs {
  name: string;
  quick?: boolean;
  seed?: number;
  report?: string;
  json?: boolean;
}

/** Exit 0 when the finding was reproduced, 1 when a check failed. */
export async function runExperimentCommand(args: ExperimentRunArgs, io: CliIO): Promise<{ code: ExitCode }> {
  let experiment;
  try {
    experiment = getExperiment(args.name);
  } catch (e) {
    throw usageError((e as Error).message);
  }
  await checkOutputs([{ flag: '--report', path: args.report }]);
  io.stderr.write(`${experiment.title}${args.quick ? ' (quick)' : ''}\n${experiment.claim}\n`);
  let last = -1;
  // Ctrl-C/SIGTERM: experiments report progress between their runs, so that is where one stops
  // (a verdict of half the runs would be a wrong one: no report, no verdict, exit 130).
  const stopped = new Error('experiment interrupted');
  let result;
  try {
    result = await experiment.run({
      quick: args.quick ?? false,
      ...(args.seed !== undefined ? { seed: args.seed } : {}),
      onProgress: (fraction, message) => {
        if (io.signal?.aborted) throw stopped;
        const pct = Math.floor(fraction * 100);
        if (pct >= last + 10 || fraction >= 1) {
          last = pct;
          io.stderr.write(`  ${String(pct).padStart(3)}%  ${message}\n`);
        }
      },
    });
  } catch (e) {
    if (e !== stopped) throw e;
    io.stderr.write(`interrupted: ${args.name} stopped before its verdict${args.report ? `; ${args.report} was not written` : ''}\n`);
    return { code: EXIT.interrupted };
  }
  if (args.report) {
    try {
      await writeFileAtomic(args.report, renderExperiment(result));
    } catch (e) {
      throw asWriteError(e);
    }
    io.stderr.write(`report: ${args.report}\n`);
  }
  if (args.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
  } else {
    for (const c of result.verdict.checks) io.stdout.write(`${c.passed ? '✔' : '✘'} ${c.description}\n    observed: ${c.observed}\n`);
    io.stdout.write(`\n${result.verdict.reproduced ? 'REPRODUCED' : 'NOT REPRODUCED'}: ${result.verdict.summary}\n(${experiment.citation})\n`);
  }
  return { code: result.verdict.reproduced ? EXIT.ok : EXIT.trainingFailed };
}
