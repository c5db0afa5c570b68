"""PyTorch peer for gradlab's MLP benchmark (bench/mlp.mjs runs it).

Same task as gradlab's: Fashion-MNIST train set, pixels / 255, MLP 784-256-256-10 (ReLU,
He-normal init, optional BatchNorm1d after each hidden Linear), softmax cross-entropy,
Adam lr 1e-3, one epoch of shuffled mini-batches after a short warm-up. Prints one JSON line.

Usage: python3 torch_mlp.py DATA_DIR --threads N --batch B [--bn] [--samples S] [--repeats R]
Run with OPENBLAS_NUM_THREADS=1 so OpenBLAS and OpenMP threads do not fight on 2 cores.
"""
import argparse, gzip, json, os, resource, struct, time

import torch


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    # torch.frombuffer, not numpy: the PyTorch 2.x venv of the benchmark has no numpy.
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(d, stem):
    for name in (stem, stem + '.gz'):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f'missing {stem} in {d}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--bn', action='store_true')
    ap.add_argument('--samples', type=int, default=60000)
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=20)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr = (read_idx(find(a.data, 'train-images-idx3-ubyte')).reshape(-1, 784).float() / 255)[: a.samples]
    ytr = read_idx(find(a.data, 'train-labels-idx1-ubyte')).long()[: a.samples]
    xte = read_idx(find(a.data, 't10k-images-idx3-ubyte')).reshape(-1, 784).float() / 255
    yte = read_idx(find(a.data, 't10k-labels-idx1-ubyte')).long()

    results = []
    for rep in range(a.repeats):
        layers = []
        for i, o in [(784, 256), (256, 256)]:
            lin = torch.nn.Linear(i, o)
            torch.nn.init.kaiming_normal_(lin.weight, nonlinearity='relu')
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
            if a.bn:
                layers.append(torch.nn.BatchNorm1d(o))
            layers.append(torch.nn.ReLU())
        out = torch.nn.Linear(256, 10)
        torch.nn.init.xavier_uniform_(out.weight)
        torch.nn.init.zeros_(out.bias)
        model = torch.nn.Sequential(*layers, out)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        lossf = torch.nn.CrossEntropyLoss()

        def step(xb, yb):
            opt.zero_grad()
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
            return loss

        n = xtr.shape[0]
        for _ in range(a.warmup):
            idx = torch.randint(0, n, (a.batch,))
            step(xtr[idx], ytr[idx])
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for b in range(0, n, a.batch):
            idx = perm[b: b + a.batch]
            step(xtr[idx], ytr[idx])
        dt = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        results.append({'samplesPerSec': n / dt, 'seconds': dt, 'testAccuracy': acc})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'peer': f'pytorch {torch.__version__} ({a.threads} thread{"s" if a.threads > 1 else ""})', 'runs': results, 'peakRssMB': peak}))


if __name__ == '__main__':
    main()
