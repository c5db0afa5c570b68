/**
 * The CLI used as a user uses it (round 3 audit): each case is a problem found by running the
 * command, with the message or the numbers it must give now.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-audit-'));
const file = (name: string, text: string | Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const quick = ['--layers', '4', '--epochs', '2', '--batch-size', '16', '-q'];

/** 60 rows of two features a, b (b decides the class) and a label column. */
function rows(): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < 60; i++) out.push([((i * 7) % 13) / 13, i % 2 === 0 ? -1 - (i % 5) / 5 : 1 + (i % 3) / 3, i % 2]);
  return out;
}
const csv = (header: string, cols: (r: number[]) => number[]): string => header + '\n' + rows().map((r) => cols(r).join(',')).join('\n') + '\n';

describe('CSV columns are matched by name, in evaluate and predict', () => {
  let model = '';
  beforeAll(async () => {
    model = join(dir, 'ab.safetensors');
    const r = await cli('train', '--data', file('train.csv', csv('a,b,label', (r) => r)), ...quick, '--lr', '0.05', '--out', model);
    expect(r.code, r.err).toBe(0);
  });

  it('a file with the columns in another order gives the same loss and predictions as the training order (they were read by position)', async () => {
    const same = file('same.csv', csv('a,b,label', (r) => r));
    const swapped = file('swapped.csv', csv('b,label,a', (r) => [r[1], r[2], r[0]]));
    const e1 = JSON.parse((await cli('evaluate', model, '--data', same, '--json')).out);
    const e2 = await cli('evaluate', model, '--data', swapped, '--json');
    expect(e2.code, e2.err).toBe(0);
    expect(JSON.parse(e2.out).loss).toBe(e1.loss);
    const p1 = await cli('predict', model, same, '--json', '--top', '2');
    const p2 = await cli('predict', model, file('swapped-in.csv', csv('b,a', (r) => [r[1], r[0]])), '--json', '--top', '2');
    expect(p2.code, p2.err).toBe(0);
    expect(JSON.parse(p2.out).predictions).toEqual(JSON.parse(p1.out).predictions);
  });

  it('a header without a feature column is exit 3 naming the file and the column (predict used the label column as a feature; evaluate named an internal function)', async () => {
    const fewer = file('fewer.csv', csv('a,label', (r) => [r[0], r[2]]));
    for (const argv of [['evaluate', model, '--data', fewer], ['predict', model, fewer]]) {
      const r = await cli(...argv);
      expect(r.code, argv[0]).toBe(3);
      expect(r.err).toContain(`${fewer}: no column "b", which the model was trained on (its features: "a", "b"; this header: "a", "label")`);
      expect(r.err).not.toMatch(/applyScaler|    at /);
    }
  });

  it('--split train on another file than the training data is refused (it was ignored: the file is evaluated whole)', async () => {
    const other = file('other-split.csv', csv('a,b,label', (r) => r));
    const r = await cli('evaluate', model, '--data', other, '--split', 'train');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--split train names the training part of the data the model was trained on; ${other} is another file, evaluated whole`);
  });

  it('evaluate on a file without the label column says the last column is read as the label, not that a number is an unknown class', async () => {
    const nolabel = file('nolabel.csv', csv('a,b', (r) => [r[0], r[1]]));
    const r = await cli('evaluate', model, '--data', nolabel);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${nolabel}: column "b" is the last column, read as the label, but the model takes it as a feature`);
  });
});

