"""The project's documentation is where the code says it is: every ``docs/<file>.md §N`` cited anywhere in
the repository (code, templates, tests, configuration, README) names a document of ``docs/`` and a section it
has, and nothing cites design notes kept outside the repository."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Not the project's text: tools' caches, installed packages, generated or runtime files, translations.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        ".import_linter_cache",
        ".hypothesis",
        ".pgdata",
        "media",
        "private-media",
        "staticfiles",
        "locale",
        "build",
        "artifacts",
        "results",
        "node_modules",
    }
)
LARGEST_TEXT_BYTES = 2_000_000

SECTION_HEADING = re.compile(r"^## (\d+)\. ", re.MULTILINE)
CITATION = re.compile(r"docs/([\w-]+\.md)((?:\s*(?:,|;|and)?\s*§\s?\d+(?:\s*[–-]\s*\d+)?)*)")
SECTION = re.compile(r"§\s?(\d+)(?:\s*[–-]\s*(\d+))?")
SCENARIO_CITATION = re.compile(r"docs/money\.md[^\n]*?§12,?\s+scenarios?\s+(\d+(?:\s*(?:,|–|-|/|and)\s*\d+)*)")
TEST_PLAN_ID = re.compile(r"\bT-(ISO|SEC|BIZ|REL|A11Y|PRIV|LEGAL|PERF)-(\d{2})((?:/\d{2})*)")
# Design notes that lived beside the repository, never in it.
# Design notes only: the public benchmark data beside the repository (../shared/benchmarks, read by
# bench/routing.py) is data, not a note the code would lean on.
OUTSIDE_NOTES = re.compile(
    r"DESIGN\.md|(?<!docs/)\b(?:money|tenancy|test-plan)\.md|reference/[\w-]+\.md|\.\./shared\b(?!/benchmarks\b)"
)


def _project_files() -> Iterator[Path]:
    this_file = Path(__file__).resolve()
    for directory, subdirectories, files in os.walk(ROOT):
        # Pruned in place: os.walk then never enters the virtualenv or the caches.
        subdirectories[:] = sorted(
            name for name in subdirectories if name not in SKIPPED_DIRS and not name.endswith(".egg-info")
        )
        for name in sorted(files):
            path = Path(directory) / name
            if path != this_file and path.is_file() and path.stat().st_size <= LARGEST_TEXT_BYTES:
                yield path


@cache
def _project_texts() -> dict[str, str]:
    texts = {}
    for path in _project_files():
        try:
            texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # pictures, PDFs, spreadsheets among the fixtures
            continue
    return texts


def _sections(document: str) -> set[int]:
    return {int(number) for number in SECTION_HEADING.findall((DOCS / document).read_text(encoding="utf-8"))}


def _section_text(document: str, number: int) -> str:
    text = (DOCS / document).read_text(encoding="utf-8")
    start = re.search(rf"^## {number}\. ", text, re.MULTILINE)
    assert start is not None, f"docs/{document} has no section {number}"
    end = SECTION_HEADING.search(text, start.end())
    return text[start.start() : end.start() if end else len(text)]


def _numbers(listed: str) -> list[int]:
    """``27, 28 and 32`` → [27, 28, 32]; ``30–31`` → [30, 31]; ``18/39`` → [18, 39]."""
    numbers: list[int] = []
    for first, last in re.findall(r"(\d+)(?:\s*[–-]\s*(\d+))?", listed):
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def test_the_documents_number_their_sections_from_one_without_gaps():
    for document in ("architecture.md", "money.md"):
        sections = _sections(document)
        assert sections == set(range(1, len(sections) + 1)), document
    assert len(_sections("architecture.md")) == 10


def test_every_docs_citation_names_an_existing_document_and_section():
    citations = 0
    problems = []
    for name, text in _project_texts().items():
        for match in CITATION.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            document = match[1]
            if not (DOCS / document).is_file():
                problems.append(f"{name}:{line}: docs/{document} does not exist")
                continue
            for first, last in SECTION.findall(match[2]):
                citations += 1
                missing = set(range(int(first), int(last or first) + 1)) - _sections(document)
                if missing:
                    problems.append(f"{name}:{line}: docs/{document} has no section {sorted(missing)}")
    assert problems == []
    # The code cites the documents: an empty count would mean the pattern no longer finds them.
    assert citations > 40


def test_every_cited_payment_scenario_is_in_the_list():
    listed = {int(number) for number in re.findall(r"^(\d+)\. ", _section_text("money.md", 12), re.MULTILINE)}
    assert listed == set(range(1, 45))
    problems = []
    for name, text in _project_texts().items():
        for match in SCENARIO_CITATION.finditer(text):
            unknown = [number for number in _numbers(match[1]) if number not in listed]
            if unknown:
                problems.append(f"{name}: scenario(s) {unknown} are not in docs/money.md §12")
    assert problems == []


def test_nothing_cites_design_notes_kept_outside_the_repository():
    problems = [
        f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {match[0]}"
        for name, text in _project_texts().items()
        for match in OUTSIDE_NOTES.finditer(text)
        if not name.startswith("docs/")
    ]
    assert problems == []


def test_every_test_plan_id_cited_is_listed_in_the_architecture_page():
    listed = set(TEST_PLAN_ID.findall(_section_text("architecture.md", 6)))
    listed_ids = {f"T-{area}-{number}" for area, number, _more in listed}
    problems = []
    for name, text in _project_texts().items():
        if name.startswith("docs/"):
            continue
        for area, number, more in TEST_PLAN_ID.findall(text):
            for each in [number, *more.split("/")[1:]]:
                if f"T-{area}-{each}" not in listed_ids:
                    problems.append(f"{name}: T-{area}-{each} is not listed in docs/architecture.md §6")
    assert problems == []
