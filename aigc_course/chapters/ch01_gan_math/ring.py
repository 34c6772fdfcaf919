"""The ring-of-8-Gaussians experiment of chapter 1: one objective, one seed, tracked during training.

All objectives share the networks and optimiser settings; only the loss differs (and WGAN-GP's
five critic updates per generator step and its penalty weight). ``benchmarks/ring_modes.py`` runs this code
on 5 seeds at the chapter's quick and full budgets (``aigc_course/tables/ring_modes.json``): WGAN-GP's EMA
generator covered 8/8 modes on every seed. λ = 1 rather than the paper's image setting of 10 (its own toy
code uses 0.1): with λ = 10 the penalty can lock the critic into the wrong orientation (chapter 1, section 8).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch

from ...data.loader import TensorLoader
from ...data.toy import RING_CENTERS, RING_STD, ring_of_gaussians
from ...metrics.modes import mode_stats
from ...models.mlp import MLPDiscriminator, MLPGenerator
from ...runtime import check_choice
from ...train.gan import GANRun, fit_gan, sample
from ...train.history import History

CENTERS = RING_CENTERS
SHARED = {"lr_g": 5e-4, "lr_d": 5e-4, "betas": (0.5, 0.9), "ema_decay": 0.99}
OBJECTIVES = {
    "vanilla": {"objective": "minimax"},
    "nonsaturating": {"objective": "nonsaturating"},
    "wgangp": {"objective": "wgan-gp", "n_critic": 5, "gp_weight": 1.0},
}
NZ, BATCH = 2, 256


@dataclass
class RingRun:
    """Metrics of the EMA generator (``final``, ``track``) and of the raw, last-step generator (``raw_*``).

    ``final`` is measured on 5,000 samples, ``track`` at each snapshot on 2,000; the raw generator is
    what an implementation without EMA would return, the EMA generator the average of recent ones.
    """

    final: dict
    raw_final: dict
    track: list[tuple[int, dict]] = field(default_factory=list)
    raw_track: list[tuple[int, dict]] = field(default_factory=list)
    samples: torch.Tensor | None = None
    raw_samples: torch.Tensor | None = None
    history: History | None = None


def train_ring(name: str, seed: int, steps: int, device: torch.device | str = "cpu", snapshots: int = 15) -> RingRun:
    """Train objective ``name`` (one of :data:`OBJECTIVES`) on the ring for ``steps`` generator steps."""
    check_choice("objective", name, OBJECTIVES)
    points = ring_of_gaussians(100_000, std=RING_STD, seed=seed)
    loader = TensorLoader(points, torch.zeros(len(points)), batch_size=BATCH, device=device, seed=seed, drop_last=True)
    torch.manual_seed(seed)
    G, D = MLPGenerator(nz=NZ), MLPDiscriminator()
    track: list[tuple[int, dict]] = []
    raw_track: list[tuple[int, dict]] = []

    def keep(step: int, history: History, samples: torch.Tensor) -> None:
        track.append((step, mode_stats(samples, CENTERS, RING_STD)))  # fit_gan samples the EMA generator
        raw_track.append((step, mode_stats(sample(G, 2000, seed=seed), CENTERS, RING_STD)))

    run: GANRun = fit_gan(G, D, loader, steps, sample_every=max(1, steps // snapshots), n_samples=2000, seed=seed,
                          progress=False, live=keep, **SHARED, **OBJECTIVES[name])
    samples, raw = run.sample(5000, seed=seed + 100), sample(run.G, 5000, seed=seed + 100)
    return RingRun(final=mode_stats(samples, CENTERS, RING_STD), raw_final=mode_stats(raw, CENTERS, RING_STD),
                   track=track, raw_track=raw_track, samples=samples, raw_samples=raw, history=run.history)


def _one_thread() -> None:
    torch.set_num_threads(1)


def cpu_share() -> int:
    """How many cores this process may use: its torch thread count (1 under a parallel test worker that
    set OMP_NUM_THREADS=1), at most the machine's cores."""
    return max(1, min(torch.get_num_threads(), os.cpu_count() or 1))


def train_all(names: list[str], seeds: list[int], steps: int, workers: int | None = None) -> dict[str, list[RingRun]]:
    """Run :func:`train_ring` for every objective and seed, on ``workers`` CPU processes (default: :func:`cpu_share`).

    These networks are so small that a step costs mostly fixed per-operation overhead, which more
    threads cannot share; separate single-threaded processes can (about 2× on 2 cores). Each run is
    seeded on its own, so the numbers do not depend on ``workers`` beyond floating-point rounding.
    """
    for name in names:
        check_choice("objective", name, OBJECTIVES)
    jobs = [(name, seed) for name in names for seed in seeds]
    workers = cpu_share() if workers is None else workers
    if workers <= 1:
        done = [train_ring(name, seed, steps) for name, seed in jobs]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_one_thread) as pool:
            done = list(pool.map(train_ring, *zip(*jobs), [steps] * len(jobs)))
    return {name: [run for (n, _), run in zip(jobs, done) if n == name] for name in names}
