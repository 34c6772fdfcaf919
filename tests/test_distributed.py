"""The same loops under torchrun: 2 CPU processes (gloo), DistributedDataParallel, identical weights at the end."""
import os
import subprocess
import sys
from pathlib import Path

import torch

from aigc_course.recipes import RECIPES


def test_torchrun_two_processes_end_with_identical_weights(tmp_path):
    env = {**os.environ, "AIGC_OFFLINE": "1", "DATA_DIR": str(tmp_path / "no-data"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port=29517",
           str(Path(__file__).with_name("ddp_worker.py")), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    w0 = torch.load(tmp_path / "rank0_weights.pt", weights_only=True)
    w1 = torch.load(tmp_path / "rank1_weights.pt", weights_only=True)
    assert w0.keys() == w1.keys() and all(torch.equal(w0[k], w1[k]) for k in w0)
    torch.manual_seed(0)  # the recipe's initial weights: training must have moved them
    G0, _ = RECIPES["dcgan-mnist"].build()
    assert not torch.equal(w0["G.net.0.weight"], G0.net[0].weight)
    torch.manual_seed(0)  # fit under DDP too: both ranks end equal, and trained
    assert not torch.equal(w0["fit.1.weight"], torch.nn.Linear(784, 10).weight)
    assert any(k.startswith("p2p.D.") for k in w0)  # pix2pix's G and D are all-reduced too (checked equal above)
    # rank 0 alone logs and writes the checkpoint and the sample grid
    assert (tmp_path / "checkpoint.pt").exists() and (tmp_path / "samples.png").exists()
    assert proc.stdout.count("[train] checkpoint:") == 1
