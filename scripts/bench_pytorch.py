#!/usr/bin/env python3
"""`make bench-pytorch`: hrnet-train against PyTorch (CPU) on the same networks, side by side.

For each network (W32 256x256 and the compact W16) and mode (training step, forward pass), the
rounds alternate ours and PyTorch's (`scripts/hrnet_pytorch_bench.py`), same batch, same threads,
so a burst of load from other processes hits both; the figure per side is the median over rounds
of each run's median step. Prints images/s, the ratio ours / PyTorch (> 1: we are faster) and
each process's peak resident memory with the ratio (ours / PyTorch), and writes JSON lines.
With each of our rounds it prints the cache-line round trip between our two threads before and
after the timed steps (about 60 ns: cores that share a cache; several hundred: cores far apart,
which a virtual machine's host may choose from one minute to the next).

With HRNET_ISA=avx2 (our AVX2 kernels forced on an AVX-512 CPU, standing in for an AVX2-only one
such as Zen 3) PyTorch is held to AVX2 as well, through its own switches (ONEDNN_MAX_CPU_ISA=AVX2
for oneDNN's convolutions, ATEN_CPU_CAPABILITY=avx2 for ATen's kernels): on such a CPU neither
side has AVX-512. The summary line names the instruction set each side ran.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NETWORKS = ["experiments/mpii/w32_256x256_adam_lr1e-3.yaml", "experiments/mpii/w16_256x256_compact.yaml"]


def last_json(text):
    return json.loads([line for line in text.splitlines() if line.startswith("{")][-1])


def run(command, env):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return last_json(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="folder of the built hrnet-train")
    parser.add_argument("--python", required=True, help="python of the venv with torch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", default="train,forward")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--json", help="append one JSON line per network and mode")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), HRNET_THREADS=str(args.threads))
    if os.environ.get("HRNET_ISA", "").lower() == "avx2":
        env.update(ONEDNN_MAX_CPU_ISA="AVX2", ATEN_CPU_CAPABILITY="avx2")
    common = ["--batch", str(args.batch), "--steps", str(args.steps), "--warmup", "1"]
    rows = []
    for config in args.networks.split(","):
        for mode in args.modes.split(","):
            flag = ["--forward-only"] if mode == "forward" else []
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(run([os.path.join(args.bin, "hrnet-train"), "benchmark", "--config", config,
                                 "--threads", str(args.threads)] + common + flag, env))
                theirs.append(run([args.python, os.path.join(HERE, "hrnet_pytorch_bench.py"), "--config", config,
                                   "--threads", str(args.threads)] + common + flag, env))
            row = {
                "network": ours[0]["network"], "mode": mode, "batch": args.batch, "threads": args.threads,
                "rounds": args.rounds, "isa": ours[0].get("isa"), "torch": theirs[0]["torch"],
                "pytorch_isa": theirs[0].get("cpu_capability"),
                "ours_images_per_s": statistics.median(r["images_per_s"] for r in ours),
                "pytorch_images_per_s": statistics.median(r["images_per_s"] for r in theirs),
                "ours_peak_rss_mb": max(r["peak_rss_mb"] for r in ours),
                "pytorch_peak_rss_mb": max(r["peak_rss_mb"] for r in theirs),
                "ours_rounds_images_per_s": [r["images_per_s"] for r in ours],
                "pytorch_rounds_images_per_s": [r["images_per_s"] for r in theirs],
                "core_round_trip_ns": [r.get("core_round_trip_ns") for r in ours],
            }
            row["speed_ratio"] = round(row["ours_images_per_s"] / row["pytorch_images_per_s"], 3)
            row["memory_ratio"] = round(row["ours_peak_rss_mb"] / row["pytorch_peak_rss_mb"], 3)
            rows.append(row)
            print(f"{row['network']:>18} {mode:>7}: ours {row['ours_images_per_s']:6.2f} img/s, "
                  f"PyTorch {row['pytorch_images_per_s']:6.2f} img/s, ratio {row['speed_ratio']:.2f}; "
                  f"peak memory ours {row['ours_peak_rss_mb']:.0f} MB, PyTorch {row['pytorch_peak_rss_mb']:.0f} MB, "
                  f"ratio {row['memory_ratio']:.2f}", flush=True)
            trips = ", ".join("/".join("-" if t is None else f"{t:.0f}" for t in r) for r in row["core_round_trip_ns"]
                              if r is not None)
            print(f"{'':>18} {'':>7}  rounds: ours {row['ours_rounds_images_per_s']}, PyTorch "
                  f"{row['pytorch_rounds_images_per_s']}; our threads' round trip per round {trips} ns", flush=True)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps(row) + "\n")
    print(f"(batch {args.batch}, {args.threads} threads, medians of {args.rounds} alternating rounds of "
          f"{args.steps} timed steps each; kernels {rows[0]['isa']}, torch {rows[0]['torch']} "
          f"({rows[0]['pytorch_isa']}); "
          f"load average at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
