"""The package's layers, read from the imports: the library never imports a chapter, a chapter never another.

Layers, bottom to top: the library (``aigc_course`` without ``chapters/``), the chapters
(``aigc_course/chapters/<one module or folder each>``), and the applications on top of both
(the CLI and its recipes, the benchmarks, the notebooks).
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aigc_course"
APPLICATIONS = {"aigc_course.recipes", "aigc_course.__main__"}  # may import chapters, like the notebooks


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved; ``from x import y``
    counts both ``x`` and ``x.y``, since ``y`` may be a submodule)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{alias.name}" for alias in node.names}
    return out


def chapter_of(module: str) -> str | None:
    """``aigc_course.chapters.ch02_dcgan_mnist.x`` → ``ch02_dcgan_mnist``; None outside the chapters."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["aigc_course", "chapters"] else None


FILES = sorted(PACKAGE.rglob("*.py"))


def test_the_layout_has_chapters_and_a_library():
    chapters = {chapter_of(module_name(p)) for p in FILES} - {None}
    assert {"ch00_setup", "ch01_gan_math", "ch02_dcgan_mnist", "ch03_dcgan_cifar10", "ch04_vae",
            "ch05_image_to_image", "ch06_super_resolution", "ch07_inpainting_and_style"} <= chapters


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(PACKAGE)) for p in FILES])
def test_imports_respect_the_layers(path):
    name = module_name(path)
    own = chapter_of(name)
    for imported in imported_modules(path):
        other = chapter_of(imported)
        if other is None:
            continue
        if own is None and name not in APPLICATIONS:
            assert name == "aigc_course.chapters", f"library module {name} imports chapter module {imported}"
        elif own is not None:
            assert other == own, f"chapter {own} ({name}) imports another chapter's module {imported}"


def test_the_checker_catches_a_library_importing_a_chapter(tmp_path, monkeypatch):
    fake = PACKAGE / "train" / "gan.py"
    source = "from ..chapters.ch02_dcgan_mnist import ABLATION\nfrom ..chapters import ch03_dcgan_cifar10\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    found = imported_modules(fake)
    assert "aigc_course.chapters.ch02_dcgan_mnist" in found and "aigc_course.chapters.ch03_dcgan_cifar10" in found
    with pytest.raises(AssertionError, match="library module aigc_course.train.gan imports chapter"):
        test_imports_respect_the_layers(fake)
