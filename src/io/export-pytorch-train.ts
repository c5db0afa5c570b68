/**
 * Export a gradlab run's recipe as a standalone PyTorch training script, for when one machine is
 * not enough: the same architecture, initialization (resolved per layer to the distribution
 * gradlab draws from), optimizer with the options in effect, schedule, clipping, batch size and
 * epochs, and data loading for IDX directories (MNIST, Fashion-MNIST) and CSV files with the
 * stored label column and feature scaler. The script runs in one process
 * (`python3 train.py --data PATH --out OUT.safetensors`) or under
 * `torchrun --nproc_per_node=N train.py …` with DistributedDataParallel (gloo on CPU, nccl with
 * CUDA; a DistributedSampler shards each epoch; the global batch is split across ranks; only
 * rank 0 writes). It writes a gradlab model file — PyTorch's state-dict names plus gradlab's
 * metadata — so `gradlab evaluate`, `inspect`, `predict`, reports and the lab read what PyTorch
 * trained.
 *
 * Every string from the model file reaches the script as a JSON document inside a Python
 * string literal (pyStr), read with json.loads: nothing in a name can change the program.
 */
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { computeFans } from '../init.js';
import { buildModel, validateSpec, type ModelSpec } from '../models.js';
import { WeightedLayer } from '../nn/linear.js';
import { defaultGenerator } from '../random.js';
import type { RunConfig } from '../recipe.js';
import { pyStr, TORCH_BASIC_BLOCK, torchLayers } from './export-pytorch.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type DataInfo } from './model.js';
import { MNIST_DIGIT_COUNTS, mnistSplitOrder } from '../data/mnist.js';

/** How one Linear's weight is drawn, as plain numbers the script applies. */
type WeightInit = { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'constant'; value: number } | { kind: 'orthogonal'; gain: number } | { kind: 'pytorch' };

/** The distribution gradlab's initializer `name` draws a [fanOut, fanIn] weight from (src/init.ts). */
function resolveInit(name: string, consumer: ActivationName, fanIn: number, fanOut: number): WeightInit {
  const act = ACTIVATIONS[consumer];
  const gain = act.gain(Number.isNaN(act.defaultParam) ? undefined : act.defaultParam);
  switch (name) {
    case 'auto':
      return resolveInit(act.init, consumer, fanIn, fanOut);
    case 'pytorch':
      return { kind: 'pytorch' };
    case 'xavierUniform':
      return { kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) };
    case 'xavierNormal':
      return { kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'kaimingUniform':
      return { kind: 'uniform', bound: (Math.sqrt(3) * gain) / Math.sqrt(fanIn) };
    case 'kaimingNormal':
      return { kind: 'normal', std: gain / Math.sqrt(fanIn) };
    case 'lecunUniform':
      return { kind: 'uniform', bound: Math.sqrt(3 / fanIn) };
    case 'lecunNormal':
      return { kind: 'normal', std: 1 / Math.sqrt(fanIn) };
    case 'orthogonal':
      return { kind: 'orthogonal', gain };
    case 'standard':
      return { kind: 'uniform', bound: 1 / Math.sqrt(fanIn) };
    case 'normal':
      return { kind: 'normal', std: 1 };
    case 'zeros':
      return { kind: 'constant', value: 0 };
    case 'constant':
      return { kind: 'constant', value: 0.1 };
    default:
      throw new Error(`export --pytorch-train: initializer '${name}' has no PyTorch form`);
  }
}

/**
 * Each weighted layer's module path and how gradlab draws its weight: the layers are built as
 * gradlab builds them (Sequential tells each Linear/Conv2d its consumer activation), with the
 * global random stream saved and restored around it, and each init is resolved with the
 * weight's fans (a conv's include its receptive field).
 */
export function weightInits(specIn: ModelSpec): Array<{ path: string; init: WeightInit }> {
  const s = validateSpec(specIn);
  const state = defaultGenerator.getState();
  let model;
  try {
    model = buildModel(s);
  } finally {
    defaultGenerator.setState(state);
  }
  const out: Array<{ path: string; init: WeightInit }> = [];
  for (const [path, m] of model.namedModules()) {
    if (!(m instanceof WeightedLayer)) continue;
    const { fanIn, fanOut } = computeFans(m.weight.shape);
    out.push({ path, init: resolveInit(m._initUsed, m._initializedFor, fanIn, fanOut) });
  }
  return out;
}

