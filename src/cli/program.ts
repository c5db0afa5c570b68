/**
 * The `gradlab` command line: commander subcommands over the run* functions. `run(argv, io)`
 * returns the exit code instead of exiting, so tests drive the CLI in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { INIT_NAMES } from '../init.js';
import { OPTIMIZER_NAMES } from '../optim/registry.js';
import { ACTIVATIONS } from '../activations.js';
import { LAYER_TYPES } from '../arch.js';
import { INITIALIZERS } from '../init.js';
import { DATA_HELP } from './data.js';
import { CliError, EXIT, EXIT_CODES_HELP, type ExitCode } from './errors.js';
import { checkOutputs } from './outputs.js';
import { printable } from './progress.js';
import {
  HIDDEN_ACTIVATIONS,
  parseActivation,
  parseBoolList,
  parseInit,
  parseIntFlag,
  parseLayers,
  parseList,
  parseNumberFlag,
  parseOptimizer,
  parseDataFlag,
  parseLabelFlag,
  choice,
} from './options.js';
import { DEFAULT_SAMPLES, DEFAULT_TEST_FRACTION, RUN_LIMITS } from '../recipe.js';
import { DEFAULT_MONITOR_EVERY } from '../diagnostics/monitors.js';
import { reportLayerNamer } from '../diagnostics/names.js';
import { DEFAULTS, defaultLr, formatSummary, MODEL_PRESETS, runTrain, SCHEDULES, type CliIO, type TrainArgs } from './train.js';
import { runEvaluate, runExport, runExportTrain, runInspect, runPredict, type EvaluateArgs } from './commands.js';
import { runCompare } from './compare.js';
import { runLab } from './lab.js';
import { runExperimentCommand, runExperimentList } from './experiment.js';
import { EXPERIMENT_NAMES } from '../experiments/index.js';
import { VERSION } from '../version.js';

export { VERSION } from '../version.js';

const STATE_DICT_ARCH_HELP =
  'read <model> as a plain PyTorch state dict (a torch.nn.Sequential\'s: the .pt of torch.save(model.state_dict(), path), or safetensors without gradlab metadata) of this architecture: ' +
  'a layer list as train --arch takes it (conv nets: "conv(8,3,padding=1),bn,relu,maxpool(2),flatten,linear(10)"), or a JSON model spec, inline or a .json file, e.g. \'{"activation": "tanh"}\'. Widths, inputs, outputs, BatchNorm, PReLU and Dropout ' +
  'are read off the tensors; give the hidden activation ("activations": [...] per layer) and, for one output, "output": "sigmoid" or "linear"';
const ARCH_HELP = Object.values(LAYER_TYPES)
  .map((t) => `  ${t.summary}`)
  .concat([`  an activation: ${HIDDEN_ACTIVATIONS.join(', ')}`])
  .join('\n');

const TRAIN_EXAMPLES = `
Examples:
  $ gradlab train                                   # ReLU + He init + BatchNorm + Adam on the built-in MNIST
  $ gradlab train --out model.safetensors --report report.html
  $ gradlab train --data spiral --layers 16,16 --activation tanh --epochs 200 --batch-size 32
  $ gradlab train --activation sigmoid --init normal --no-batchnorm --optimizer sgd   # watch it fail
  $ gradlab train --data data.csv --label species --json > run.json
  $ gradlab train --epochs 10 --checkpoint ckpt.safetensors     # then, after an interruption:
  $ gradlab train --epochs 10 --resume ckpt.safetensors --checkpoint ckpt.safetensors

  $ gradlab train --data fashion-mnist --arch "conv(16,3,padding=1),bn,relu,maxpool(2),conv(32,3,padding=1),bn,relu,maxpool(2),flatten,linear(10)"
  $ gradlab train --data mnist --arch "conv(16,3,padding=1),bn,relu,residual(16),residual(32,stride=2),adaptiveavgpool(1)"

--arch: layers separated by commas, each name or name(arguments), positional first then key=value
(a JSON file holds the same list as [{"type": "conv", "out": 16, "kernel": 3, "padding": 1}, …]).
Image sets are viewed as [N, 1, H, W]; the output linear(classes) is added unless the list ends with it.
${ARCH_HELP}

Activations (--activation): ${HIDDEN_ACTIVATIONS.join(', ')}
Initializers (--init):      ${INIT_NAMES.join(', ')}
Optimizers (--optimizer):   ${OPTIMIZER_NAMES.map((n) => `${n} (lr ${defaultLr(n)})`).join(', ')}
`;

function describeActivations(): string {
  return HIDDEN_ACTIVATIONS.map((a) => `  ${a.padEnd(10)} ${ACTIVATIONS[a].summary} [init: ${ACTIVATIONS[a].init}]`).join('\n');
}
function describeInits(): string {
  return INIT_NAMES.map((n) => `  ${n.padEnd(15)} ${INITIALIZERS[n].summary}`).join('\n');
}

/** Flags shared by train and compare (everything but the grid dimensions). */
function addCommonTrainOptions(cmd: Command, resumable: boolean): Command {
  return cmd
    .option('-d, --data <name|path>', DATA_HELP, parseDataFlag, DEFAULTS.data)
    .addOption(new Option('--layers <widths>', 'hidden layer widths, comma-separated ("", none or 0: no hidden layer)').argParser(parseLayers).default(DEFAULTS.layers, DEFAULTS.layers.join(',')))
    .option('--dropout <p>', 'dropout probability after each hidden activation, in [0, 1)', (v) => parseNumberFlag('--dropout', v, 0, 1, false), DEFAULTS.dropout)
    .option('--weight-decay <λ>', 'L2 weight decay (AdamW: decoupled)', (v) => parseNumberFlag('--weight-decay', v, 0))
    .option('-e, --epochs <n>', resumable ? 'epochs (with --resume: the total to reach)' : 'epochs of each run', (v) => parseIntFlag('--epochs', v, ...RUN_LIMITS.epochs), DEFAULTS.epochs)
    .option('-b, --batch-size <n>', 'examples per batch', (v) => parseIntFlag('--batch-size', v, ...RUN_LIMITS.batchSize), DEFAULTS.batchSize)
    .option('--clip <maxNorm>', 'clip the global gradient norm to maxNorm (> 0)', (v) => parseNumberFlag('--clip', v, 0, Infinity, true, false))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule over the epochs').choices(SCHEDULES as unknown as string[]).default(DEFAULTS.schedule))
    .option('--seed <n>', 'seed of weights, shuffling, dropout and synthetic data', (v) => parseIntFlag('--seed', v, ...RUN_LIMITS.seed), DEFAULTS.seed)
    .option('--label <column>', 'CSV: the label column (default: the last)', parseLabelFlag)
    .option('--samples <n>', `examples of a synthetic data set (train + test) (default: ${DEFAULT_SAMPLES})`, (v) => parseIntFlag('--samples', v, ...RUN_LIMITS.samples))
    .option('--noise <σ>', "noise of a synthetic data set (default: the set's own, 0 but blobs' 1)", (v) => parseNumberFlag('--noise', v, ...RUN_LIMITS.noise))
    .option('--limit <n>', 'use only the first n training examples', (v) => parseIntFlag('--limit', v, ...RUN_LIMITS.limit))
    .option('--standardize', "synthetic sets: standardise the features with the training part's mean and standard deviation, as the web lab does (a CSV file always is)")
    .option('--test-fraction <f>', `held-out share of data without a test split of its own (synthetic, CSV), in (0, 1) (default: ${DEFAULT_TEST_FRACTION})`, (v) => parseNumberFlag('--test-fraction', v, 0, 1, false, false))
    .option('--monitor-every <steps>', `record per-layer statistics every N steps (default: ${DEFAULT_MONITOR_EVERY})`, (v) => parseIntFlag('--monitor-every', v, 1))
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--json', 'print one JSON document (the run summary) on stdout')
    .option('-q, --quiet', 'no progress output (findings and errors still go to stderr)');
}

