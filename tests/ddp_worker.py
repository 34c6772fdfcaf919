"""Run by tests/test_distributed.py under torchrun: train a recipe (fit_gan), a classifier (fit) and a pix2pix
pair (fit_pix2pix) on every rank, save each rank's weights."""
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from aigc_course import fit
from aigc_course.data import load_dataset
from aigc_course.data.loader import TensorLoader
from aigc_course.models.pix2pix import PatchGAN, UNet
from aigc_course.recipes import run_recipe
from aigc_course.train import classification_loss
from aigc_course.train.pix2pix import fit_pix2pix

out = Path(sys.argv[1])
run = run_recipe("dcgan-mnist", steps=3, device="cpu", out=out, batch_size=16, progress=False)
rank, world = dist.get_rank(), dist.get_world_size()
weights = {f"{net}.{k}": v for net, m in (("G", run.G), ("D", run.D)) for k, v in m.named_parameters()}
torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
loader = load_dataset("mnist", "train", verbose=False).loader(32, seed=0, drop_last=True, rank=rank, world_size=world)
classifier = fit(model, loader, classification_loss, 5, progress=False, ema_decay=0.5).model
weights |= {f"fit.{k}": v for k, v in classifier.named_parameters()}
torch.manual_seed(0)
x = torch.rand(32, 1, 16, 16) * 2 - 1  # the same tensors on every rank; each rank takes its shard of them
pairs = TensorLoader(fields={"x": x, "y": x.flip(-1)}, batch_size=4, seed=0, rank=rank, world_size=world)
p2p = fit_pix2pix(UNet(1, 1, base=4, depth=2), PatchGAN(2, base=4, n_layers=1), pairs, 3, progress=False)
weights |= {f"p2p.{net}.{k}": v for net, m in (("G", p2p.G), ("D", p2p.D)) for k, v in m.named_parameters()}
torch.save(weights, out / f"rank{rank}_weights.pt")
dist.destroy_process_group()
