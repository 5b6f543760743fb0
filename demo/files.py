"""Reading the demo's data files (``demo/data/``), shipped as package data."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from importlib.resources import files
from typing import Any

DATA = files("demo") / "data"


def read_toml(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))


def read_csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((DATA / name).read_text(encoding="utf-8"))))


def read_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))
