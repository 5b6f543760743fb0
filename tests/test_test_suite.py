"""How the suite is laid out and split: each module is named for the behaviour it pins, `make test-fast`
leaves out markers that exist, and every test that drives Chromium says so."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
# Words that name what found a case rather than the behaviour it pins.
FOUND_BY = frozenset({"review", "reviews", "attack", "attacks", "bug", "bugs", "regression", "regressions"})


def test_no_test_module_is_named_after_what_found_its_cases():
    """A case found by a review or a bug report goes into the module of the behaviour it pins."""
    named_after_finding = [
        str(path.relative_to(TESTS)) for path in TESTS.rglob("test_*.py") if FOUND_BY & set(path.stem.split("_"))
    ]

    assert named_after_finding == []


def test_make_test_fast_leaves_out_registered_markers_only(pytestconfig: pytest.Config):
    """`-m "not slow"` naming a marker nobody registered (a typo) would silently select every test."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None
    expression = re.search(r'pytest\b.* -m "([^"]+)"', recipe.group(1))
    assert expression is not None
    named = set(re.findall(r"\w+", expression.group(1))) - {"not", "and", "or"}
    registered = {line.split(":")[0].strip() for line in pytestconfig.getini("markers")}

    assert named == {"slow", "browser"}
    assert named <= registered


def _marks(decorators: list[ast.expr]) -> set[str]:
    """Names of the ``pytest.mark.<name>`` among decorators (or a ``pytestmark`` value)."""
    names = set()
    for decorator in decorators:
        node = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "pytest.mark":
            names.add(node.attr)
    return names


def test_every_test_that_drives_chromium_is_marked_browser():
    """The Chromium fixtures live in tests/browser/: a test there without the mark would make
    `make test-fast` (and `-m "not browser"` anywhere) need Chromium."""
    unmarked = []
    for path in sorted((TESTS / "browser").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        module_marks: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
            ):
                value = node.value
                module_marks |= _marks(value.elts if isinstance(value, ast.List | ast.Tuple) else [value])
        unmarked += [
            f"{path.name}::{node.name}"
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            and node.name.startswith("test_")
            and "browser" not in module_marks | _marks(node.decorator_list)
        ]

    assert unmarked == []
