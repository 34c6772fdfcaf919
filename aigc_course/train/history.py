"""What a training run remembers: per-step numbers and sample snapshots, small enough to checkpoint."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

# How the GAN loop names D's outputs: probabilities for the cross-entropy objectives, raw critic
# values for hinge and WGAN-GP (which have no probability interpretation).
LABELS = {"d_real": ("D(x)", "critic(x)"), "d_fake": ("D(G(z))", "critic(G(z))")}


@dataclass
class History:
    """Per-step scalars (``values[key][i]`` belongs to ``steps[i]``) and image snapshots.

    ``critic=True`` marks GAN runs whose ``d_real``/``d_fake`` are critic values, not probabilities.
    """

    steps: list[int] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list[torch.Tensor] = field(default_factory=list)
    critic: bool = False

    def extend(self, steps: list[int], values: dict[str, list[float]]) -> None:
        """Append read-back numbers for ``steps``."""
        self.steps.extend(steps)
        for k, v in values.items():
            self.values.setdefault(k, []).extend(v)

    def __getitem__(self, key: str) -> list[float]:
        return self.values[key]

    def state_dict(self) -> dict[str, Any]:
        return {"steps": list(self.steps), "values": {k: list(v) for k, v in self.values.items()},
                "snapshot_steps": list(self.snapshot_steps), "snapshots": list(self.snapshots),
                "critic": self.critic}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> History:
        return cls(**state)

    def plot(self, smooth: int = 25):
        """Loss curves (and, for GANs, D's outputs on real and generated images), smoothed over ``smooth`` steps."""
        import matplotlib.pyplot as plt
        import numpy as np

        def smoothed(v: list[float]) -> np.ndarray:
            k = max(1, min(smooth, len(v)))
            return np.convolve(v, np.ones(k) / k, mode="valid")

        gan = "d_real" in self.values
        fig, axes = plt.subplots(1, 2 if gan else 1, figsize=(11 if gan else 6, 3.5), squeeze=False)
        losses = [k for k in self.values if k.startswith("loss")]
        groups = [(axes[0, 0], losses, "loss", "losses")]
        if gan:
            groups.append((axes[0, 1], ["d_real", "d_fake"], "critic value" if self.critic else "probability",
                           "discriminator outputs"))
        for ax, keys, ylabel, title in groups:
            for k in keys:
                v = smoothed(self.values[k])
                label = LABELS[k][self.critic] if k in LABELS else k
                ax.plot(self.steps[len(self.steps) - len(v):], v, label=label)
            ax.set(title=f"{title} (mean over {smooth} steps)", xlabel="step", ylabel=ylabel)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        return fig
