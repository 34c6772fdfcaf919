"""Run by tests/test_distributed.py under torchrun: train a recipe on every rank, save each rank's weights."""
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from aigc_course.recipes import run_recipe

out = Path(sys.argv[1])
run = run_recipe("dcgan-mnist", steps=3, device="cpu", out=out, batch_size=16, progress=False)
rank = dist.get_rank()
torch.save({f"{net}.{k}": v for net, m in (("G", run.G), ("D", run.D)) for k, v in m.named_parameters()},
           out / f"rank{rank}_weights.pt")
dist.destroy_process_group()