describe('help, as users ask for it', () => {
  it('gradlab and gradlab experiment alone print their help on stdout with exit 0 (it went to stderr); help X is X --help', async () => {
    for (const [argv, usage] of [[[], 'Usage: gradlab [options] [command]'], [['experiment'], 'Usage: gradlab experiment'], [['help'], 'Usage: gradlab [options] [command]'], [['help', 'train'], 'Usage: gradlab train'], [['help', 'experiment', 'run'], 'Usage: gradlab experiment run'], [['experiment', 'help', 'list'], 'Usage: gradlab experiment list']] as Array<[string[], string]>) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out, argv.join(' ')).toContain(usage);
      expect(r.err, argv.join(' ')).toBe('');
    }
  });

  it('help of an unknown or misspelt command is a usage error with a did-you-mean (it printed the top help with exit 0)', async () => {
    for (const [argv, msg] of [[['help', 'trian'], "gradlab: error: unknown command 'trian'\n(Did you mean train?)"], [['help', 'frobnicate'], "unknown command 'frobnicate'"], [['experiment', 'help', 'lsit'], "unknown command 'lsit'\n(Did you mean list?)"], [['help', 'experiment', 'nope'], "unknown command 'nope'"]] as Array<[string[], string]>) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toContain(msg);
      expect(r.out).toBe('');
    }
  });

  it("commander's usage errors begin as the CLI's own do (gradlab: error:)", async () => {
    for (const argv of [['trian'], ['train', '--lrr', '1'], ['evaluate'], ['train', '--schedule', 'COSINE'], ['train', 'extra']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/^gradlab: error: /);
    }
  });
});

describe('--arch: every layer named the same way', () => {
  it('a shape error names the layer 1-based as the parse errors do (it said arch[4], or nothing of --arch)', async () => {
    for (const [arch, msg] of [
      ['maxpool(2),maxpool(2),maxpool(2),maxpool(2),maxpool(2)', '--arch layer 5 (maxpool): maxpool: kernel 2×2 is larger than the padded input 1×1'],
      ['conv(4,3,groups=3)', '--arch layer 1 (conv): conv: in channels 1 and out channels 4 must be divisible by groups 3'],
      ['residual(4),linear(10)', '--arch layer 2 (linear): linear needs features as input, got images [4,28,28]: put flatten before it'],
      ['conv(4,3),flatten,conv(4,3)', '--arch layer 3 (conv): conv needs images [C, H, W] as input'],
    ]) {
      const r = await cli('train', '--data', 'mnist', '--limit', '100', '--epochs', '1', '-q', '--arch', arch);
      expect(r.code, arch).toBe(2);
      expect(r.err, arch).toContain(`gradlab: error: ${msg}`);
    }
  });

  it('an argument given twice is refused, not the last one silently taken', async () => {
    for (const [arch, msg] of [['conv(4,3,stride=1,stride=2)', '--arch layer 1 (conv): stride is given twice'], ['conv(4,3),maxpool(2,kernel=3)', '--arch layer 2 (maxpool): kernel is given twice']]) {
      const r = await cli('train', '--data', 'mnist', '--limit', '100', '--epochs', '1', '-q', '--arch', arch);
      expect(r.code, arch).toBe(2);
      expect(r.err, arch).toContain(msg);
    }
  });
});

describe('files of other tools given as the model', () => {
  it('JSON, text, a Keras .h5 and an ONNX file are named for what they are (it said "header length 2480468976814858875 exceeds the 100000000-byte limit")', async () => {
    const model = join(dir, 'for-onnx.safetensors');
    expect((await cli('train', '--data', file('o.csv', csv('a,b,label', (r) => r)), ...quick, '--out', model)).code).toBe(0);
    const onnx = join(dir, 'model.onnx');
    expect((await cli('export', model, '--onnx', onnx)).code).toBe(0);
    const cases: Array<[string, string]> = [
      [file('model.json', '{"format": "keras", "config": {}}'), 'not a safetensors file: it is a JSON file'],
      [file('model.py', 'import torch\nmodel = torch.nn.Linear(2, 2)\n'), 'not a safetensors file: it is a text file'],
      [file('model.h5', new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0])), 'not a safetensors file: it is an HDF5 file (a Keras .h5 model?)'],
      [onnx, 'not a safetensors file: it looks like an ONNX model'],
    ];
    for (const [path, msg] of cases) {
      for (const argv of [['inspect', path], ['predict', path, '[0, 0]'], ['evaluate', path], ['export', path, '--pytorch', join(dir, 'x.py')]]) {
        const r = await cli(...argv);
        expect(r.code, argv.join(' ')).toBe(3);
        expect(r.err, argv.join(' ')).toContain(`${path}: ${msg}`);
      }
    }
  });
});

