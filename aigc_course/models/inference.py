"""Running an image-to-image network over a stack of images: the one helper every restoration chapter scores with."""
from __future__ import annotations

import torch
from torch import nn

from ..runtime import check_int


@torch.no_grad()
def predict(net: nn.Module, inputs: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """``net``'s outputs for ``inputs`` (N, ...), in eval mode (batch norm's running statistics, no dropout), in
    batches of ``batch_size`` on the network's device; float on the CPU, clamped to [0, 1]. The network's mode is
    restored afterwards, so it can be called in the middle of training."""
    batch_size = check_int("batch_size", batch_size)
    was = net.training
    net.eval()
    device = next(net.parameters()).device
    out = torch.cat([net(inputs[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(inputs), batch_size)])
    net.train(was)
    return out.clamp(0, 1)
