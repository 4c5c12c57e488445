#!/usr/bin/env python3
"""PyTorch (CPU) side of `make bench-pytorch`: the network of an experiment YAML built in PyTorch,
timed like `hrnet-train benchmark` (warm-up steps, then the median of timed steps) on random data.

The network is built here from MODEL.EXTRA the way docs/reference-behaviour.md describes it (and as
HRNet/Model/Architecture.swift builds ours): a stem of two stride-2 3x3 conv+BN+ReLU at 64
channels, layer1 of four Bottlenecks, then per stage a transition (re-channel or a new stride-2
branch) and NUM_MODULES high-resolution modules (branches of BasicBlocks, then fusion sums: 1x1
conv+BN and nearest upsampling from lower branches, stride-2 3x3 chains from higher ones, ReLU),
and a final conv to NUM_JOINTS heatmaps. Training step: forward, the joints MSE loss with target
weights (0.5 x mean squared error per joint), backward, Adam. Forward: eval mode, no autograd.

Prints one JSON object: mode, network, batch, threads, images_per_s, seconds_per_step, peak_rss_mb.
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn
import yaml


def conv_bn(cin, cout, kernel, stride=1, relu=True):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """BasicBlock (two 3x3) or Bottleneck (1x1, 3x3, 1x1 to 4x planes), residual, ReLU."""

    def __init__(self, cin, planes, bottleneck):
        super().__init__()
        cout = planes * (4 if bottleneck else 1)
        if bottleneck:
            self.body = nn.Sequential(conv_bn(cin, planes, 1), conv_bn(planes, planes, 3), conv_bn(planes, cout, 1, relu=False))
        else:
            self.body = nn.Sequential(conv_bn(cin, planes, 3), conv_bn(planes, planes, 3, relu=False))
        self.shortcut = conv_bn(cin, cout, 1, relu=False) if cin != cout else nn.Identity()
        self.out_channels = cout

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


class Module(nn.Module):
    """Branches of residual blocks, then for each output branch the ReLU of the fusion sum."""

    def __init__(self, channels, blocks, bottleneck, outputs):
        super().__init__()
        n = len(channels)
        self.branches = nn.ModuleList(
            nn.Sequential(*[Residual(c, c // (4 if bottleneck else 1), bottleneck) for _ in range(k)])
            for c, k in zip(channels, blocks))
        self.fuse = nn.ModuleList()
        for i in range(outputs if n > 1 else 0):
            row = nn.ModuleList()
            for j in range(n):
                if j == i:
                    row.append(nn.Identity())
                elif j > i:
                    row.append(nn.Sequential(conv_bn(channels[j], channels[i], 1, relu=False),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                else:
                    chain = [conv_bn(channels[j], channels[j], 3, 2) for _ in range(i - j - 1)]
                    chain.append(conv_bn(channels[j], channels[i], 3, 2, relu=False))
                    row.append(nn.Sequential(*chain))
            self.fuse.append(row)

    def forward(self, xs):
        xs = [branch(x) for branch, x in zip(self.branches, xs)]
        if not self.fuse:
            return xs
        return [torch.relu(sum(f(x) for f, x in zip(row, xs))) for row in self.fuse]


class HRNet(nn.Module):
    def __init__(self, model):
        super().__init__()
        extra = model["EXTRA"]
        self.stem = nn.Sequential(conv_bn(3, 64, 3, 2), conv_bn(64, 64, 3, 2))
        layer1 = [Residual(64, 64, True)] + [Residual(256, 64, True) for _ in range(3)]
        self.layer1 = nn.Sequential(*layer1)
        self.transitions = nn.ModuleList()
        self.stages = nn.ModuleList()
        previous = [256]
        names = [k for k in ("STAGE2", "STAGE3", "STAGE4") if k in extra]
        for s, name in enumerate(names):
            stage = extra[name]
            bottleneck = stage["BLOCK"] == "BOTTLENECK"
            channels = [c * (4 if bottleneck else 1) for c in stage["NUM_CHANNELS"]]
            transition = nn.ModuleList()
            for i, c in enumerate(channels):
                if i < len(previous):
                    transition.append(nn.Identity() if c == previous[i] else conv_bn(previous[i], c, 3))
                else:
                    chain = [conv_bn(previous[-1], previous[-1], 3, 2) for _ in range(i - len(previous))]
                    chain.append(conv_bn(previous[-1], c, 3, 2))
                    transition.append(nn.Sequential(*chain))
            self.transitions.append(transition)
            modules = []
            for m in range(stage["NUM_MODULES"]):
                last = s == len(names) - 1 and m == stage["NUM_MODULES"] - 1
                modules.append(Module(channels, stage["NUM_BLOCKS"], bottleneck, 1 if last else len(channels)))
            self.stages.append(nn.Sequential(*modules))
            previous = channels
        k = extra["FINAL_CONV_KERNEL"]
        self.final = nn.Conv2d(previous[0], model["NUM_JOINTS"], k, 1, k // 2)

    def forward(self, x):
        xs = [self.layer1(self.stem(x))]
        for transition, stage in zip(self.transitions, self.stages):
            grown = [t(xs[i] if i < len(xs) else xs[-1]) for i, t in enumerate(transition)]
            xs = stage(grown)
        return self.final(xs[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--forward-only", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    with open(args.config) as f:
        model_cfg = yaml.safe_load(f)["MODEL"]
    net = HRNet(model_cfg)
    width, height = model_cfg["IMAGE_SIZE"]
    joints = model_cfg["NUM_JOINTS"]
    x = torch.randn(args.batch, 3, height, width)
    target = torch.rand(args.batch, joints, height // 4, width // 4)
    weight = torch.ones(args.batch, joints, 1)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        if args.forward_only:
            with torch.no_grad():
                net(x)
            return
        out = net(x)
        diff = (out.flatten(2) - target.flatten(2)) * weight
        loss = 0.5 * diff.pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    net.train(not args.forward_only)
    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    extra = model_cfg["EXTRA"]
    network = "w{}-{}-{}x{}".format(extra["STAGE2"]["NUM_CHANNELS"][0],
                                   "".join(str(extra[k]["NUM_MODULES"]) for k in ("STAGE2", "STAGE3", "STAGE4") if k in extra),
                                   width, height)
    print(json.dumps({
        "mode": "forward" if args.forward_only else "train", "network": network, "batch": args.batch,
        "threads": torch.get_num_threads(), "steps": args.steps, "seconds_per_step": round(seconds, 4),
        "images_per_s": round(args.batch / seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability()}))


if __name__ == "__main__":
    main()
