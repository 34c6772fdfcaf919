"""A convolutional VAE for 28×28 images with a Bernoulli likelihood (Kingma & Welling 2014).

The encoder maps x to the mean μ and log-variance log σ² of a diagonal Gaussian q(z|x); the
decoder maps z to one *logit* per pixel, the parameter of p(x|z) = Π Bernoulli(x_i; sigmoid(l_i)).
Predicting log σ² (rather than σ or σ²) keeps σ positive without a constraint. The source articles'
"μ = σ² = σ ⊙ σ + μ" is not a VAE encoder: μ and σ are two separate outputs, and a sample is
z = μ + σ ⊙ ε with ε ~ N(0, I) (:meth:`ConvVAE.reparameterize`).
"""
from __future__ import annotations

import torch
from torch import nn


class ConvVAE(nn.Module):
    """x (N, 1, 28, 28) in [0, 1] → (logits of p(x|z), μ, log σ²), with z of size ``latent_dim``.

    Two stride-2 convolutions down to a 7×7 map and back up with two transposed convolutions,
    mirroring the DCGAN generator; ``width`` sets the channel count of the first layer.
    """

    def __init__(self, latent_dim: int = 32, width: int = 32) -> None:
        super().__init__()
        if latent_dim < 1 or width < 1:
            raise ValueError(f"latent_dim={latent_dim!r} and width={width!r} must be positive integers")
        self.latent_dim, self.width = latent_dim, width
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ELU(),            # 28 → 14
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ELU(),        # 14 → 7
            nn.Flatten(), nn.Linear(2 * w * 49, 256), nn.ELU(),
            nn.Linear(256, 2 * latent_dim),                # μ and log σ², side by side
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ELU(),
            nn.Linear(256, 2 * w * 49), nn.ELU(), nn.Unflatten(1, (2 * w, 7, 7)),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ELU(),  # 7 → 14
            nn.ConvTranspose2d(w, 1, 4, 2, 1),               # 14 → 28, logits (no sigmoid: it lives in the loss)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Parameters of q(z|x): μ and log σ², each (N, latent_dim)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of p(x|z), (N, 1, 28, 28); ``torch.sigmoid`` gives pixel means."""
        return self.decoder(z)

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, k: int | None = None) -> torch.Tensor:
        """z = μ + σ ⊙ ε, ε ~ N(0, I): a sample of q(z|x) that is a differentiable function of (μ, σ).

        ``k`` draws k samples per input, shape (k, N, latent_dim); ``None`` draws one, shape (N, latent_dim).
        """
        shape = mu.shape if k is None else (k, *mu.shape)
        return mu + (0.5 * logvar).exp() * torch.randn(shape, dtype=mu.dtype, device=mu.device)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """``n`` pixel-mean images sigmoid(decoder(z)), z ~ N(0, I) seeded by ``seed``, in [0, 1] on the CPU."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)
        return torch.sigmoid(self.decode(z)).float().cpu()