/** What commander parses for train/compare: TrainArgs, except that --label is the CSV label column. */
type TrainOpts = Omit<TrainArgs, 'label' | 'csvLabel' | 'callbacks' | 'given'> & { label?: string };

/** The TrainArgs keys of the options the user typed (commander's 'cli' source), not defaulted ones. */
function givenArgs(cmd: Command, o: TrainOpts): Array<keyof TrainArgs> {
  return (Object.keys(o) as Array<keyof TrainOpts>)
    .filter((k) => cmd.getOptionValueSource(k) === 'cli')
    .map((k) => (k === 'label' ? 'csvLabel' : k) as keyof TrainArgs);
}

function trainArgs(o: TrainOpts): TrainArgs {
  const a: TrainArgs = {
    data: o.data,
    layers: o.layers,
    activation: o.activation,
    init: o.init,
    batchnorm: o.batchnorm,
    dropout: o.dropout,
    optimizer: o.optimizer,
    epochs: o.epochs,
    batchSize: o.batchSize,
    schedule: o.schedule,
    seed: o.seed,
  };
  if (o.label !== undefined) a.csvLabel = o.label;
  for (const k of ['arch', 'model', 'lr', 'weightDecay', 'clip', 'samples', 'noise', 'limit', 'testFraction', 'standardize', 'monitorEvery', 'out', 'report', 'json', 'quiet', 'checkpoint', 'resume'] as const) {
    if (o[k] !== undefined) (a as unknown as Record<string, unknown>)[k] = o[k];
  }
  return a;
}

