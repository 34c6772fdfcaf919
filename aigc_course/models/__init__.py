"""Models the chapters teach, one module per family."""
from .dcgan import Discriminator, Generator
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = ["Discriminator", "Generator", "MLPDiscriminator", "MLPGenerator"]
