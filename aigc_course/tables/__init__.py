"""The committed benchmark tables, shipped inside the package so a notebook can show them anywhere.

``benchmarks/*.py --save`` writes each table here (with the hardware and date it was measured on);
a notebook reads one with :func:`load`, in a checkout, from ``pip install`` and on Colab alike.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLES = Path(__file__).resolve().parent


def names() -> list[str]:
    """The tables that ship, by name (the file name without ``.json``)."""
    return sorted(p.stem for p in TABLES.glob("*.json"))


def path(name: str) -> Path:
    """Where table ``name`` lives."""
    return TABLES / f"{name}.json"


def load(name: str) -> dict[str, Any]:
    """Table ``name`` as written by its benchmark; a clear error naming the tables that exist otherwise."""
    if name not in names():
        raise FileNotFoundError(f"no benchmark table {name!r} in {TABLES}; the shipped tables are "
                                f"{', '.join(names())}. Run the benchmark in benchmarks/ with --save to make it.")
    return json.loads(path(name).read_text())
