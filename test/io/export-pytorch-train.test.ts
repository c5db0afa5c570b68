/**
 * `gradlab export --pytorch-train`: the run's recipe as a PyTorch training script that trains on
 * one process and on two (DistributedDataParallel over gloo, launched with the environment
 * torchrun gives each rank), and whose output `gradlab evaluate` and `inspect` read.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightInits } from '../../src/io/export-pytorch-train.js';
import { cli } from '../helpers/cli.js';

const PY = '/usr/bin/python3';
const PY_ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

/** Three Gaussian blobs in 3-D with string class names, as a user's CSV. */
function blobsCsv(path: string): void {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centers = [[0, 0, 0], [3, 3, 0], [0, 3, 3]];
  const lines = ['x1,x2,x3,kind'];
  for (let i = 0; i < 600; i++) {
    const c = i % 3;
    lines.push(`${centers[c].map((v) => (v + 0.8 * gauss()).toFixed(4)).join(',')},${['ant', 'bee', 'cat'][c]}`);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function runRank(script: string, args: string[], env: Record<string, string>, killAfterMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(PY, [script, ...args], { env: { ...PY_ENV, ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/**
 * Two DDP ranks on a free port. The port is found by binding port 0 and closing it, so another
 * process of the parallel test run can take it before rank 0 listens; then the ranks wait for each
 * other forever (once in CI: a 120 s timeout, while the pair takes 4-5 s even with both cores
 * busy). A pair that has not finished in 50 s is killed and run once more on a new port.
 */
async function runDdpPair(script: string, args: string[]): Promise<Array<{ code: number | null; out: string }>> {
  let ranks: Array<{ code: number | null; out: string }> = [];
  for (let attempt = 0; attempt < 2; attempt++) {
    const port = String(await freePort());
    ranks = await Promise.all(
      [0, 1].map((r) => runRank(script, args, { RANK: String(r), LOCAL_RANK: String(r), WORLD_SIZE: '2', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: port }, 50_000)),
    );
    if (ranks.every((r) => r.code !== null)) break;
  }
  return ranks;
}

describe('export --pytorch-train', () => {
  it('resolves each Linear to the distribution gradlab draws from (He before ReLU, Xavier at the output)', () => {
    const inits = weightInits({ inputs: 8, layers: [16], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0, outputs: 3, output: 'softmax' });
    expect(inits).toEqual([
      { path: '0', init: { kind: 'normal', std: Math.sqrt(2) / Math.sqrt(8) } },
      { path: '3', init: { kind: 'uniform', bound: Math.sqrt(6 / (16 + 3)) } },
    ]);
  });

  it('trains the recipe in PyTorch on 1 and on 2 processes (DDP, gloo); gradlab evaluates the results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-pttrain-'));
    const csv = join(dir, 'blobs.csv');
    blobsCsv(csv);
    const model = join(dir, 'm.safetensors');
    expect((await cli('train', '--data', csv, '--label', 'kind', '--layers', '16', '--epochs', '2', '--out', model)).code).toBe(0);
    const script = join(dir, 'train.py');
    const ex = await cli('export', model, '--pytorch-train', script);
    expect(ex.code, ex.err).toBe(0);

    const one = join(dir, 'one.safetensors');
    const single = spawnSync(PY, [script, '--data', csv, '--out', one, '--epochs', '8'], { encoding: 'utf8', env: PY_ENV, timeout: 120_000 });
    expect(single.status, single.stderr).toBe(0);
    expect(single.stdout).toContain('epoch 8/8');
    const ev1 = await cli('evaluate', one, '--data', csv, '--label', 'kind', '--json');
    expect(ev1.code, ev1.err).toBe(0);
    expect(JSON.parse(ev1.out).accuracy).toBeGreaterThan(0.8);

    const two = join(dir, 'two.safetensors');
    const ranks = await runDdpPair(script, ['--data', csv, '--out', two, '--epochs', '8']);
    expect(ranks[0].code, ranks[0].out).toBe(0);
    expect(ranks[1].code, ranks[1].out).toBe(0);
    expect(ranks[0].out).toContain('(2 processes)');
    expect(ranks[1].out).not.toContain('wrote'); // only rank 0 writes
    const ev2 = await cli('evaluate', two, '--data', csv, '--label', 'kind', '--json');
    expect(ev2.code, ev2.err).toBe(0);
    expect(JSON.parse(ev2.out).accuracy).toBeGreaterThan(0.8);
    const ins = await cli('inspect', two, '--json');
    expect(ins.code, ins.err).toBe(0);
    expect(JSON.stringify(JSON.parse(ins.out))).toContain('ant');
  }, 240_000);

  it('a hostile model file name cannot change the generated program', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-pttrain-'));
    const csv = join(dir, 'blobs.csv');
    blobsCsv(csv);
    const plain = join(dir, 'm.safetensors');
    expect((await cli('train', '--data', csv, '--label', 'kind', '--layers', '4', '--epochs', '1', '--out', plain)).code).toBe(0);
    const hostile = join(dir, 'x"""; print("INJECTED"); """\\Ux\'\n.safetensors');
    copyFileSync(plain, hostile);
    const script = join(dir, 'train.py');
    expect((await cli('export', hostile, '--pytorch-train', script)).code).toBe(0);
    const r = spawnSync(PY, ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read()); import runpy; m = runpy.run_path(sys.argv[1], run_name="not_main"); print(m["SOURCE"])', script], { encoding: 'utf8', env: PY_ENV, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^INJECTED$/m);
    expect(r.stdout).toContain('print("INJECTED")'); // the name, as data
  });

  it('a model file without a training recipe is refused with exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-pttrain-'));
    const path = join(dir, 'bare.safetensors');
    const { saveModel } = await import('../../src/io/model.node.js');
    const { buildModel } = await import('../../src/models.js');
    const spec = { inputs: 2, layers: [3], activation: 'relu' as const, init: 'auto' as const, batchnorm: false, dropout: 0, outputs: 2, output: 'softmax' as const };
    await saveModel(path, buildModel(spec), { spec });
    const r = await cli('export', path, '--pytorch-train', join(dir, 't.py'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/no training recipe/);
    expect(existsSync(join(dir, 't.py'))).toBe(false);
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});

describe('export --pytorch-train with a layer list', () => {
  it('resolves each conv and linear of an --arch spec with its receptive-field fans', () => {
    const inits = weightInits({
      inputs: 64, inputShape: [1, 8, 8], layers: [], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, outputs: 3, output: 'softmax',
      arch: [{ type: 'conv', out: 4, kernel: 3, padding: 1 }, { type: 'relu' }, { type: 'flatten' }, { type: 'linear', out: 3 }],
    } as never);
    expect(inits.map((i) => i.path)).toEqual(['1', '4']);
    expect(inits[0].init).toEqual({ kind: 'normal', std: Math.sqrt(2) / Math.sqrt(1 * 3 * 3) });
  });
});

describe('export --pytorch-train of a conv net trained on the built-in digits', () => {
  it('the script reads the built-in directory the export names, trains on exactly the examples gradlab used (--limit), and gradlab evaluates its output', async () => {
    const { loadBuiltinMnistSplits, builtinDataDir } = await import('../../src/data/datasets.node.js');
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-train-cnn-'));
    const model = join(dir, 'm.safetensors');
    const t = await cli('train', '--data', 'mnist', '--model', 'cnn-small', '--epochs', '1', '--limit', '96', '--batch-size', '32', '--out', model, '-q');
    expect(t.code, t.err).toBe(0);
    const script = join(dir, 'train.py');
    const e = await cli('export', model, '--pytorch-train', script);
    expect(e.code, e.err).toBe(0);
    const data = join(builtinDataDir(), 'mnist-10k');
    expect(e.out).toContain(`python3 ${script} --data ${data} --out`);
    // The script's training data, row by row, against gradlab's first 96 training digits.
    const probe = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("t", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
x, y = m.load_data(sys.argv[2])
print(json.dumps({"shape": list(x.shape), "y": y.tolist(), "sums": x.double().sum(1).tolist()}))`;
    const r = spawnSync(PY, ['-c', probe, script, data], { encoding: 'utf8', env: PY_ENV });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { shape: number[]; y: number[]; sums: number[] };
    const { train } = await loadBuiltinMnistSplits();
    expect(got.shape).toEqual([96, 784]);
    expect(got.y).toEqual(Array.from(train.y.data.subarray(0, 96)));
    got.sums.forEach((s, i) => {
      let want = 0;
      for (let k = 0; k < 784; k++) want += train.x.data[i * 784 + k];
      expect(Math.abs(s - want), `row ${i}`).toBeLessThan(1e-4);
    });
    const out = join(dir, 'torch.safetensors');
    const run = await runRank(script, ['--data', data, '--out', out], {}, 120_000);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/epoch 1\/1 {2}loss \d/);
    const ev = await cli('evaluate', out, '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(JSON.parse(ev.out).examples).toBe(2000);
  });
});

describe('export --pytorch-train of a residual net', () => {
  it('the script defines the residual block it builds (it named BasicBlock without defining it), trains, and writes a file gradlab evaluates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-train-res-'));
    const model = join(dir, 'm.safetensors');
    const arch = 'conv(4,3,padding=1),bn,relu,residual(4),residual(8,stride=2),adaptiveavgpool(3),flatten';
    const t = await cli('train', '--data', 'mnist', '--arch', arch, '--epochs', '1', '--limit', '64', '--batch-size', '32', '--out', model, '-q');
    expect(t.code, t.err).toBe(0);
    const script = join(dir, 'train.py');
    const e = await cli('export', model, '--pytorch-train', script);
    expect(e.code, e.err).toBe(0);
    const { builtinDataDir } = await import('../../src/data/datasets.node.js');
    const out = join(dir, 'torch.safetensors');
    const run = await runRank(script, ['--data', join(builtinDataDir(), 'mnist-10k'), '--out', out, '--epochs', '2'], {}, 120_000);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/epoch 2\/2 {2}loss \d/);
    // The PyTorch state dict has gradlab's keys and shapes (the projection's 1×1 conv and BN included).
    const a = JSON.parse((await cli('inspect', model, '--json')).out) as { tensors: Array<{ name: string; shape: number[] }> };
    const b = JSON.parse((await cli('inspect', out, '--json')).out) as { tensors: Array<{ name: string; shape: number[] }> };
    expect(b.tensors.map((x) => [x.name, x.shape])).toEqual(a.tensors.map((x) => [x.name, x.shape]));
    expect(a.tensors.map((x) => x.name)).toContain('5.downsample.0.weight');
    const ev = await cli('evaluate', out, '--json');
    expect(ev.code, ev.err).toBe(0);
  });
});

describe('export --pytorch-train of a file gradlab split itself', () => {
  it('the script trains on the examples gradlab trained on, not on the held-out part too (CSV with --limit; one IDX images file, which it could not read before)', async () => {
    const { loadData } = await import('../../src/cli/data.js');
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-train-split-'));
    // The first feature is the row's number, so a row can be recognised after scaling.
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'id,f,kind\n' + Array.from({ length: 100 }, (_, i) => `${i},${((i * 37) % 11) / 11},${['ant', 'bee', 'cat'][i % 3]}`).join('\n') + '\n');
    const model = join(dir, 'm.safetensors');
    expect((await cli('train', '--data', csv, '--limit', '50', '--layers', '4', '--epochs', '1', '-q', '--out', model)).code).toBe(0);
    const script = join(dir, 'train.py');
    const e = await cli('export', model, '--pytorch-train', script);
    expect(e.code, e.err).toBe(0);
    expect(e.out).toContain(`it trains on the 50 of the 100 examples of ${csv} gradlab trained on (the held-out part is left out)`);
    const d = await loadData(csv, { limit: 50 });
    const sc = d.info.scaler!;
    const ids = (x: number[][]) => x.map((r) => Math.round(r[0] * sc.scale[0] + sc.offset[0])).sort((a, b) => a - b);
    const want = ids(Array.from({ length: 50 }, (_, i) => [d.train.x.data[i * 2]]));
    const probe = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("t", sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
x, y = m.load_data(sys.argv[2])
print(json.dumps({"x": x.tolist(), "y": y.tolist()}))`;
    const r = spawnSync(PY, ['-c', probe, script, csv], { encoding: 'utf8', env: PY_ENV });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { x: number[][]; y: number[] };
    expect(ids(got.x)).toEqual(want);
    // A file of another length is refused by the script, naming both counts.
    const other = join(dir, 'other.csv');
    writeFileSync(other, readFileSync(csv, 'utf8') + '100,0.5,ant\n');
    const bad = spawnSync(PY, ['-c', probe, script, other], { encoding: 'utf8', env: PY_ENV });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('101 examples, but gradlab split a file of 100');

    // One IDX images file (its labels beside it), split 80/20 by gradlab.
    const { builtinDataDir } = await import('../../src/data/datasets.node.js');
    const images = join(dir, 'images-idx3-ubyte.gz');
    copyFileSync(join(builtinDataDir(), 'mnist-10k', 'images-idx3-ubyte.gz'), images);
    copyFileSync(join(builtinDataDir(), 'mnist-10k', 'labels-idx1-ubyte.gz'), join(dir, 'labels-idx1-ubyte.gz'));
    const im = join(dir, 'idx.safetensors');
    expect((await cli('train', '--data', images, '--limit', '64', '--layers', '4', '--epochs', '1', '-q', '--out', im)).code).toBe(0);
    const is = join(dir, 'idx.py');
    expect((await cli('export', im, '--pytorch-train', is)).code).toBe(0);
    const ri = spawnSync(PY, ['-c', probe, is, images], { encoding: 'utf8', env: PY_ENV, maxBuffer: 1 << 28 });
    expect(ri.status, ri.stderr).toBe(0);
    const gi = JSON.parse(ri.stdout) as { x: number[][]; y: number[] };
    const di = await loadData(images, { limit: 64 });
    const sums = (rows: number[][]) => rows.map((row) => row.reduce((a, b) => a + b, 0).toFixed(3)).sort();
    expect(sums(gi.x)).toEqual(sums(Array.from({ length: 64 }, (_, i) => Array.from(di.train.x.data.subarray(i * 784, (i + 1) * 784)))));
    expect([...gi.y].sort()).toEqual(Array.from(di.train.y.data).sort());
  }, 60_000);
});
