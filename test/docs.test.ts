/**
 * Every code block of the docs (README.md, ARCHITECTURE.md, docs/*.md) and every example line of
 * every `--help`, run as a newcomer copies them: shell lines through bash in an empty directory with
 * `gradlab` on the PATH (the built dist/cli/main.js), JavaScript blocks as ES modules importing
 * 'gradlab' (the built package). A block this file does not know fails the first test, so a new
 * block is either run here or names the test that runs its twin.
 *
 * What is changed to fit CI, and only this (`quick`): a training command gets `--epochs 1` (2 after
 * a checkpoint, for --resume) and `--limit 300`, an experiment `--quick`, `gradlab lab` `--port 0`
 * (stopped once it prints its URL), `python3 train.py` `--epochs 1`. The files a user brings
 * (digits.csv, data.csv, test.csv, iris.csv, rows.json, a PyTorch state dict as torch.safetensors and model.pt)
 * are made by `userFiles` below; everything else a line reads, an earlier line wrote.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, keyOf } from './helpers/docs.js';

const ROOT = resolve('.');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const DOCS = ['README.md', 'ARCHITECTURE.md', ...(existsSync('docs') ? readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [])];

/**
 * How each block is checked, by its file and first line. `lines`: each line run in the shell (in
 * `quick` form); `module`: the block (with `prelude` before it, for names an earlier block or the
 * prose defines) run as an ES module, its output checked by `expect`; `twin`: run elsewhere, by the
 * named test; `diagram`: not code.
 */
type How =
  | { kind: 'lines' }
  | { kind: 'module'; prelude?: string; after?: string; expect?: RegExp }
  | { kind: 'twin'; by: string; also?: 'lines' }
  | { kind: 'diagram' };

const LIB_FIRST = "import { nn, optim, loss, tensor, manualSeed } from 'gradlab';";
const HOW: Record<string, How> = {
  // The README's first two commands: .ci/run runs them as written on a fresh clone (setup.sh, then
  // npm test, which is this suite). Here: `npx gradlab train` in the checkout, quick.
  'README.md:bash scripts/setup.sh && npx gradlab train': { kind: 'twin', by: '.ci/run (bash scripts/setup.sh; npm test), and "the README\'s first block" below', also: 'lines' },
  'README.md:gradlab train --data fashion-mnist --layers 256,256 --out model.safetensors --report report.html': { kind: 'lines' },
  "README.md:lab.lessons();": { kind: 'twin', by: 'test/lab/docs-block.e2e.test.ts (the block run in the page, in headless Chromium)' },
  [`README.md:${LIB_FIRST}`]: { kind: 'module', after: "console.log('final loss', loss.crossEntropy(model.forward(x), y).item());", expect: /^final loss 0\.0\d+$/m },
  "README.md:import { fit } from 'gradlab';": {
    kind: 'module',
    // The model and data of the block before it (the prose: "The Trainer does the loop").
    prelude: "import { nn, tensor, manualSeed } from 'gradlab';\nmanualSeed(0);\nconst model = new nn.Sequential(new nn.Linear(2, 32), new nn.BatchNorm1d(32), new nn.ReLU(), new nn.Linear(32, 2));\nconst x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);\nconst y = tensor([0, 1, 1, 0]);",
    after: "console.log('epochs', report.history.epochs.length, 'findings', report.findings.length);",
    expect: /^epochs 20 findings \d+$/m,
  },
  'README.md:const cnn = new nn.Sequential(': {
    kind: 'module',
    prelude: "import { nn, randn } from 'gradlab';\nconst images = randn(4, 1, 28, 28);",
    after: "console.log('logits', JSON.stringify(logits.shape));",
    expect: /^logits \[4,10\]$/m,
  },
  'README.md:gradlab train --data fashion-mnist --out model.safetensors --epochs 1': {
    kind: 'twin',
    by: 'test/io/export-pytorch-train.test.ts (torchrun: DDP on two processes over gloo); the other lines here',
    also: 'lines',
  },
  'ARCHITECTURE.md:dataset ─▶ DataLoader (shuffle, batch) ─▶ Module.forward (ops record the graph)': { kind: 'diagram' },
};


