"""PyTorch 1.13's peak RSS and time for the forward passes bench/eval-memory.mjs measures
(run with Debian's /usr/bin/python3): python3 eval-memory.py cnn 10000 | mlp 60000."""
import resource, sys, time
import torch
from torch import nn

torch.manual_seed(0)
kind, n = sys.argv[1], int(sys.argv[2])
if kind == 'cnn':
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    x = torch.rand(n, 1, 28, 28)
else:
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = torch.rand(n, 784)
model.eval()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
with torch.no_grad():
    y = model(x)
t = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'{kind} {n}: {tuple(y.shape)} {t:.2f} s, peak RSS {peak:.0f} MB (before the forward {before:.0f} MB, threads {torch.get_num_threads()})')