/**
 * Flags of other training scripts (PyTorch examples, Keras, argparse habits) and what gradlab
 * calls them, for an unknown option that commander's edit distance cannot place (--hidden is
 * far from --layers; --batch is nearest to --arch). A value without a flag is an explanation.
 */
const FOREIGN_FLAGS: Readonly<Record<string, string>> = {
  '--hidden': '--layers', '--hidden-size': '--layers', '--hidden-sizes': '--layers', '--hidden-layers': '--layers', '--hidden-dim': '--layers', '--hidden-dims': '--layers', '--units': '--layers', '--width': '--layers', '--depth': '--layers',
  '--learning-rate': '--lr', '--learningrate': '--lr',
  '--batch': '--batch-size', '--bs': '--batch-size', '--batchsize': '--batch-size',
  '--num-epochs': '--epochs', '--n-epochs': '--epochs', '--max-epochs': '--epochs', '--epoch': '--epochs',
  '--optim': '--optimizer', '--opt': '--optimizer',
  '--momentum': '--optimizer momentum (SGD with momentum 0.9) or --optimizer nesterov',
  '--save': '--out', '--save-path': '--out', '--model-path': '--out', '--output-model': '--out', '--save-model': '--out',
  '--wd': '--weight-decay', '--scheduler': '--schedule', '--lr-schedule': '--schedule', '--load': '--resume', '--resume-from': '--resume',
  '--device': 'no flag: gradlab runs on the CPU with WebAssembly SIMD kernels and picks its threads itself',
  '--cuda': 'no flag: gradlab runs on the CPU with WebAssembly SIMD kernels and picks its threads itself',
  '--gpu': 'no flag: gradlab runs on the CPU with WebAssembly SIMD kernels and picks its threads itself',
  '--num-workers': 'no flag: gradlab loads its data in-process and picks its threads itself',
  '--workers': 'no flag: gradlab loads its data in-process and picks its threads itself',
};

/**
 * commander's output: its errors begin "gradlab: error:" as the CLI's own do; an unknown option
 * that is another tool's name for one of the command's flags (or snake_case for a kebab-case
 * flag) names the flag, in place of commander's nearest spelling.
 */