/** A line as CI runs it (see the header). */
export function quick(line: string, state: { checkpointed: boolean }): string {
  const npx = /^npx gradlab /.test(line);
  let l = line.replace(/^npx gradlab /, 'gradlab ');
  const setEpochs = (n: number) => (/(--epochs|-e) \d+/.test(l) ? (l = l.replace(/(--epochs|-e) \d+/, `--epochs ${n}`)) : (l = l.replace(/^(gradlab (?:train|compare)\b)/, `$1 --epochs ${n}`)));
  if (/^gradlab (train|compare)\b/.test(l)) {
    const resume = /--resume /.test(l);
    setEpochs(resume ? 2 : 1);
    if (!resume && !/--limit /.test(l)) l = l.replace(/^(gradlab (?:train|compare)\b)/, '$1 --limit 300');
    if (/--checkpoint /.test(l)) state.checkpointed = true;
  }
  if (/^gradlab experiment run /.test(l) && !/--quick/.test(l)) l = l.replace(/^(gradlab experiment run \S+)/, '$1 --quick');
  if (/^python3 train\.py /.test(l)) l = l.replace(/--epochs \d+/, '--epochs 1');
  return npx ? `npx ${l}` : l;
}

/** The files a user brings to the documented commands (see the header). */
function userFiles(dir: string): void {
  const rows = (n: number, d: number, label: (i: number) => string, seed = 1) => {
    let s = seed;
    const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    return Array.from({ length: n }, (_, i) => [...Array.from({ length: d }, () => r().toFixed(3)), label(i)].join(','));
  };
  // digits.csv: rows of 784 pixel values in [0, 1], as predict reads them.
  writeFileSync(join(dir, 'digits.csv'), rows(3, 784, () => '').map((r) => r.slice(0, -1)).join('\n') + '\n');
  // data.csv with a `species` label column (the train --help example).
  writeFileSync(join(dir, 'data.csv'), ['a,b,c,d,species', ...rows(120, 4, (i) => ['setosa', 'versicolor', 'virginica'][i % 3])].join('\n') + '\n');
  // A PyTorch state dict of a 4 → 8 → 3 MLP as safetensors, and iris.csv of its four features and a label.
  execFileSync('node', ['--input-type=module', '-e', `
    import { nn, manualSeed } from 'gradlab';
    import { saveSafetensors } from 'gradlab/node';
    manualSeed(3);
    const m = new nn.Sequential(new nn.Linear(4, 8), new nn.Tanh(), new nn.Linear(8, 3));
    await saveSafetensors(${JSON.stringify(join(dir, 'torch.safetensors'))}, m.stateDict());
  `], { cwd: ROOT });
  writeFileSync(join(dir, 'iris.csv'), ['f1,f2,f3,f4,label', ...rows(30, 4, (i) => String(i % 3), 7)].join('\n') + '\n');
  // test.csv: labelled rows of 784 pixels, for a model trained on the digits.
  writeFileSync(join(dir, 'test.csv'), [[...Array.from({ length: 784 }, (_, j) => `p${j}`), 'label'].join(','), ...rows(20, 784, (i) => String(i % 10), 5)].join('\n') + '\n');
  // rows.json: the JSON rows `cat rows.json | gradlab predict model.safetensors - --json` reads.
  writeFileSync(join(dir, 'rows.json'), JSON.stringify([Array(784).fill(0), Array(784).fill(0.5)]));
  // model.pt: torch.save(model.state_dict(), 'model.pt') of the conv net in the evaluate --help example.
  execFileSync('/usr/bin/python3', ['-c', `
import torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8 * 14 * 14, 10))
torch.save(m.state_dict(), 'model.pt')
`], { cwd: dir });
}

