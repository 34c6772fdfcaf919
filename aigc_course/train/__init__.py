"""The training engine: one skeleton (:mod:`.engine`) under a GAN loop and a single-loss loop.

``fit_gan`` and ``fit`` are the two loops every chapter calls so far; a new kind of model
(paired images, masks, frames, diffusion) trains through :func:`train` with a :class:`Task` of its own.
"""
from .checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint, save_checkpoint
from .engine import EMA, Context, Task, Trained, train
from .gan import GANRun, GANTask, fit_gan, sample, sample_labels
from .history import History
from .loop import DivergenceError
from .losses import OBJECTIVES, d_loss, g_loss, gradient_penalty
from .supervised import FitRun, LossTask, classification_loss, fit, l1_loss, mse_loss

__all__ = ["CHECKPOINT_NAME", "EMA", "CheckpointError", "Context", "DivergenceError", "FitRun", "GANRun", "GANTask",
           "History", "LossTask", "OBJECTIVES", "Task", "Trained", "classification_loss", "d_loss", "fit", "fit_gan",
           "g_loss", "gradient_penalty", "l1_loss", "load_checkpoint", "mse_loss", "sample", "sample_labels",
           "save_checkpoint", "train"]
