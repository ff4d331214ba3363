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


class Block(nn.Module):
    """torchvision's ResNet BasicBlock: two 3x3 convolutions with batch norm and a shortcut."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout (7x7 stem, max pool, 4 stages of 2 basic blocks, average pool,
    fully connected), written out here without torchvision, at 1/8 of its width so that the file
    stays small enough to commit."""

    def __init__(self, width=8, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers = []
        cin = width
        for i, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers.append(nn.Sequential(Block(cin, cout, 1 if i == 0 else 2), Block(cout, cout, 1)))
            cin = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class LeNet(nn.Module):
    """Caffe's MNIST LeNet with the module names of Fovea's zoo 'lenet' (conv1, conv2, fc1, fc2),
    so that `fovea train --model lenet --init-model lenet.onnx` finds its parameters by name."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, classes)

    def forward(self, x):
        x = self.pool2(self.conv2(self.pool1(self.conv1(x))))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


def save(name, model, shape, keep_batch_norm=False):
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
    # in evaluation mode the exporter folds batch norm into the convolution before it; PRESERVE
    # (the model is in evaluation mode all the same) keeps BatchNormalization nodes
    mode = torch.onnx.TrainingMode.PRESERVE if keep_batch_norm else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, x, name + ".onnx", opset_version=17, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, training=mode)
    x.numpy().astype("<f4").tofile(name + ".input.bin")
    y.numpy().astype("<f4").tofile(name + ".output.bin")
    with open(name + ".json", "w") as f:
        json.dump({"input": list(x.shape), "output": list(y.shape), "torch": torch.__version__}, f)
        f.write("\n")


if __name__ == "__main__":
    torch.manual_seed(1)
    save("tiny", Tiny(), (3, 16, 16))
    torch.manual_seed(2)
    save("resnet18_narrow", ResNet18(), (3, 64, 64))
    torch.manual_seed(2)
    save("resnet18_narrow_bn", ResNet18(), (3, 64, 64), keep_batch_norm=True)
    torch.manual_seed(3)
    save("lenet", LeNet(), (1, 28, 28))