/** An empty directory with the user's files, and a PATH on which `gradlab` is the build and `python3` has PyTorch. */
function workdir(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-docs-'));
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'gradlab'), `#!/bin/sh\nexec node ${JSON.stringify(CLI)} "$@"\n`);
  writeFileSync(join(bin, 'python3'), '#!/bin/sh\nexec /usr/bin/python3 "$@"\n');
  chmodSync(join(bin, 'gradlab'), 0o755);
  chmodSync(join(bin, 'python3'), 0o755);
  userFiles(dir);
  return { dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

/** Run one shell line; `gradlab lab` is started and stopped once it prints its address. */
async function sh(line: string, dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  const server = /^gradlab lab\b/.test(line);
  // --port 0 last: the last of a repeated flag wins, so an example's own --port 8080 cannot clash with a busy port.
  const cmd = server ? `exec ${line.replace(/\s+#.*$/, '')} --port 0` : line;
  return new Promise((done) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const take = (b: Buffer) => {
      out += b.toString();
      if (server && /http:\/\/127\.0\.0\.1:\d+/.test(out)) p.kill('SIGTERM');
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    // The lab stops on SIGTERM as documented (exit 143, or ended by the signal it re-raises) once it has printed its address.
    p.on('close', (code, signal) => done({ code: server && (code === 143 || signal === 'SIGTERM') && /http:\/\/127\.0\.0\.1:\d+/.test(out) ? 0 : (code ?? 128), out }));
  });
}

/** The command lines of a shell block (comment-only and blank lines dropped). */
const shellLines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));

/** The `$ ` example lines of a help text. */
const helpExamples = (help: string) => [...help.matchAll(/^ {2}\$ (.+)$/gm)].map((m) => m[1].trim());

const blocks = DOCS.flatMap(codeBlocks);
let work: { dir: string; env: NodeJS.ProcessEnv };

beforeAll(() => {
  expect(existsSync(CLI), 'dist/ is missing: run `npm run build` before the tests').toBe(true);
  work = workdir();
}, 120_000);
afterAll(() => work && rmSync(work.dir, { recursive: true, force: true }));

