"""The demo's content is data files that ship with the package (a non-editable install has them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import demo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIRECTORY = Path(demo.__file__).parent


def test_every_demo_data_file_is_declared_as_package_data():
    patterns = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {path for pattern in patterns["demo"] for path in DEMO_DIRECTORY.glob(pattern)}
    data_files = {path for path in (DEMO_DIRECTORY / "data").rglob("*") if path.is_file()}

    assert data_files
    assert sorted(data_files - shipped) == []
