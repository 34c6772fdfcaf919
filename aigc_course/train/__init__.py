"""The training engine: one GAN loop, one generic loop, and what they share."""
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .gan import GANRun, fit_gan, sample, sample_labels
from .history import History
from .loop import DivergenceError
from .losses import OBJECTIVES, d_loss, g_loss, gradient_penalty
from .supervised import FitRun, classification_loss, fit

__all__ = ["CheckpointError", "DivergenceError", "FitRun", "GANRun", "History", "OBJECTIVES", "classification_loss",
           "d_loss", "fit", "fit_gan", "g_loss", "gradient_penalty", "load_checkpoint", "sample", "sample_labels",
           "save_checkpoint"]
