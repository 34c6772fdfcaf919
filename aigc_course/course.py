"""Execute the course notebooks: ``python -m aigc_course.course [--mode quick|full]`` (``make course``).

Each notebook runs with papermill into ``build/notebooks/`` and is exported to ``build/html/``. The
tests call :func:`execute_notebook` too, so CI and a teacher's build run notebooks the same way.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from .runtime import REPO_ROOT, check_choice, write_json

NOTEBOOKS = REPO_ROOT / "notebooks"
BUILD = REPO_ROOT / "build"
TIMES = BUILD / "notebook_times.json"
CELL_TIMEOUT_S = 600  # a hung cell fails the run instead of stalling it
KERNEL = "python3"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def notebooks() -> list[Path]:
    """The course notebooks, in chapter order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path: Path, mode: str = "quick", out_dir: Path = BUILD / "notebooks") -> float:
    """Run one notebook top to bottom with papermill in ``mode``; return its wall time in seconds.

    Also records the time in ``build/notebook_times.json`` (quick mode), from which the README's
    chapter table takes its measured times.
    """
    import papermill

    check_choice("mode", mode, ("quick", "full"))
    params: dict[str, object] = {"QUICK": mode == "quick"}
    if os.environ.get("DATA_DIR"):
        params["DATA_DIR"] = os.environ["DATA_DIR"]
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # The kernel inherits this environment: a headless MPLBACKEND (e.g. Agg) would make every
    # plt.show() draw nothing into the notebook, so the inline backend is set for its run.
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    try:
        papermill.execute_notebook(str(path), str(out_dir / path.name), parameters=params, kernel_name=KERNEL,
                                   cwd=str(path.parent), execution_timeout=CELL_TIMEOUT_S, progress_bar=False)
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND")
        else:
            os.environ["MPLBACKEND"] = saved
    seconds = time.perf_counter() - start
    if mode == "quick":
        record_time(path.name, seconds)
    return seconds


def record_time(name: str, seconds: float, times_file: Path = TIMES) -> None:
    """Add one notebook's quick-mode seconds to ``times_file``, under a lock: parallel test workers each
    record their own notebooks into the same file, and none may lose another's entry."""
    import fcntl

    times_file.parent.mkdir(parents=True, exist_ok=True)
    with open(times_file.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        times = json.loads(times_file.read_text()) if times_file.exists() else {}
        times[name] = round(seconds, 1)
        write_json(times_file, dict(sorted(times.items())))


def export_html(executed: Path, out_dir: Path = BUILD / "html") -> Path:
    """Export an executed notebook to HTML."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(executed))
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / executed.with_suffix(".html").name
    out.write_text(body, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aigc_course.course", description=__doc__)
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    args = parser.parse_args(argv)
    for nb in notebooks():
        seconds = execute_notebook(nb, args.mode)
        html = export_html(BUILD / "notebooks" / nb.name)
        print(f"{nb.name}: {seconds:.0f} s ({args.mode}) -> {html}")


if __name__ == "__main__":
    main()
