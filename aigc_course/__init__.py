"""AIGC Course: the helper package every notebook imports.

Data flows one way: :mod:`.data` → models → training → metrics and :mod:`.viz`; notebooks sit on top.
"""
from .results import load_results, record_results
from .runtime import (
    RunConfig,
    build_dir,
    check_choice,
    check_float,
    check_int,
    device,
    figures_dir,
    hardware,
    package_versions,
    seed_everything,
    setup,
)
from .train import fit, fit_gan

__version__ = "0.1.0"
__all__ = ["RunConfig", "build_dir", "check_choice", "check_float", "check_int", "device", "figures_dir", "fit",
           "fit_gan", "hardware", "load_results", "package_versions", "record_results", "seed_everything", "setup"]
