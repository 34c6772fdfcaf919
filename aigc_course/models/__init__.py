"""Models the chapters teach, one module per family."""
from .dcgan import Discriminator, Generator

__all__ = ["Discriminator", "Generator"]
