"""The English catalogue is complete: every French string has a translation and none is a fuzzy guess."""

from __future__ import annotations

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_string_of_the_english_catalogue_is_translated_and_none_is_fuzzy():
    entries = CATALOGUE.read_text(encoding="utf-8").split("\n\n")[1:]  # the first block is the header
    fuzzy = [entry for entry in entries if "#, fuzzy" in entry]
    untranslated = [
        entry
        for entry in entries
        if re.search(r'^msgstr(\[\d\])? ""$', entry, re.MULTILINE)
        and not re.search(r'^msgstr(\[\d\])? ""\n"', entry, re.MULTILINE)
    ]
    assert fuzzy == []
    assert untranslated == []
    assert len(entries) > 1000
