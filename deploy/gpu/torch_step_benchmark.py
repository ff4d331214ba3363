#!/usr/bin/env python3
"""PyTorch's training step on the same GPU, for deploy/bin/fovea-gpu-check to print beside Fovea's.

The same models as Fovea's zoo (worker-kernels' Zoo: lenet, Caffe's MNIST LeNet on 1x28x28 with 10
classes; resnet50, torchvision's ResNet-50 v1.5 on 3x224x224 with 1000 classes, written out here so
that torchvision is not needed), the same step (forward, cross-entropy, backward, SGD lr 0.01
momentum 0.9) on one random batch that stays on the GPU, FP32 with TF32 off unless --tf32 (both
cuDNN's and cuBLAS's switches, since PyTorch allows TF32 in cuDNN by default). Prints one line:

  torch MODEL batch B: X images/s (median of R steps after W warm-up), peak device memory M MiB

where the memory is torch.cuda.max_memory_allocated (the caching allocator's tensors).
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn


def lenet(classes):
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.MaxPool2d(2),
        nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, classes))


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: the stride is in the 3x3 convolution; projection where the shape changes."""

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu(self.body(x) + s)


def resnet50(classes):
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for b in range(blocks):
            layers.append(Bottleneck(cin, width, stride if b == 0 else 1))
            cin = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


MODELS = {"lenet": (lenet, (1, 28, 28), 10), "resnet50": (resnet50, (3, 224, 224), 1000)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--device", type=int, default=0)
    ap.add_argument("--tf32", action="store_true")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_step_benchmark: error: torch sees no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True  # cuDNN's measured algorithm choice, as Fovea's cuda backend
    dev = torch.device("cuda", a.device)
    build, shape, classes = MODELS[a.model]
    torch.manual_seed(7)
    net = build(classes).to(dev).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand((a.batch,) + shape, device=dev) * 2 - 1
    y = torch.randint(0, classes, (a.batch,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    torch.cuda.synchronize(dev)
    torch.cuda.reset_peak_memory_stats(dev)
    times = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize(dev)
        times.append(time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated(dev) / 1048576
    print("torch %s batch %d: %.1f images/s (median of %d steps after %d warm-up), peak device memory %.0f MiB"
          % (a.model, a.batch, a.batch / statistics.median(times), a.reps, a.warmup, peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