describe('the docs, run as written', () => {
  it('every code block of README.md, ARCHITECTURE.md and docs/ is run here or names the test that runs its twin', () => {
    expect(blocks.length).toBeGreaterThan(5);
    const unknown = blocks.filter((b) => !(keyOf(b) in HOW)).map((b) => `${b.file}:${b.line} (${b.lang || 'no language'}): ${b.text.split('\n')[0]}`);
    expect(unknown, 'add each to HOW in test/docs.test.ts').toEqual([]);
    const stale = Object.keys(HOW).filter((k) => !blocks.some((b) => keyOf(b) === k));
    expect(stale, 'HOW entries whose block is gone').toEqual([]);
  });

  for (const b of blocks.filter((b) => HOW[keyOf(b)]?.kind === 'module')) {
    it(`${b.file}:${b.line}: the JavaScript block runs as an ES module importing 'gradlab'`, () => {
      const how = HOW[keyOf(b)] as Extract<How, { kind: 'module' }>;
      const src = [how.prelude ?? '', b.text, how.after ?? ''].join('\n');
      const out = execFileSync('node', ['--input-type=module', '-e', src], { cwd: ROOT, encoding: 'utf8' });
      if (how.expect) expect(out).toMatch(how.expect);
    }, 60_000);
  }

  const shellBlocks = blocks.filter((b) => {
    const how = HOW[keyOf(b)];
    return how?.kind === 'lines' || (how?.kind === 'twin' && how.also === 'lines');
  });
  for (const b of shellBlocks) {
    it(`${b.file}:${b.line}: every command of the shell block exits 0 (in quick form)`, async () => {
      const state = { checkpointed: false };
      for (const raw of shellLines(b.text)) {
        // The README's first block: `bash scripts/setup.sh && npx gradlab train`, of which .ci/run
        // runs the setup; `npm test` is this suite.
        const parts = raw.replace(/\s+#.*$/, '').split(' && ');
        for (const part of parts) {
          if (/^bash scripts\/setup\.sh$/.test(part) || /^npm test$/.test(part)) {
            expect(readFileSync('.ci/run', 'utf8')).toContain(part);
            continue;
          }
          if (/^torchrun /.test(part)) continue; // the twin named in HOW
          const line = quick(part, state);
          const r = await sh(line, /^npx /.test(part) ? ROOT : work.dir, work.env);
          expect(r.code, `${b.file}:${b.line}: ${line}\n${r.out.slice(-3000)}`).toBe(0);
        }
      }
    }, 600_000);
  }
});

describe('every --help, and the examples it shows', () => {
  const commands = [[], ['train'], ['compare'], ['evaluate'], ['predict'], ['inspect'], ['export'], ['experiment'], ['experiment', 'list'], ['experiment', 'run'], ['lab']];
  const help = (c: string[]) => execFileSync('node', [CLI, ...c, '--help'], { encoding: 'utf8' });

  it('each command prints its help with exit 0', () => {
    for (const c of commands) expect(help(c)).toMatch(/^Usage: gradlab/);
  });

  it("each help's examples run (in quick form), in the order shown, in one directory", async () => {
    // The model files the examples read: model.safetensors (MNIST), spiral.safetensors, as `train --out` writes them.
    for (const setup of ['gradlab train --out model.safetensors', 'gradlab train --data spiral --out spiral.safetensors']) {
      const r = await sh(quick(setup, { checkpointed: false }), work.dir, work.env);
      expect(r.code, r.out).toBe(0);
    }
    const state = { checkpointed: false };
    for (const c of commands) {
      for (const ex of helpExamples(help(c))) {
        const line = quick(ex.replace(/\s+#.*$/, ''), state);
        const r = await sh(line, work.dir, work.env);
        expect(r.code, `gradlab ${c.join(' ')} --help: ${line}\n${r.out.slice(-3000)}`).toBe(0);
      }
    }
  }, 600_000);
});

describe('the defaults train --help shows are the ones a run without the flag uses', () => {
  /** `--flag <arg>  text (default: value)` of a help text, the description's line breaks joined. */
  const shownDefaults = (help: string) => {
    const opts = help.slice(help.indexOf('Options:'), help.indexOf('Examples:')).replace(/\n {20,}/g, ' ');
    return new Map([...opts.matchAll(/^ {2}(?:-\w, )?(--[\w-]+).*\(default: ([^)]*)\)/gm)].map((m) => [m[1], m[2].replace(/^"|"$/g, '')]));
  };

  it('each (default: …) of train --help equals what the run recorded (all flags left out, on the built-in MNIST and on spiral)', () => {
    const help = execFileSync('node', [CLI, 'train', '--help'], { encoding: 'utf8' });
    const shown = shownDefaults(help);
    const json = (args: string[]) => JSON.parse(execFileSync('node', [CLI, 'train', ...args, '--json', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const mnist = json([]);
    const spiral = json(['--data', 'spiral', '--epochs', '1']);
    const c = mnist.config.cli;
    // What each shown default is compared with; a flag with a default and no entry fails below.
    const used: Record<string, string> = {
      '--activation': c.model.activation,
      '--init': c.model.init,
      '--batchnorm': String(c.model.batchnorm),
      '--optimizer': c.optimizer,
      '--lr': `${c.optimizerOptions.lr} with ${c.optimizer}, else the optimizer's own`,
      '--data': c.data.source,
      '--layers': c.model.layers.join(','),
      '--dropout': String(c.model.dropout),
      '--epochs': String(c.epochs),
      '--batch-size': String(c.batchSize),
      '--schedule': c.schedule,
      '--seed': String(c.seed),
      '--label': 'the last',
      '--samples': String(spiral.config.data.train + spiral.config.data.test),
      '--noise': "the set's own, 0 but blobs' 1",
      '--test-fraction': String(c.data.testFraction),
      '--monitor-every': String(mnist.config.monitorEvery),
    };
    expect(shown.size).toBeGreaterThan(15);
    expect([...shown.keys()].filter((k) => !(k in used)), 'defaults shown but not checked').toEqual([]);
    for (const [flag, value] of shown) expect(`${flag} ${value}`).toBe(`${flag} ${used[flag]}`);
    // The README's numbers for this run: 95.3% on the built-in digits' held-out 2,000 (on this
    // machine's wasm kernels; other kernels round differently, so within a point here).
    expect(mnist.test.examples).toBe(2000);
    expect(Math.abs(mnist.test.accuracy - 0.953)).toBeLessThan(0.01);
    expect(mnist.config.data).toMatchObject({ name: 'mnist', train: 8000, test: 2000 });
  }, 120_000);
});
