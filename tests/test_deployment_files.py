"""The deployment files stay reproducible: the image's base is pinned, never a floating tag."""

from __future__ import annotations

import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[1] / "infra" / "Dockerfile"
PINNED_BASE = re.compile(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}")


def test_the_image_base_is_pinned_to_a_patch_release_and_a_digest():
    """Every ``FROM`` names a patch release and a digest, not a tag that moves (``python:3.11-slim``)."""
    bases = [line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("FROM ")]

    assert bases
    assert all(PINNED_BASE.fullmatch(base) for base in bases), bases
