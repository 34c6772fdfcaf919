"""Time the engine's DCGAN training step against a tutorial-style reference loop.

Both train the same DCGAN (``dcgan-mnist`` recipe networks) at the same batch size on the same
device. The reference is written the way the PyTorch DCGAN tutorial writes it: a torchvision
dataset read through ``DataLoader`` (2 workers) with per-sample ``ToTensor``/``Normalize``, separate
backward passes for the real and fake halves, and ``.item()`` logging every step. Runs alternate
(engine, reference, engine, ...) so that machine noise hits both alike.

    python benchmarks/gan_step.py --quick            # a smoke run (CI): 2 rounds of 10 steps
    python benchmarks/gan_step.py --save             # longer run, writes aigc_course/tables/gan_step.json

The last line printed is a JSON object with device, engine_img_per_s, reference_img_per_s, ratio.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import transforms

import aigc_course
from aigc_course.data import DatasetNotFoundError, load_dataset, load_torchvision_dataset
from aigc_course.recipes import RECIPES
from aigc_course.train import fit_gan

from common import RESULTS as RESULTS_DIR  # this folder is on sys.path when a script in it runs
from common import write_json

RESULTS = RESULTS_DIR / "gan_step.json"


def reference_dataset(data_dir: Path | None) -> tuple[torch.utils.data.Dataset, str]:
    tfm = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    try:
        return load_torchvision_dataset("mnist", "train", data_dir, transform=tfm), "torchvision.datasets.MNIST"
    except DatasetNotFoundError:
        data = load_dataset("mnist", "train", data_dir=data_dir, verbose=False)
        return data.as_torch_dataset(tfm), f"per-sample PIL dataset over: {data.source}"


class ReferenceLoop:
    """The PyTorch DCGAN tutorial's training loop, on the course's networks (logits + BCEWithLogits)."""

    def __init__(self, G: nn.Module, D: nn.Module, dataset, batch_size: int, device: torch.device, workers: int):
        self.G, self.D, self.device = G.to(device), D.to(device), device
        self.loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=True,
                                 persistent_workers=workers > 0)
        self.it = iter(self.loader)
        self.criterion = nn.BCEWithLogitsLoss()
        self.opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.G_losses: list[float] = []
        self.D_losses: list[float] = []

    def next_batch(self):
        try:
            return next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            return next(self.it)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            data = self.next_batch()
            self.D.zero_grad()
            real = data[0].to(self.device)
            b = real.size(0)
            label = torch.full((b,), 1.0, device=self.device)
            output = self.D(real).view(-1)
            err_d_real = self.criterion(output, label)
            err_d_real.backward()
            noise = torch.randn(b, self.G.nz, device=self.device)
            fake = self.G(noise)
            label.fill_(0.0)
            output = self.D(fake.detach()).view(-1)
            err_d_fake = self.criterion(output, label)
            err_d_fake.backward()
            self.opt_d.step()
            self.G.zero_grad()
            label.fill_(1.0)
            output = self.D(fake).view(-1)
            err_g = self.criterion(output, label)
            err_g.backward()
            self.opt_g.step()
            self.G_losses.append(err_g.item())  # the tutorial logs every step
            self.D_losses.append((err_d_real + err_d_fake).item())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 rounds of 10 steps (not a timing)")
    parser.add_argument("--device", default="auto", choices=aigc_course.runtime.DEVICES)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="reference DataLoader workers (the tutorial's 2)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the engine's networks")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--save", action="store_true", help=f"write the result to {RESULTS}")
    args = parser.parse_args()
    steps, rounds = (10, 2) if args.quick else (150, 5)  # --quick: a smoke run of every path, not a timing

    device = aigc_course.device(args.device, seed=0)
    recipe = RECIPES["dcgan-mnist"]
    data = load_dataset("mnist", "train", data_dir=args.data_dir)
    loader = data.loader(args.batch_size, device=device, seed=0, drop_last=True)
    dataset, ref_source = reference_dataset(args.data_dir)
    print(f"[bench] reference data: {ref_source}")
    G_e, D_e = recipe.build()
    G_r, D_r = recipe.build()
    ref = ReferenceLoop(G_r, D_r, dataset, args.batch_size, device, args.workers)
    cuda = device.type == "cuda"

    def engine(n: int) -> None:
        fit_gan(G_e, D_e, loader, n, progress=False, compile=args.compile, **recipe.train)

    def timed(fn, n: int) -> tuple[float, float]:
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        fn(n)
        if cuda:
            torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
        return n * args.batch_size / (time.perf_counter() - t0), peak

    engine(5)  # warm-up (and compilation, with --compile)
    ref.run(5)
    eng, refr, eng_mem, ref_mem = [], [], 0.0, 0.0
    for r in range(rounds):
        e, me = timed(engine, steps)
        f, mf = timed(ref.run, steps)
        eng.append(e)
        refr.append(f)
        eng_mem, ref_mem = max(eng_mem, me), max(ref_mem, mf)
        print(f"[bench] round {r + 1}/{rounds}: engine {e:,.0f} img/s, reference {f:,.0f} img/s")
    engine_ips, ref_ips = sorted(eng)[len(eng) // 2], sorted(refr)[len(refr) // 2]  # medians
    result = {
        "device": str(device) + (f" ({torch.cuda.get_device_name(0)})" if cuda else ""),
        "engine_img_per_s": round(engine_ips, 1),
        "reference_img_per_s": round(ref_ips, 1),
        "ratio": round(engine_ips / ref_ips, 3),
        "batch_size": args.batch_size, "steps_per_round": steps, "rounds": rounds,
        "reference_workers": args.workers, "compile": args.compile,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "engine_peak_cuda_mb": round(eng_mem, 1) if cuda else None,
        "reference_peak_cuda_mb": round(ref_mem, 1) if cuda else None,
    }
    if args.save:
        write_json(RESULTS, {"date": time.strftime("%Y-%m-%d"), "hardware": aigc_course.hardware(),
                             "command": " ".join(sys.argv), "result": result})
        print(f"[bench] saved {RESULTS}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
