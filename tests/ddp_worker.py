"""Run by tests/test_distributed.py under torchrun: train a recipe (fit_gan) and a classifier (fit) on every rank,
save each rank's weights."""
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from aigc_course import fit
from aigc_course.data import load_dataset
from aigc_course.recipes import run_recipe
from aigc_course.train import classification_loss

out = Path(sys.argv[1])
run = run_recipe("dcgan-mnist", steps=3, device="cpu", out=out, batch_size=16, progress=False)
rank, world = dist.get_rank(), dist.get_world_size()
weights = {f"{net}.{k}": v for net, m in (("G", run.G), ("D", run.D)) for k, v in m.named_parameters()}
torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
loader = load_dataset("mnist", "train", verbose=False).loader(32, seed=0, drop_last=True, rank=rank, world_size=world)
classifier = fit(model, loader, classification_loss, 5, progress=False, ema_decay=0.5).model
weights |= {f"fit.{k}": v for k, v in classifier.named_parameters()}
torch.save(weights, out / f"rank{rank}_weights.pt")
dist.destroy_process_group()