describe('the defaults --help shows are the ones used', () => {
  it('train --help shows --samples, --noise and --monitor-every defaults, and a run without them uses those', async () => {
    const { DEFAULT_SAMPLES } = await import('../../src/recipe.js');
    const { DEFAULT_MONITOR_EVERY } = await import('../../src/diagnostics/monitors.js');
    const h = (await cli('train', '--help')).out.replace(/\s+/g, ' ');
    expect(h).toContain(`examples of a synthetic data set (train + test) (default: ${DEFAULT_SAMPLES})`);
    expect(h).toContain(`record per-layer statistics every N steps (default: ${DEFAULT_MONITOR_EVERY})`);
    expect(h).toContain("noise of a synthetic data set (default: the set's own, 0 but blobs' 1)");
    const r = JSON.parse((await cli('train', '--data', 'blobs', '--layers', '4', '--epochs', '1', '-q', '--json')).out);
    expect(r.config.data.train + r.config.data.test).toBe(DEFAULT_SAMPLES);
    expect(r.config.monitorEvery).toBe(DEFAULT_MONITOR_EVERY);
  });

  it('compare --help shows its grid defaults as train shows them (not ["relu"]) and does not offer --resume', async () => {
    const h = (await cli('compare', '--help')).out.replace(/\s+/g, ' ');
    for (const d of ['(default: relu)', '(default: auto)', '(default: true)', '(default: adam)', 'epochs of each run (default: 6)']) expect(h).toContain(d);
    expect(h).not.toMatch(/\["|\[true\]|--resume/);
  });
});

describe('a conv net stopped by a signal, then resumed (the built binary, as a user runs it)', () => {
  const bin = join(process.cwd(), 'dist/cli/main.js');
  const args = ['train', '--data', 'mnist', '--limit', '512', '--batch-size', '32', '--epochs', '6', '--seed', '3', '--optimizer', 'momentum', '--arch', 'conv(4,3,padding=1),bn,relu,maxpool(2),residual(8,stride=2),dropout(0.2),adaptiveavgpool(3),flatten'];

  it.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('%s after the first epoch: exit %i, and the printed resume command ends with the bytes of an uninterrupted run', async (signal, code) => {
    expect(existsSync(bin), 'dist/ is missing: run `npx tsc -p tsconfig.json`').toBe(true);
    const d = mkdtempSync(join(tmpdir(), `gradlab-audit-${signal}-`));
    const full = join(d, 'full.safetensors');
    const f = spawnSync(process.execPath, [bin, ...args, '--out', full, '-q'], { encoding: 'utf8', timeout: 60_000 });
    expect(f.status, f.stderr).toBe(0);
    const cut = join(d, 'cut.safetensors');
    const ck = join(d, 'ck.safetensors');
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args, '--out', cut, '--checkpoint', ck], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
      let out = '';
      let err = '';
      let sent = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => {
        err += t;
        if (!sent && /epoch 1\/6/.test(err)) {
          sent = true;
          child.kill(signal);
        }
      });
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, out, err });
      });
    });
    expect(r.code, r.err.slice(-600)).toBe(code);
    expect(r.err).not.toMatch(/\n\s+at /);
    const resume = /continue with: gradlab (train --resume .*)$/m.exec(r.out);
    expect(resume, r.out).not.toBeNull();
    expect(resume![1]).toBe(`train --resume ${ck} --checkpoint ${ck} --epochs 6 --out ${cut}`);
    const rest = spawnSync(process.execPath, [bin, ...resume![1].split(' '), '-q'], { encoding: 'utf8', timeout: 60_000 });
    expect(rest.status, rest.stderr).toBe(0);
    expect(readFileSync(cut).equals(readFileSync(full))).toBe(true);
    expect(readdirSync(d).filter((n) => n.includes('.tmp'))).toEqual([]);
  }, 90_000);
});

