#!/usr/bin/python3
"""Makes the ONNX files OnnxPytorchTest imports, with PyTorch's own exporter, and PyTorch's outputs.

Run from this directory with Debian's PyTorch (apt-get install -y python3-torch; no torchvision):

    /usr/bin/python3 make_onnx.py   (Debian's Python, where python3-torch installs)

It writes, for each network NAME: NAME.onnx (opset 17, dynamic batch axis), NAME.input.bin (a batch
of 2 inputs) and NAME.output.bin (PyTorch's eval-mode outputs for them), both little-endian
float32 in row-major order, and NAME.json with their shapes and the PyTorch version. The files are
committed beside this script, so the tests need no Python.
"""
import json

import torch
from torch import nn


class Tiny(nn.Module):
    """Grouped and depthwise convolution, batch norm, a transposed convolution and upsampling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
        self.grouped = nn.Conv2d(8, 8, 1, groups=2)
        self.pool = nn.MaxPool2d(2)
        self.up_conv = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.down = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5))

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = torch.nn.functional.leaky_relu(self.grouped(self.depthwise(x)), 0.1)
        x = self.pool(x)
        x = torch.sigmoid(self.up_conv(x))
        x = self.up(x)
        x = torch.tanh(self.down(x))
        return self.head(x)


def save(name, model, shape):
    torch.manual_seed(0)
    model.eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
        x = torch.randn(2, *shape)
        y = model(x)
    torch.onnx.export(model, x, name + ".onnx", opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    x.numpy().astype("<f4").tofile(name + ".input.bin")
    y.numpy().astype("<f4").tofile(name + ".output.bin")
    with open(name + ".json", "w") as f:
        json.dump({"input": list(x.shape), "output": list(y.shape), "torch": torch.__version__}, f)
        f.write("\n")


if __name__ == "__main__":
    torch.manual_seed(1)
    save("tiny", Tiny(), (3, 16, 16))
