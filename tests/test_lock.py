"""`make install` installs requirements/lock.txt, not pyproject.toml: the lock must pin every dependency
pyproject.toml names (dev extras included), at a version pyproject allows, and everything those need in
turn. A dependency added to pyproject.toml without `make lock` fails here instead of going uninstalled."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def _pins_for_this_python() -> dict[str, str]:
    """{package: version} of the lock's lines whose marker holds here ("numpy==2.4.6 ; python_full_version < '3.12'")."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if not line or line[0].isspace() or line.startswith("#"):
            continue
        requirement = Requirement(line.rstrip(" \\"))
        if requirement.marker is None or requirement.marker.evaluate():
            (version,) = (specifier.version for specifier in requirement.specifier if specifier.operator == "==")
            pins[canonicalize_name(requirement.name)] = version
    return pins


def _applies(requirement: Requirement, extra: str) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"extra": extra})


def test_the_lock_pins_every_dependency_of_pyproject_at_an_allowed_version():
    pins = _pins_for_this_python()

    unpinned_or_refused = [
        f"{requirement} (locked: {pins.get(canonicalize_name(requirement.name))})"
        for requirement in _project_requirements()
        if _applies(requirement, "")
        and (
            canonicalize_name(requirement.name) not in pins
            or not requirement.specifier.contains(pins[canonicalize_name(requirement.name)], prereleases=True)
        )
    ]

    assert unpinned_or_refused == [], "run `make lock`"


def test_the_lock_pins_what_the_dependencies_need_and_the_venv_has_those_versions():
    pins = _pins_for_this_python()
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    pending = [(requirement, "") for requirement in _project_requirements() if _applies(requirement, "")]
    while pending:
        requirement, _needed_by = pending.pop()
        name = canonicalize_name(requirement.name)
        for extra in ["", *sorted(requirement.extras)]:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            if name not in pins:
                problems.append(f"{requirement} is not in the lock")
                continue
            if not requirement.specifier.contains(pins[name], prereleases=True):
                problems.append(f"{requirement} refuses the locked {pins[name]}")
            installed = metadata.version(name)
            if installed != pins[name]:
                problems.append(f"{name} {installed} installed, {pins[name]} locked")
            for line in metadata.requires(name) or []:
                dependency = Requirement(line)
                if _applies(dependency, extra):
                    pending.append((dependency, name))

    assert len(seen) > 100  # the walk went through the whole tree
    assert problems == [], "run `make lock`, then `make install`"