describe('commands printed for the user to run are shell words', () => {
  it("the resume command of an interrupted run quotes paths with spaces and quotes, and runs as printed in a shell; export's python3 lines too", async () => {
    const { runTrain, formatSummary } = await import('../../src/cli/train.js');
    const { Capture } = await import('../helpers/cli.js');
    const d = mkdtempSync(join(tmpdir(), "gradlab audit 'q' "));
    const ck = join(d, 'my ck.safetensors');
    const out = join(d, "it's.safetensors");
    const controller = new AbortController();
    const stop = { onBatchEnd: (l: { epoch: number; batch: number }) => void (l.epoch === 1 && l.batch === 1 && controller.abort()) };
    const base = { data: 'moons', samples: 200, layers: [4], activation: 'relu', init: 'auto', dropout: 0, batchnorm: false, epochs: 3, batchSize: 16, seed: 1, optimizer: 'adam', schedule: 'none', quiet: true } as const;
    const cut = await runTrain({ ...base, out, checkpoint: ck, callbacks: [stop] } as never, { stdout: new Capture(), stderr: new Capture(), signal: controller.signal });
    expect(cut.code).toBe(130);
    const line = /continue with: (gradlab train .*)$/m.exec(formatSummary(cut.summary, cut.report.findings))![1];
    expect(line).toContain(`--resume '${d.replace(/'/g, `'\\''`)}/my ck.safetensors'`);
    const bin = join(process.cwd(), 'dist/cli/main.js');
    const r = spawnSync('sh', ['-c', line.replace(/^gradlab /, `'${process.execPath}' '${bin}' `) + ' -q'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 epochs');
    const e = await cli('export', out, '--pytorch-train', join(d, 'train me.py'), '--pytorch', join(d, 'model me.py'));
    expect(e.code, e.err).toBe(0);
    expect(e.out).toContain(`python3 '${d.replace(/'/g, `'\\''`)}/train me.py' --data PATH`);
    expect(e.out).toContain(`python3 '${d.replace(/'/g, `'\\''`)}/model me.py'   # prints the model`);
    expect(e.out).toContain('(adam, 3 epochs, batch 16)');
  });
});

describe('predict: a row typed as CSV on the command line', () => {
  it("is a usage error showing the JSON form (it said '0,0: cannot read: no such file'); counts say 1 feature, not 1 features", async () => {
    const model = join(dir, 'row.safetensors');
    expect((await cli('train', '--data', file('row.csv', csv('a,b,label', (r) => r)), ...quick, '--out', model)).code).toBe(0);
    for (const [input, json] of [['0,0', '[0, 0]'], ['0.5 -1e3', '[0.5, -1e3]']]) {
      const r = await cli('predict', model, input);
      expect(r.code, input).toBe(2);
      expect(r.err).toContain(`<input> ${input} is neither a file nor JSON: give one row inline as JSON, '${json}'`);
      expect((await cli('predict', model, json)).code).toBe(0);
    }
    const one = await cli('predict', model, '[[0, 0], [1]]');
    expect(one.code).toBe(3);
    expect(one.err).toContain('input: row 2 has 1 feature per example but the model expects 2');
  });
});

describe('compare', () => {
  it('an --arch or --lr given twice is one run (two runs were both labelled "arch 1"), as a name given twice is; 1 epoch is singular', async () => {
    const r = await cli('compare', '--data', 'moons', '--samples', '200', '--epochs', '1', '--arch', 'linear(4),relu', '--arch', 'linear(4),relu', '--lr', '0.01,0.01', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).runs).toHaveLength(1);
    expect(r.err).toContain('compare: 1 run on moons, 1 epoch each');
    expect(r.err).not.toMatch(/\b1 epochs\b/);
  });
});