export interface TrainScriptOptions {
  config: RunConfig;
  /**
   * A file gradlab split itself (CSV, a single IDX file): its training examples (after --limit)
   * among its `total`, so that the script trains on those and not on the held-out part.
   */
  trainRows?: { rows: readonly number[]; total: number };
  data?: DataInfo;
  /** Shown in the docstring (as data, through pyStr). */
  source?: string;
}

/** The Python source of the training script. */
export function exportPytorchTrain(specIn: ModelSpec, options: TrainScriptOptions): string {
  const s = validateSpec(specIn);
  const cfg = options.config;
  const layers = torchLayers(s)
    .map((l, i) => `        ${l},  # ${i}`)
    .join('\n');
  const meta = { format: MODEL_FORMAT, format_version: MODEL_FORMAT_VERSION, spec: s, config: cfg, data: options.data ?? null };
  const limited = cfg.data.source === 'mnist' && cfg.data.limit !== undefined ? mnistSplitOrder(MNIST_DIGIT_COUNTS, 'train').slice(0, cfg.data.limit) : null;
  // One bit per example of the file, set for a training example (base64; bit i is byte i >> 3, bit i & 7).
  let rowMask: string | null = null;
  if (options.trainRows) {
    const bits = new Uint8Array(Math.ceil(options.trainRows.total / 8));
    for (const r of options.trainRows.rows) bits[r >> 3] |= 1 << (r & 7);
    let bin = '';
    for (let i = 0; i < bits.length; i++) bin += String.fromCharCode(bits[i]);
    rowMask = btoa(bin);
  }
  return `"""Train a gradlab model's recipe with PyTorch, on one process or many.

    python3 train.py --data PATH --out model.safetensors
    torchrun --nproc_per_node=2 train.py --data PATH --out model.safetensors

PATH: a directory with the four IDX files of MNIST/Fashion-MNIST (gzip or not), gradlab's
built-in digits (its data/mnist-10k directory, for a model trained on --data mnist: the same
training split), or a CSV file with the columns the model was trained on. The output is a gradlab model file: \`gradlab
evaluate model.safetensors --data PATH\` reads it. Generated by \`gradlab export --pytorch-train\`;
the recipe came from the file named in SOURCE.
"""
import argparse
import base64
import csv
import gzip
import json
import math
import os
import struct

import torch
import torch.distributed as dist
import torch.nn as nn

SOURCE = ${pyStr(options.source ?? '')}
# The recipe, exactly as stored in the gradlab model file (JSON).
META = json.loads(${pyStr(JSON.stringify(meta))})
SPEC, CONFIG, DATA = META["spec"], META["config"], META["data"]
# Each weighted layer's module path and how gradlab draws its weight (resolved from SPEC).
INITS = json.loads(${pyStr(JSON.stringify(weightInits(s)))})
# gradlab's built-in digits with --limit: the examples it trained on, [digit, i] (image i of that digit).
LIMITED = ${limited ? `json.loads(${pyStr(JSON.stringify(limited))})` : 'None'}
# A file gradlab split itself (CSV, one IDX images file): its examples, and which of them it trained
# on (bit i of the base64 mask: example i, in the file's order), the held-out part left out.
ROWS = ${options.trainRows ? options.trainRows.total : 'None'}
TRAIN_MASK = ${rowMask !== null ? pyStr(rowMask) : 'None'}


${TORCH_BASIC_BLOCK}


def build_model():
    model = nn.Sequential(
${layers}
    )
    for entry in INITS:
        lin, init = model.get_submodule(entry["path"]), entry["init"]
        kind = init["kind"]
        if kind == "pytorch":
            continue  # torch.nn.Linear's own default
        with torch.no_grad():
            if kind == "uniform":
                lin.weight.uniform_(-init["bound"], init["bound"])
            elif kind == "normal":
                lin.weight.normal_(0.0, init["std"])
            elif kind == "constant":
                lin.weight.fill_(init["value"])
            elif kind == "orthogonal":
                nn.init.orthogonal_(lin.weight, gain=init["gain"])
            if lin.bias is not None:
                lin.bias.zero_()
    return model


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def find(directory, stems):
    for stem in stems:
        for name in (stem, stem + ".gz"):
            p = os.path.join(directory, name)
            if os.path.exists(p):
                return p
    raise SystemExit(f"{directory}: no {stems[0]} (or .gz) here")


def builtin_mnist(path):
    """gradlab's built-in digits (its data/mnist-10k: images-idx3-ubyte.gz, labels-idx1-ubyte.gz,
    grouped by digit): the training part of its fixed stratified split, the first round(0.8 n_d)
    images of each digit d, with the package's pixel values round(1000 k / 255) / 1000; with a
    --limit, exactly the examples gradlab used (LIMITED: [digit, i] in its order)."""
    images = read_idx(find(path, ["images-idx3-ubyte"])).reshape(-1, 784)
    labels = read_idx(find(path, ["labels-idx1-ubyte"])).long()
    by_digit = [torch.nonzero(labels == d).flatten() for d in range(10)]
    if LIMITED is not None:
        rows = torch.tensor([int(by_digit[d][i]) for d, i in LIMITED], dtype=torch.long)
    else:
        rows = torch.cat([idx[:round(0.8 * len(idx))] for idx in by_digit])
    x = torch.round(images[rows].double() * 1000 / 255).div(1000).float()
    return x.reshape(-1, SPEC["inputs"]), labels[rows]


def training_rows(n, path):
    """gradlab's training examples of a file it split (all of them when the export could not read it)."""
    if TRAIN_MASK is None:
        return torch.arange(n)
    if n != ROWS:
        raise SystemExit(f"{path}: {n} examples, but gradlab split a file of {ROWS}; give the file the model was trained on")
    mask = base64.b64decode(TRAIN_MASK)
    return torch.tensor([i for i in range(n) if mask[i >> 3] >> (i & 7) & 1], dtype=torch.long)


def load_data(path):
    """Training inputs [N, features] (scaled as gradlab did) and targets."""
    if os.path.isfile(path) and ("idx3-ubyte" in os.path.basename(path) or path.endswith(".idx")):
        labels_path = os.path.join(os.path.dirname(path), os.path.basename(path).replace("images", "labels").replace("idx3", "idx1"))
        x = read_idx(path).reshape(-1, SPEC["inputs"]).float() / 255
        y = read_idx(labels_path).long()
        rows = training_rows(len(x), path)
        return scale(x[rows]), y[rows]
    if os.path.isdir(path) and CONFIG["data"]["source"] == "mnist" and any(os.path.exists(os.path.join(path, f)) for f in ("images-idx3-ubyte", "images-idx3-ubyte.gz")):
        x, y = builtin_mnist(path)
        return scale(x), y
    if os.path.isdir(path):
        x = read_idx(find(path, ["train-images-idx3-ubyte", "train-images.idx3-ubyte"])).reshape(-1, SPEC["inputs"]).float() / 255
        y = read_idx(find(path, ["train-labels-idx1-ubyte", "train-labels.idx1-ubyte"])).long()
        limit = CONFIG["data"].get("limit")
        if limit:
            x, y = x[:limit], y[:limit]
        return scale(x), y
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    label = CONFIG["data"].get("label") or header[-1]
    if label not in header:
        raise SystemExit(f"{path}: no label column {label!r}")
    names = (DATA or {}).get("featureNames") or [h for h in header if h != label]
    missing = [n for n in names if n not in header]
    if missing:
        raise SystemExit(f"{path}: columns {missing} the model was trained on are missing")
    cols = [header.index(n) for n in names]
    li = header.index(label)
    classes = (DATA or {}).get("classNames")
    xs, ys = [], []
    for r, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            xs.append([float(row[j]) for j in cols])
        except ValueError as e:
            raise SystemExit(f"{path}: line {r}: {e}")
        v = row[li].strip()
        if classes is not None:
            if v not in classes:
                raise SystemExit(f"{path}: line {r}: label {v!r} is not one of the model's classes")
            ys.append(classes.index(v))
        else:
            ys.append(float(v))
    y = torch.tensor(ys, dtype=torch.long if classes is not None else torch.float32)
    keep = training_rows(len(xs), path)
    return scale(torch.tensor(xs, dtype=torch.float32)[keep]), y[keep]


def scale(x):
    """The feature scaling gradlab fitted on its training split: x' = (x - offset) / scale."""
    scaler = (DATA or {}).get("scaler")
    if scaler is None:
        return x
    return (x - torch.tensor(scaler["offset"])) / torch.tensor(scaler["scale"])


def make_optimizer(params):
    name, o = CONFIG["optimizer"], CONFIG["optimizerOptions"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0), nesterov=o.get("nesterov", False), weight_decay=o.get("weightDecay", 0))
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(params, lr=o["lr"], betas=tuple(o.get("betas", (0.9, 0.999))), eps=o.get("eps", 1e-8), weight_decay=o.get("weightDecay", 0 if name == "adam" else 1e-2), amsgrad=o.get("amsgrad", False))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=o["lr"], alpha=o.get("alpha", 0.99), eps=o.get("eps", 1e-8), weight_decay=o.get("weightDecay", 0), momentum=o.get("momentum", 0), centered=o.get("centered", False))
    raise SystemExit(f"optimizer {name!r} has no PyTorch form here")


def loss_fn():
    return {"softmax": nn.CrossEntropyLoss(), "sigmoid": nn.BCEWithLogitsLoss()}.get(SPEC["output"], nn.MSELoss())


def save_safetensors(path, model, epochs):
    """A gradlab model file: float32 tensors (num_batches_tracked int64) and gradlab's metadata."""
    config = dict(CONFIG, epochs=epochs)
    metadata = {"format": META["format"], "format_version": META["format_version"], "spec": json.dumps(SPEC), "config": json.dumps(config)}
    if DATA is not None:
        metadata["data"] = json.dumps(DATA)
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for key, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        dtype = "I64" if t.dtype == torch.int64 else "F32"
        t = t.to(torch.int64 if dtype == "I64" else torch.float32)
        blob = t.numpy().tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Train the gradlab recipe with PyTorch (DDP under torchrun).")
    ap.add_argument("--data", required=True, help="IDX directory or CSV file")
    ap.add_argument("--out", required=True, help="gradlab model file to write (.safetensors)")
    ap.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    ap.add_argument("--batch-size", type=int, default=CONFIG["batchSize"], help="global batch size, split across processes")
    ap.add_argument("--seed", type=int, default=CONFIG["seed"])
    a = ap.parse_args()

    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(a.seed)

    x, y = load_data(a.data)
    dataset = torch.utils.data.TensorDataset(x, y)
    sampler = torch.utils.data.distributed.DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=a.seed) if distributed else None
    per_rank = max(1, a.batch_size // world)
    loader = torch.utils.data.DataLoader(dataset, batch_size=per_rank, shuffle=sampler is None, sampler=sampler)

    model = build_model().to(device)  # same seed on every rank; DDP also broadcasts rank 0's weights
    net = nn.parallel.DistributedDataParallel(model) if distributed else model
    opt = make_optimizer(net.parameters())
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs) if CONFIG["schedule"] == "cosine" else None
    criterion = loss_fn()
    clip = CONFIG.get("clip")

    for epoch in range(a.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            out = net(xb)
            if SPEC["output"] != "softmax":
                yb = yb.float().reshape(out.shape)
            loss = criterion(out, yb)
            opt.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
            opt.step()
            total += loss.item() * len(xb)
            count += len(xb)
        if sched is not None:
            sched.step()
        if not math.isfinite(total):
            raise SystemExit(f"rank {rank}: the loss became non-finite in epoch {epoch + 1}")
        if rank == 0:
            print(f"epoch {epoch + 1}/{a.epochs}  loss {total / max(count, 1):.4f}  ({world} process{'es' if world > 1 else ''})", flush=True)

    if rank == 0:
        save_safetensors(a.out, model, a.epochs)
        print(f"wrote {a.out}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}
