"""Committed notebooks: no outputs, the standard opening, in sync with their .py twin, listed in the index."""
import re

import jupytext
import nbformat
import pytest

from aigc_course import catalog
from aigc_course.course import notebooks
from aigc_course.runtime import REPO_ROOT as ROOT

NOTEBOOK_PATHS = notebooks()
IDS = [p.name for p in NOTEBOOK_PATHS]


def test_there_are_notebooks():
    assert "00_setup.ipynb" in IDS


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_no_outputs_or_execution_counts(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear outputs before committing"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_standard_opening(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "starts with a title"
    assert catalog.colab_badge(path.name) in first.source, "Colab badge generated from pyproject's URL"
    assert "What you will learn" in first.source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and nb.cells.index(params[0]) == 1, "the cell after the title is tagged parameters"
    for name in ("QUICK", "SEED", "DEVICE", "DATA_DIR"):
        assert re.search(rf"^{name} = ", params[0].source, re.M), f"parameters cell sets {name}"
    setup = nb.cells[2].source
    assert '"google.colab" in sys.modules' in setup and catalog.repo_url() in setup, "Colab set-up cell"
    assert any(c.source.startswith("## References") for c in nb.cells if c.cell_type == "markdown")
    assert any("Exercise" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_jupytext_pair_in_sync(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{twin.name} (jupytext percent format) is missing"
    a, b = jupytext.read(path), jupytext.read(twin)
    assert [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells], \
        f"{path.name} and {twin.name} differ: run `jupytext --sync {twin}`"
    assert [c.metadata.get("tags") for c in a.cells] == [c.metadata.get("tags") for c in b.cells]


def test_index_lists_exactly_the_notebooks():
    entries = catalog.load_index()
    assert [e["notebook"] for e in entries] == IDS
    for e in entries:
        assert e["title"] and e["learn"] and isinstance(e["gpu_recommended"], bool)
        assert e["quick_cpu_seconds"] is None or e["quick_cpu_seconds"] > 0


def test_every_chapter_names_its_unit_tests_and_the_local_loop_runs_them():
    for e in catalog.load_index():
        assert e["tests"] and all((ROOT / "tests" / f).exists() for f in e["tests"]), e["notebook"]
        args = catalog.chapter_tests(e["notebook"][:2])
        assert args[-1].endswith(f"[{e['notebook']}]") and all(f"tests/{f}" in args for f in e["tests"])
    with pytest.raises(ValueError, match="CHAPTER='99' is not allowed; choose one of 00, 01"):
        catalog.chapter_tests("99")


def test_readme_table_is_generated_from_index():
    text = catalog.README.read_text()
    assert catalog.readme_with_table(text, catalog.readme_table()) == text, \
        "README chapter table is stale: run `make readme`"


def test_readme_links_point_at_existing_files():
    text = catalog.README.read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if target.startswith("http"):
            if "colab.research.google.com/github" in target:
                rel = target.split("/blob/main/", 1)[1]
                assert (catalog.REPO_ROOT / rel).exists(), target
            continue
        assert (catalog.REPO_ROOT / target).exists(), f"README links to missing {target}"


def test_colab_url_comes_from_pyproject():
    assert catalog.repo_url() == "https://github.com/aigc-course/aigc-course"
    assert catalog.colab_url("00_setup.ipynb") == (
        "https://colab.research.google.com/github/aigc-course/aigc-course/blob/main/notebooks/00_setup.ipynb")


def test_readme_with_table_requires_markers():
    with pytest.raises(ValueError, match="markers"):
        catalog.readme_with_table("no markers", "table")