describe('data flags that would change nothing are refused, not ignored', () => {
  it('train: --samples/--noise on data that is not synthetic, --test-fraction on data with its own test split (exit 2 naming the flag)', async () => {
    const c = file('flags.csv', csv('a,b,label', (r) => r));
    for (const [argv, msg] of [
      [['--data', 'mnist', '--samples', '100'], '--samples applies to the synthetic sets (spiral, circles, xor, moons, blobs); mnist has its own examples (--limit takes the first n training examples)'],
      [['--data', c, '--noise', '0.5'], `--noise applies to the synthetic sets (spiral, circles, xor, moons, blobs); ${c} has its own examples`],
      [['--data', 'mnist', '--test-fraction', '0.5'], '--test-fraction splits data without a test split of its own (synthetic sets, CSV, a single IDX file); mnist has its own test split'],
    ] as Array<[string[], string]>) {
      const r = await cli('train', ...argv, ...quick);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(`gradlab: error: ${msg}`);
    }
    const ok = await cli('train', '--data', c, '--test-fraction', '0.3', ...quick, '--json');
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).config.data.test).toBe(18);
  });

  it('evaluate: --samples/--noise on MNIST were reported as overrides that changed nothing; --limit n on the test part (ignored before) takes its first n', async () => {
    const model = join(dir, 'digits.safetensors');
    expect((await cli('train', '--data', 'mnist', '--limit', '64', '--layers', '4', '--epochs', '1', '-q', '--out', model)).code).toBe(0);
    for (const [argv, msg] of [[['--samples', '100'], '--samples applies to the synthetic sets'], [['--noise', '1'], '--noise applies to the synthetic sets']] as Array<[string[], string]>) {
      const r = await cli('evaluate', model, ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(msg);
    }
    const r = await cli('evaluate', model, '--limit', '10', '--split', 'train', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).examples).toBe(10);
    const t = await cli('evaluate', model, '--limit', '10', '--json');
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(t.out)).toMatchObject({ examples: 10, overridden: [] });
    const all = await cli('evaluate', model, '--limit', '100000', '--json');
    expect(JSON.parse(all.out).examples).toBe(2000);
  });

  it('the summary says the training metrics read a sample of the training split, not that it trained on 2000 examples', async () => {
    const { TRAIN_EVAL_EXAMPLES } = await import('../../src/train/fit.js');
    const r = await cli('train', '--data', 'mnist', '--limit', String(TRAIN_EVAL_EXAMPLES + 500), '--layers', '4', '--epochs', '1', '--batch-size', '256', '-q');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`(${TRAIN_EVAL_EXAMPLES} of the ${TRAIN_EVAL_EXAMPLES + 500} training examples, final model;`);
  });
});

describe('did-you-mean for typed names', () => {
  it('a misspelt optimizer, activation or experiment name gets the nearest valid one (only a different case did before)', async () => {
    for (const [argv, hint] of [
      [['train', '--optimizer', 'adma'], "invalid value 'adma' for --optimizer (did you mean 'adam'?)"],
      [['compare', '--activation', 'relu,tahn'], "invalid value 'tahn' for --activation (did you mean 'tanh'?)"],
      [['experiment', 'run', 'he2015'], "Unknown experiment 'he2015' (did you mean 'he-2015'?)"],
      [['experiment', 'run', 'He-2015'], "Unknown experiment 'He-2015' (did you mean 'he-2015'?)"],
    ] as Array<[string[], string]>) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain(hint);
    }
  });
});