function outputs(io: CliIO, command?: Command, argv: readonly string[] = []): { writeOut: (s: string) => void; writeErr: (s: string) => void; outputError: (s: string, write: (s: string) => void) => void } {
  const suggest = (s: string): string => {
    // `--batchnorm false` (argparse's habit): commander reads "false" as a stray argument.
    if (/^error: too many arguments/.test(s) && command !== undefined) {
      for (let i = 1; i < argv.length; i++) {
        const opt = command.options.find((o) => o.long === argv[i - 1] || o.short === argv[i - 1]);
        if (!opt || opt.required || opt.optional || !/^(true|false|yes|no|on|off|0|1)$/i.test(argv[i])) continue;
        const off = command.options.find((o) => o.negate && o.long === `--no-${opt.long?.replace(/^--(no-)?/, '')}`);
        const how = opt.negate ? `${opt.long} turns it off` : off ? `${opt.long} turns it on, ${off.long} off` : `give ${opt.long} alone`;
        return `${s.trimEnd()}\n(${opt.long} is a switch and takes no value: ${how}; ${JSON.stringify(argv[i])} is left over)\n`;
      }
    }
    const m = /^error: unknown option '(--[^'=]+)[^']*'/.exec(s);
    if (!m || command === undefined) return s;
    const flag = m[1].toLowerCase();
    const has = (f: string): boolean => command.options.some((o) => o.long === f);
    const kebab = flag.replace(/_/g, '-');
    const foreign = FOREIGN_FLAGS[flag] ?? FOREIGN_FLAGS[kebab];
    const target = has(kebab) && kebab !== flag ? kebab : foreign !== undefined && (foreign.startsWith('no flag') || has(foreign.split(' ')[0])) ? foreign : undefined;
    if (target === undefined) return s;
    const line = target.startsWith('no flag') ? `(${m[1]}: ${target})` : `(gradlab's flag for this is ${target})`;
    return `${s.replace(/\n\(Did you mean [^)]*\)/, '').trimEnd()}\n${line}\n`;
  };
  return { writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s), outputError: (s, write) => write(`gradlab: ${suggest(s)}`) };
}

