"""Trained weights that ship with the course, each beside its provenance record.

Where a chapter's model cannot reach a real result in its quick budget, the notebook trains it live
for that budget *and* loads weights trained by the repo's own command::

    python -m aigc_course train ddpm-mnist --out runs/ddpm-mnist      # writes provenance.json beside the checkpoint
    python -m aigc_course export ddpm-mnist --run runs/ddpm-mnist     # copies the weights into the package

(``make weights`` runs both.) The export writes ``aigc_course/weights/<name>.pt`` (the network's state
dict and the configuration that rebuilds it, nothing else) and ``<name>.json``: the command, commit,
steps, seed, hardware and training time of the run, and the ``.pt`` file's sha256. :func:`load_weights`
checks the sha256 before reading, so a changed or truncated file is reported, never half-loaded.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from .runtime import write_json
from .train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

WEIGHTS_DIR = Path(__file__).parent / "weights"
FORMAT = "aigc-weights-v1"


def sha256(path: str | Path) -> str:
    """The file's SHA-256, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_weights(name: str, state_dict: dict[str, torch.Tensor], config: dict[str, Any],
                   provenance: dict[str, Any], folder: str | Path = WEIGHTS_DIR) -> tuple[Path, Path]:
    """Write ``<name>.pt`` (weights + config) and ``<name>.json`` (provenance + sha256) into ``folder``, atomically."""
    folder = Path(folder)
    pt = save_checkpoint({"format": FORMAT, "name": name, "config": config,
                          "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()}}, folder / f"{name}.pt")
    record = {"name": name, "file": pt.name, "sha256": sha256(pt), "bytes": pt.stat().st_size,
              "parameters": sum(v.numel() for v in state_dict.values() if v.is_floating_point()),
              "config": config, **provenance}
    return pt, write_json(folder / f"{name}.json", record)


def read_record(name: str, folder: str | Path = WEIGHTS_DIR) -> dict[str, Any]:
    """The provenance record of shipped weights ``name`` (``FileNotFoundError`` naming what ships, if absent)."""
    path = Path(folder) / f"{name}.json"
    if not path.exists():
        shipped = sorted(p.stem for p in Path(folder).glob("*.json"))
        raise FileNotFoundError(f"no shipped weights named {name!r} in {folder}; shipped: {shipped or 'none'}")
    return json.loads(path.read_text())


def load_weights(name: str, folder: str | Path = WEIGHTS_DIR) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state dict, record) of shipped weights ``name``, after checking the file's sha256 against its record."""
    record = read_record(name, folder)
    pt = Path(folder) / record["file"]
    if not pt.exists():
        raise CheckpointError(f"shipped weights {pt} are missing; their record {name}.json names them")
    actual = sha256(pt)
    if actual != record["sha256"]:
        raise CheckpointError(f"shipped weights {pt} have sha256 {actual[:12]}…, their record says "
                              f"{record['sha256'][:12]}…: the file changed or is corrupt; re-export it "
                              f"(python -m aigc_course export {name} --run DIR) or restore it from git")
    state = load_checkpoint(pt, required=("format", "config", "state_dict"))
    if state["format"] != FORMAT:
        raise CheckpointError(f"{pt} has format {state['format']!r}, expected {FORMAT!r}")
    return state["state_dict"], record