describe('a conv net state dict that does not fit its layer list', () => {
  it('names the missing, unexpected or wrong-shape tensor (it listed the first six tensors and said they are not the state dict)', async () => {
    const { parseSafetensors, serializeSafetensors } = await import('../../src/io/safetensors.js');
    const arch = 'conv(4,3,padding=1),bn,relu,maxpool(2),flatten,linear(10)';
    const model = join(dir, 'conv.safetensors');
    expect((await cli('train', '--data', 'mnist', '--limit', '64', '--epochs', '1', '-q', '--arch', arch, '--out', model)).code).toBe(0);
    const f = parseSafetensors(readFileSync(model));
    // PyTorch's keys: its Sequential has no Unflatten, so each index is one less than gradlab's.
    const torchDict = () => new Map([...f.tensors].map(([k, e]) => [k.replace(/^(\d+)\./, (_, i: string) => `${Number(i) - 1}.`), { dtype: e.dtype, shape: e.shape, data: e.data } as never]));
    const write = (name: string, edit: (t: Map<string, { dtype: string; shape: number[]; data: Float32Array | BigInt64Array }>) => void): string => {
      const t = torchDict();
      edit(t as never);
      return file(name, serializeSafetensors(t as never));
    };
    const cases: Array<[string, string]> = [
      [write('sd-ok.safetensors', () => {}), ''],
      [write('sd-missing.safetensors', (t) => t.delete('1.running_var')), 'missing tensor "1.running_var" (shape [4])'],
      [write('sd-extra.safetensors', (t) => t.set('9.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) })), 'unexpected tensor "9.weight"'],
      [write('sd-kernel.safetensors', (t) => t.set('0.weight', { dtype: 'F32', shape: [4, 1, 5, 5], data: new Float32Array(100) })), 'tensor "0.weight" has shape [4, 1, 5, 5], the layer list needs [4, 1, 3, 3]'],
      [write('sd-linear.safetensors', (t) => t.set('5.weight', { dtype: 'F32', shape: [10, 785], data: new Float32Array(7850) })), 'tensor "5.weight" has shape [10, 785], the layer list needs [10, 784]'],
    ];
    for (const [path, msg] of cases) {
      const r = await cli('inspect', path, '--arch', arch);
      if (msg === '') {
        expect(r.code, r.err).toBe(0);
        continue;
      }
      expect(r.code, path).toBe(3);
      expect(r.err).toContain(`${path}: not the state dict of conv(4, 3, padding=1) → bn → relu → maxpool(2) → flatten → linear(10) (on 1×28×28 images, the size that fits best): ${msg}`);
    }
  });
});

describe('CSV syntax messages point at the line to fix', () => {
  it('an unclosed quote names the line it opens on (it named the last line of the file); a ; or tab separated file is recognised', async () => {
    const rowsText = rows().map((r) => r.join(','));
    const cases: Array<[string, string]> = [
      [['a,b,label', ...rowsText.slice(0, 4), '"0.5,1,0', ...rowsText.slice(4)].join('\n') + '\n', 'a quoted field opened on line 6 is never closed'],
      [['a,b,label', '0.5,"x""y",0', '"1,2,1', ...rowsText].join('\n') + '\n', 'a quoted field opened on line 3 is never closed'],
      [['a;b;label', ...rows().map((r) => r.join(';'))].join('\n') + '\n', "the header has 1 column; need at least one feature and a label (its values are separated by ';'; gradlab reads comma-separated values)"],
      [['a,b,label', ...rows().map((r) => r.join('\t'))].join('\n') + '\n', 'line 2: 1 field, but the header has 3 columns; every row needs one value per column (its values are separated by tabs; gradlab reads comma-separated values)'],
    ];
    cases.forEach(([text], i) => file(`syntax-${i}.csv`, text));
    for (const [i, [, msg]] of cases.entries()) {
      const p = join(dir, `syntax-${i}.csv`);
      const r = await cli('train', '--data', p, ...quick);
      expect(r.code, p).toBe(3);
      expect(r.err).toContain(`${p}: ${msg}`);
    }
  });
});

describe('the version', () => {
  it("--version and the ONNX producer version are package.json's", async () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    const { VERSION } = await import('../../src/version.js');
    expect(VERSION).toBe(pkg.version);
    expect((await cli('--version')).out.trim()).toBe(pkg.version);
  });
});

describe('--arch from a JSON file', () => {
  it('a shape error names the file and the layer as its other errors do', async () => {
    const p = file('a-layer-list-with-a-long-descriptive-name.json', JSON.stringify([{ type: 'conv', out: 4, kernel: 3 }, { type: 'maxpool', kernel: 30 }]));
    const r = await cli('train', '--data', 'mnist', '--limit', '100', '--epochs', '1', '-q', '--arch', p);
    expect(r.code).toBe(2);
    expect(p.length).toBeGreaterThan(40); // a long path was shown as "JSON"
    expect(r.err).toContain(`gradlab: error: --arch ${p}: layer 2 (maxpool): maxpool: kernel 30×30 is larger than the padded input 26×26`);
  });
});

describe("a newcomer's first commands (round 7)", () => {
  it('`experiment --list` lists the experiments as `experiment list` does, --json too', async () => {
    const a = await cli('experiment', '--list');
    const b = await cli('experiment', 'list');
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).toContain('he-2016-residual');
    const j = await cli('experiment', '--list', '--json');
    expect(JSON.parse(j.out).map((e: { name: string }) => e.name)).toContain('zero-init');
  });

  it('an unknown command with --help is the usage error (with the did-you-mean), not the main help and exit 0', async () => {
    const r = await cli('trian', '--help');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain("unknown command 'trian'");
    expect(r.err).toContain('Did you mean train?');
    const s = await cli('experiment', 'lst', '--help');
    expect(s.code).toBe(2);
    expect(s.err).toContain('Did you mean list?');
    // Known commands still show their help.
    expect((await cli('train', '--help')).code).toBe(0);
    expect((await cli('--help')).out).toMatch(/^Usage: gradlab/);
  });

  it('a misspelt --data name gets a did-you-mean', async () => {
    const r = await cli('train', '--data', 'fashoin-mnist');
    expect(r.code).toBe(2);
    expect(r.err).toContain("--data: 'fashoin-mnist' is neither a data set name nor an existing file (did you mean 'fashion-mnist'?). Valid names: mnist, fashion-mnist,");
    expect((await cli('evaluate', 'm.safetensors', '--data', 'sprial')).err).not.toContain('internal');
  });

  it('`gradlab quiz` says where the quizzes are', async () => {
    for (const argv of [['quiz'], ['quiz', '--help']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toContain("unknown command 'quiz'");
      expect(r.err).toContain('the quizzes are in the web lab: `gradlab lab`, then the quiz panel');
    }
  });
});

describe('numeric labels: a quantity is not classes (round 6)', () => {
  // 60 rows: price = 150·sqft + noise, whole dollars, 60 distinct values.
  const prices = 'sqft,price\n' + Array.from({ length: 60 }, (_, i) => `${500 + i * 37},${(500 + i * 37) * 150 + ((i * 7919) % 2000)}`).join('\n') + '\n';

  it('integer labels of more distinct values than 20 and than half the rows are a regression target (a 60-way softmax trained to 0% without a word)', async () => {
    const r = await cli('train', '--data', file('prices.csv', prices), '--layers', '4', '--epochs', '1', '--batch-size', '16');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('1 → Linear(4) → BatchNorm1d → relu → Linear(1) → linear');
  });

  it("evaluate with a regression model reads another file's integer targets as numbers (they were classes: \"the data's targets have shape [N]\")", async () => {
    const model = join(dir, 'reg.safetensors');
    const floats = 'x,y\n' + Array.from({ length: 40 }, (_, i) => `${i / 40},${(i / 8).toFixed(3)}`).join('\n') + '\n';
    const t = await cli('train', '--data', file('floats.csv', floats), ...quick, '--out', model);
    expect(t.code, t.err).toBe(0);
    const ints = file('ints.csv', 'x,y\n' + Array.from({ length: 10 }, (_, i) => `${i / 10},${i % 3}`).join('\n') + '\n');
    const e = await cli('evaluate', model, '--data', ints, '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).loss).toBeGreaterThan(0);
  });
});
