"""PyTorch peer for gradlab's CNN benchmark (bench/cnn.mjs runs it).

Same task as gradlab's: Fashion-MNIST train set as [N, 1, 28, 28], pixels / 255; conv 3x3 x32
padding 1, BatchNorm2d, ReLU, maxpool 2; conv 3x3 x64 padding 1, BatchNorm2d, ReLU, maxpool 2;
Linear 3136-128, ReLU, Linear 128-10 (PyTorch's default init); softmax cross-entropy, Adam lr
1e-3, a plain loop over shuffled mini-batches after a short warm-up. Prints one JSON line.

Usage: python3 torch_cnn.py DATA_DIR --threads N [--batch B] [--samples S] [--repeats R]
Run with OPENBLAS_NUM_THREADS=1 so OpenBLAS and OpenMP threads do not fight on 2 cores.
"""
import argparse, json, resource, time

import torch

from torch_mlp import find, read_idx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('data')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--samples', type=int, default=60000)
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    xtr = (read_idx(find(a.data, 'train-images-idx3-ubyte')).reshape(-1, 1, 28, 28).float() / 255)[: a.samples]
    ytr = read_idx(find(a.data, 'train-labels-idx1-ubyte')).long()[: a.samples]
    xte = read_idx(find(a.data, 't10k-images-idx3-ubyte')).reshape(-1, 1, 28, 28).float() / 255
    yte = read_idx(find(a.data, 't10k-labels-idx1-ubyte')).long()

    nn = torch.nn
    results = []
    for rep in range(a.repeats):
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
        )
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        lossf = nn.CrossEntropyLoss()

        def step(xb, yb):
            opt.zero_grad()
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()

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
            acc = sum((model(xte[i: i + 1000]).argmax(1) == yte[i: i + 1000]).sum().item() for i in range(0, xte.shape[0], 1000)) / xte.shape[0]
        results.append({'samplesPerSec': n / dt, 'seconds': dt, 'testAccuracy': acc})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'peer': f'pytorch {torch.__version__} ({a.threads} thread{"s" if a.threads > 1 else ""})', 'runs': results, 'peakRssMB': peak}))


if __name__ == '__main__':
    main()