export function createProgram(io: CliIO, setCode: (c: ExitCode) => void): Command {
  const program = new Command();
  program
    .name('gradlab')
    .description('Train neural networks and see why they learn or fail.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput(outputs(io))
    .exitOverride()
    .addHelpText('after', `\nExamples:\n  $ gradlab train                        # a sensible default on the built-in MNIST\n  $ gradlab train --report report.html --out model.safetensors\n  $ gradlab inspect model.safetensors\n  $ gradlab compare --activation relu,tanh,sigmoid --batchnorm true,false --epochs 2\n\n${EXIT_CODES_HELP}\n`);

  const train = program
    .command('train')
    .description('train a network and report how it learned')
    .option('--activation <name>', `hidden activation: ${HIDDEN_ACTIVATIONS.join(', ')}`, parseActivation, DEFAULTS.activation)
    .option('--init <name>', `weight initializer (auto = the activation's recommended one): ${INIT_NAMES.join(', ')}`, parseInit, DEFAULTS.init)
    .option('--arch <layers|file.json>', 'a layer list instead of --layers/--activation/--batchnorm (grammar below)')
    .addOption(new Option('--model <preset>', `a named architecture instead of --layers/--arch (${Object.entries(MODEL_PRESETS).map(([name, p]) => `${name}: ${p.arch}, ${p.epochs} epochs unless --epochs is given`).join('; ')})`).choices(Object.keys(MODEL_PRESETS)))
    .option('--batchnorm', 'BatchNorm1d before each hidden activation', true)
    .option('--no-batchnorm', 'no BatchNorm')
    .option('--optimizer <name>', `optimizer: ${OPTIMIZER_NAMES.join(', ')}`, parseOptimizer, DEFAULTS.optimizer)
    .option('--lr <rate>', `learning rate (default: ${defaultLr(DEFAULTS.optimizer)} with ${DEFAULTS.optimizer}, else the optimizer's own)`, (v) => parseNumberFlag('--lr', v, 0, Infinity, true, false))
    .option('-o, --out <file.safetensors>', 'save the trained model (atomically)')
    .option('--checkpoint <file.safetensors>', 'save a resumable checkpoint after every epoch')
    .option('--resume <checkpoint>', 'continue a run from a checkpoint (bit-identical to an uninterrupted run)');
  addCommonTrainOptions(train, true);
  train.addHelpText('after', TRAIN_EXAMPLES + `\n${EXIT_CODES_HELP}\n`);
  train.action(async (o: TrainOpts, cmd: Command) => {
    const r = await runTrain({ ...trainArgs(o), given: givenArgs(cmd, o) }, io);
    if (o.json) io.stdout.write(JSON.stringify({ ...r.summary, config: r.report.config, history: r.report.history.epochs, findings: r.report.findings, stopReason: r.report.stopReason ?? null, nonFinite: r.report.nonFinite ?? null }) + '\n');
    else io.stdout.write(formatSummary(r.summary, r.report.findings, reportLayerNamer(r.report)) + '\n');
    setCode(r.code);
  });

  program
    .command('evaluate')
    .description("a saved model's loss and accuracy on a data set")
    .argument('<model>', 'a .safetensors model file (or a PyTorch state dict, .pt or .safetensors, with --arch)')
    .option('--arch <spec>', STATE_DICT_ARCH_HELP)
    .option('-d, --data <name|path>', `${DATA_HELP} (default: the data the model was trained on; its held-out part, split as in training; another CSV: all its rows)`, parseDataFlag)
    .addOption(new Option('--split <split>', 'which part of the data').choices(['test', 'train']).default('test'))
    .option('--seed <n>', "seed of a synthetic set and of the split (default: the model's recipe)", (v) => parseIntFlag('--seed', v, ...RUN_LIMITS.seed))
    .option('--label <column>', "CSV: the label column (default: the model's recipe; else the last column, or the one column that is not among the model's features when the last is)", parseLabelFlag)
    .option('--samples <n>', "examples of a synthetic set (default: the model's recipe)", (v) => parseIntFlag('--samples', v, ...RUN_LIMITS.samples))
    .option('--noise <σ>', "noise of a synthetic set (default: the model's recipe)", (v) => parseNumberFlag('--noise', v, ...RUN_LIMITS.noise))
    .option('--limit <n>', "only the first n examples of the part evaluated (default: all; with --split train, the model's recipe)", (v) => parseIntFlag('--limit', v, ...RUN_LIMITS.limit))
    .option('--json', 'print JSON')
    .addHelpText('after', `\nThe model file stores how its data was drawn and split (source, seed, samples, noise, limit, label\ncolumn, scaler, held-out share); evaluate replays it, and a flag overrides only what it names.\n\nExamples:\n  $ gradlab evaluate model.safetensors                 # the held-out part of its training data\n  $ gradlab evaluate model.safetensors --data mnist\n  $ gradlab evaluate model.safetensors --data test.csv --json\n  $ gradlab evaluate torch.safetensors --arch '{"activation": "tanh"}' --data iris.csv   # a PyTorch state dict\n  $ gradlab evaluate model.pt --arch "conv(8,3,padding=1),bn,relu,maxpool(2),flatten,linear(10)" --data mnist   # torch.save(model.state_dict(), 'model.pt')\n\n${EXIT_CODES_HELP}\n`)
    .action(async (model: string, o: { arch?: string; data?: string; split: 'test' | 'train'; seed?: number; label?: string; samples?: number; noise?: number; limit?: number; json?: boolean }) => {
      const a: EvaluateArgs = { model, split: o.split };
      for (const k of ['arch', 'data', 'seed', 'label', 'samples', 'noise', 'limit', 'json'] as const) if (o[k] !== undefined) (a as unknown as Record<string, unknown>)[k] = o[k];
      const r = await runEvaluate(a, io);
      setCode(r.code);
    });

  program
    .command('predict')
    .description('predictions of a saved model')
    .argument('<model>', 'a .safetensors model file (or a PyTorch state dict, .pt or .safetensors, with --arch)')
    .argument('<input>', "inputs: a CSV file (header optional), a JSON file or inline JSON ('[0.1, 0.2]' or [[...], ...]), an IDX images file, or - for stdin")
    .option('--top <k>', 'show the k most probable classes', (v) => parseIntFlag('--top', v, 1, 1000), 1)
    .option('--arch <spec>', STATE_DICT_ARCH_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  $ gradlab predict model.safetensors digits.csv\n  $ gradlab predict spiral.safetensors '[0.5, -1.2]' --top 2\n  $ cat rows.json | gradlab predict model.safetensors - --json\n\n${EXIT_CODES_HELP}\n`)
    .action(async (model: string, input: string, o: { top: number; arch?: string; json?: boolean }) => {
      const r = await runPredict({ model, input, top: o.top, ...(o.arch !== undefined ? { arch: o.arch } : {}), ...(o.json ? { json: true } : {}) }, io);
      setCode(r.code);
    });

  program
    .command('inspect')
    .description("a saved model's architecture, training configuration and parameter statistics")
    .argument('<model>', 'a .safetensors model file or checkpoint (or a PyTorch state dict, .pt or .safetensors, with --arch)')
    .option('--arch <spec>', STATE_DICT_ARCH_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  $ gradlab inspect model.safetensors\n  $ gradlab inspect model.safetensors --json | jq .tensors\n\n${EXIT_CODES_HELP}\n`)
    .action(async (model: string, o: { arch?: string; json?: boolean }) => {
      const r = await runInspect({ model, ...(o.arch !== undefined ? { arch: o.arch } : {}), ...(o.json ? { json: true } : {}) }, io);
      setCode(r.code);
    });

  program
    .command('export')
    .description('export a saved model to ONNX (runs in onnxruntime) and/or as a PyTorch script, or its recipe as a PyTorch training script')
    .argument('<model>', 'a .safetensors model file (or a PyTorch state dict, .pt or .safetensors, with --arch)')
    .option('--onnx <file.onnx>', 'write an ONNX model (opset 17): input "input" [batch, features], outputs what predict gives ("probabilities", or "values" for regression) and "logits"')
    .option('--pytorch <file.py>', 'write a Python file defining the torch.nn.Sequential and loading the weights')
    .option('--pytorch-train <train.py>', 'write a standalone PyTorch training script of the run (single process or torchrun/DDP) that writes a gradlab model file')
    .option('--arch <spec>', STATE_DICT_ARCH_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', `\nExamples:\n  $ gradlab export model.safetensors --onnx model.onnx\n  $ gradlab export model.safetensors --pytorch model.py\n  $ gradlab export torch.safetensors --arch '{"activation": "gelu"}' --onnx model.onnx   # a PyTorch state dict\n  $ python3 -c "import model; m = model.load_model(); print(m)"\n\nThe ONNX graph includes the feature scaler stored with the model, so it takes raw rows as predict does.\n\n${EXIT_CODES_HELP}\n`)
    .action(async (model: string, o: { pytorch?: string; pytorchTrain?: string; onnx?: string; arch?: string; json?: boolean }) => {
      let code: ExitCode = EXIT.ok;
      // The three outputs against each other and the model, before either export runs.
      await checkOutputs([{ flag: '--onnx', path: o.onnx }, { flag: '--pytorch', path: o.pytorch }, { flag: '--pytorch-train', path: o.pytorchTrain }], [{ flag: '<model>', path: model }, { flag: '--arch', path: o.arch }]);
      if (o.pytorch !== undefined || o.onnx !== undefined || o.pytorchTrain === undefined) {
        code = (await runExport({ model, ...(o.arch !== undefined ? { arch: o.arch } : {}), ...(o.pytorch !== undefined ? { pytorch: o.pytorch } : {}), ...(o.onnx !== undefined ? { onnx: o.onnx } : {}), ...(o.json ? { json: true } : {}) }, io)).code;
      }
      if (code === EXIT.ok && o.pytorchTrain !== undefined) code = (await runExportTrain({ model, script: o.pytorchTrain, ...(o.json ? { json: true } : {}) }, io)).code;
      setCode(code);
    });

  const compare = program
    .command('compare')
    .description('train a grid of configurations in turn and compare them side by side')
    .addOption(new Option('--activation <names>', `comma-separated: ${HIDDEN_ACTIVATIONS.join(', ')}`).argParser((v) => parseList('--activation', v, HIDDEN_ACTIVATIONS)).default([DEFAULTS.activation], DEFAULTS.activation))
    .addOption(new Option('--init <names>', `comma-separated: ${INIT_NAMES.join(', ')}`).argParser((v) => parseList('--init', v, INIT_NAMES)).default([DEFAULTS.init], DEFAULTS.init))
    .addOption(new Option('--batchnorm <list>', 'comma-separated true/false').argParser((v) => parseBoolList('--batchnorm', v)).default([DEFAULTS.batchnorm], String(DEFAULTS.batchnorm)))
    .addOption(new Option('--optimizer <names>', `comma-separated: ${OPTIMIZER_NAMES.join(', ')}`).argParser((v) => parseList('--optimizer', v, OPTIMIZER_NAMES)).default([DEFAULTS.optimizer], DEFAULTS.optimizer))
.option('--lr <rates>', "comma-separated learning rates (default: each optimizer's, as in train)", (v) =>
      v.split(',').map((s) => parseNumberFlag('--lr', s.trim(), 0, Infinity, true, false)),
    )
    .option('--arch <layers|file.json>', 'a layer list, as in train --arch; repeat the flag to compare architectures', (v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  addCommonTrainOptions(compare, false);
  compare.addHelpText(
    'after',
    `\nExamples:\n  $ gradlab compare --activation relu,tanh,sigmoid --epochs 2 --report compare.html\n  $ gradlab compare --init auto,normal,zeros --batchnorm true,false --data spiral --layers 16,16 --epochs 100\n  $ gradlab compare --optimizer sgd,adam --lr 0.1,0.01,0.001 --json\n  $ gradlab compare --data fashion-mnist --epochs 1 --arch "conv(16,3,padding=1),relu,maxpool(2),flatten" --arch "conv(16,3,padding=1),bn,relu,maxpool(2),flatten"\n\n--arch: the grammar of train --arch (gradlab train --help).\n\nActivations:\n${describeActivations()}\n\nInitializers:\n${describeInits()}\n\n${EXIT_CODES_HELP}\n`,
  );
  compare.action(async (o: TrainOpts & { activation: TrainArgs['activation'][]; init: TrainArgs['init'][]; batchnorm: boolean[]; optimizer: TrainArgs['optimizer'][]; lr?: number[]; arch?: string[] }, cmd: Command) => {
    // `given`: each run refuses typed flags its --arch would ignore, as train does. A value given
    // twice is one run, as the name lists are (parseList).
    const base = { ...trainArgs({ ...o, activation: o.activation[0], init: o.init[0], batchnorm: o.batchnorm[0], optimizer: o.optimizer[0], lr: undefined, arch: undefined } as TrainOpts), given: givenArgs(cmd, o) };
    const r = await runCompare(
      { ...base, activations: o.activation, inits: o.init, batchnorms: o.batchnorm, optimizers: o.optimizer, lrs: o.lr ? [...new Set(o.lr)] : [undefined], archs: o.arch ? [...new Set(o.arch)] : [undefined] },
      io,
    );
    setCode(r.code);
  });

  const experiment = program
    .command('experiment')
    .description('reproduce a published finding about why networks learn or fail (list, run)')
    .addHelpText('after', `\nExamples:\n  $ gradlab experiment list                     # or: gradlab experiment --list\n  $ gradlab experiment run he-2015 --quick\n  $ gradlab experiment run ioffe-szegedy-2015 --report bn.html\n\n${EXIT_CODES_HELP}\n`);
  experiment
    .command('list')
    .description('the experiments, with their citations')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => setCode(runExperimentList(o, io).code));
  experiment
    .command('run')
    .description('run one experiment and judge it against the paper (exit 0 reproduced, 1 not)')
    .argument('<name>', `one of: ${EXPERIMENT_NAMES.join(', ')}`)
    .option('--quick', 'the small version (seconds; what CI runs)')
    .option('--seed <n>', 'seed of every random draw', (v) => parseIntFlag('--seed', v, 0, Number.MAX_SAFE_INTEGER))
    .option('--report <file.html>', 'write a self-contained HTML page of the measurements and the verdict')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { quick?: boolean; seed?: number; report?: string; json?: boolean }) => {
      const r = await runExperimentCommand({ name, ...o }, io);
      setCode(r.code);
    });

  program
    .command('lab')
    .description('serve the web lab (train in the browser and watch every layer) on this machine')
    .option('--port <n>', 'port (0 picks a free one)', (v) => parseIntFlag('--port', v, 0, 65535), 5173)
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .addHelpText('after', `\nExamples:\n  $ gradlab lab                 # then open the printed URL\n  $ gradlab lab --port 8080\n\nThe server sends the cross-origin isolation headers (COOP/COEP) the lab's threaded kernels need.\n\n${EXIT_CODES_HELP}\n`)
    .action(async (o: { port: number; host: string }) => {
      const r = await runLab({ port: o.port, host: o.host }, io);
      setCode(r.code);
    });

  return program;
}

/**
 * `help X` as `X --help`, so that an unknown or misspelt X is the usage error commander gives
 * `gradlab X` (exit 2, with its did-you-mean) instead of the parent's help with exit 0; and a
 * command path that stops at a group (`gradlab`, `gradlab experiment`) shows the group's help
 * on stdout, as --help does, instead of on stderr.
 */
function helpArgv(program: Command, argv: string[]): string[] {
  let cmd = program;
  const path: string[] = [];
  let help = false;
  for (const a of argv) {
    if (a === 'help' && !help && cmd.commands.length > 0) {
      help = true;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    // An unknown name alone, so that commander names it with its did-you-mean (with --help it
    // would show the parent's help and exit 0: `gradlab quiz --help`).
    if (!sub) return help || (!a.startsWith('-') && argv.some((x) => x === '--help' || x === '-h')) ? [...path, a] : argv;
    path.push(a);
    cmd = sub;
    if (cmd.commands.length === 0) return help ? [...path, '--help'] : argv;
  }
  return [...path, '--help'];
}

/** Flags a command takes more than once on purpose (each value one more run), as `command --flag`. */
const REPEATABLE_FLAGS = new Set(['compare --arch']);

/**
 * A flag given twice with different values (`--lr 0.1 … --lr 0.2`, `-e 2 --epochs 5`) takes the
 * last value, as argparse and commander do (a script's `$COMMON --epochs 1` overrides its
 * default, and the tests do so), but never silently: a note on stderr names both values and the
 * one used, so a run of another learning rate or data set than the user read on the line is
 * seen. The same value twice is one value.
 */
function noteRepeatedFlags(c: Command, io: CliIO): void {
  const seen = new Map<string, string>();
  for (const opt of c.options) {
    if (!(opt.required || opt.optional) || REPEATABLE_FLAGS.has(`${c.name()} ${opt.long}`)) continue;
    const flag = opt.long ?? opt.short ?? opt.name();
    c.on(`option:${opt.name()}`, (value: unknown) => {
      const v = String(value);
      const before = seen.get(flag);
      if (before !== undefined && before !== v) {
        const list = /^comma-separated/.test(opt.description) ? `; to compare several, separate them with commas (${flag} ${before},${v})` : '';
        io.stderr.write(`gradlab: note: ${printable(flag)} given twice (${printable(JSON.stringify(before))}, then ${printable(JSON.stringify(v))}): the last, ${printable(JSON.stringify(v))}, is used${list}\n`);
      }
      seen.set(flag, v);
    });
  }
}

/** Run the CLI on argv (without 'node' and the script); returns the exit code. */
export async function run(argv: string[], io: CliIO): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = createProgram(io, (c) => (code = c));
  // `gradlab experiment --list`, as other tools spell it, is `gradlab experiment list`.
  if (argv[0] === 'experiment' && argv.includes('--list') && (argv[1] === undefined || argv[1].startsWith('-'))) argv = ['experiment', 'list', ...argv.slice(1).filter((a) => a !== '--list')];
  argv = helpArgv(program, argv);
  const configure = (c: Command): void => {
    c.exitOverride();
    c.configureOutput(outputs(io, c, argv));
    c.showHelpAfterError('(run with --help for usage)');
    noteRepeatedFlags(c, io);
    c.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      // commander has printed its message; anything else it rejects is a usage error.
      if (e.code === 'commander.executeSubCommandAsync') return EXIT.internal;
      if (e.code === 'commander.unknownCommand' && /^quiz(zes)?$/.test(argv[0] ?? '')) {
        io.stderr.write("gradlab: the quizzes are in the web lab: `gradlab lab`, then the quiz panel (each experiment's --report page ends with the questions it answers)\n");
      }
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      io.stderr.write(`gradlab: error: ${printable(e.message, true)}\n`);
      return e.code;
    }
    const err = e as Error;
    io.stderr.write(`gradlab: internal error: ${err?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}

export { choice };
