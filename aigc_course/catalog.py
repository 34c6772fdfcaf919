"""The course catalogue: the notebook index, Colab badges, and the README chapter table.

``notebooks/index.json`` is the one machine-readable list of chapters (title, what you learn,
quick-mode CPU seconds as last measured, full-mode GPU minutes when measured, whether a GPU is
recommended). The README's chapter table is generated from it::

    python -m aigc_course.catalog --write-readme          # regenerate the table
    python -m aigc_course.catalog --times build/notebook_times.json --write-readme
                                                          # first take the latest measured times
    python -m aigc_course.catalog --tests 02              # chapter 2's tests (``make test CHAPTER=02``)

Each entry also names the unit-test files of its chapter (``tests``); every chapter's local loop
runs those, the exercise checkers, the layout and notebook-hygiene tests, and its notebook.
"""
from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .runtime import REPO_ROOT

INDEX = REPO_ROOT / "notebooks" / "index.json"
README = REPO_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- chapters:start -->", "<!-- chapters:end -->"


def repo_url() -> str:
    """The repository URL, kept in one place: ``[project.urls] Repository`` in pyproject.toml."""
    pyproject = REPO_ROOT / "pyproject.toml"
    if pyproject.exists() and sys.version_info >= (3, 11):
        import tomllib
        return tomllib.loads(pyproject.read_text())["project"]["urls"]["Repository"].rstrip("/")
    for entry in metadata.metadata("aigc-course").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip() == "Repository":
            return url.strip().rstrip("/")
    raise RuntimeError("no Repository URL in the package metadata")


def colab_url(notebook: str) -> str:
    """The Open-in-Colab URL of ``notebooks/<notebook>`` on the main branch."""
    path = repo_url().removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/main/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown for the Open-in-Colab badge of a notebook."""
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(notebook)})")


def load_index() -> list[dict[str, Any]]:
    """The chapter entries of ``notebooks/index.json``, in course order."""
    return json.loads(INDEX.read_text())["notebooks"]


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "not measured"
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"


def readme_table(entries: list[dict[str, Any]] | None = None) -> str:
    """The README chapter table as Markdown."""
    entries = load_index() if entries is None else entries
    lines = ["| chapter | what you learn | quick mode (2-core CPU) | full mode (GPU) | open |",
             "|---|---|---|---|---|"]
    for e in entries:
        full = "not measured yet" if e.get("full_gpu_minutes") is None else f"{e['full_gpu_minutes']} min"
        if e.get("gpu_recommended"):
            full += " (GPU recommended)"
        lines.append(f"| [{e['title']}](notebooks/{e['notebook']}) | {e['learn']} | "
                     f"{_fmt_seconds(e.get('quick_cpu_seconds'))} | {full} | {colab_badge(e['notebook'])} |")
    return "\n".join(lines)


def readme_with_table(text: str, table: str) -> str:
    """``text`` with the part between the chapter-table markers replaced by ``table``."""
    if TABLE_START not in text or TABLE_END not in text:
        raise ValueError(f"README.md lacks the markers {TABLE_START} ... {TABLE_END}")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{table}\n{TABLE_END}{tail}"


def update_times(times_file: Path) -> None:
    """Copy measured quick-mode seconds (``{"00_setup.ipynb": 41.2, ...}``) into the index."""
    times = json.loads(Path(times_file).read_text())
    data = json.loads(INDEX.read_text())
    for e in data["notebooks"]:
        if e["notebook"] in times:
            e["quick_cpu_seconds"] = round(float(times[e["notebook"]]))
    INDEX.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


ALWAYS = ("test_exercises.py", "test_layout.py", "test_notebook_hygiene.py")  # cheap, and about every chapter


def chapter_tests(chapter: str) -> list[str]:
    """The pytest arguments of chapter ``chapter`` (``"02"`` or ``"2"``): its unit tests and its notebook run."""
    entries = {e["notebook"][:2]: e for e in load_index()}
    key = chapter.zfill(2) if chapter.isdigit() else chapter
    if key not in entries:
        raise ValueError(f"CHAPTER={chapter!r} is not allowed; choose one of {', '.join(sorted(entries))}")
    entry = entries[key]
    files = dict.fromkeys([*entry["tests"], *ALWAYS])  # in order, without repeats
    notebook = f"tests/test_notebooks.py::test_notebook_runs_in_quick_mode[{entry['notebook']}]"
    return [f"tests/{f}" for f in files] + [notebook]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aigc_course.catalog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=Path, help="JSON of measured quick-mode seconds per notebook")
    parser.add_argument("--write-readme", action="store_true", help="rewrite the README chapter table")
    parser.add_argument("--tests", metavar="NN", help="print chapter NN's pytest arguments and stop")
    args = parser.parse_args(argv)
    if args.tests:
        try:
            print(" ".join(f"'{a}'" for a in chapter_tests(args.tests)))
        except ValueError as err:
            parser.error(str(err))
        return
    if args.times:
        update_times(args.times)
    if args.write_readme:
        README.write_text(readme_with_table(README.read_text(), readme_table()))
        print(f"updated the chapter table in {README}")
    else:
        print(readme_table())


if __name__ == "__main__":
    main()
