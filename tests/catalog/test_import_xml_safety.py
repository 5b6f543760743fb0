"""An Excel file is a ZIP of XML: a DTD smuggled into it is refused, never expanded (defusedxml)."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from catalog.imports.base import ImportRefused
from catalog.imports.reading import read_table

COLUMNS = {"sku": ("sku",), "title": ("titre",)}


def _workbook_with_a_dtd_in_its_sheet() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["sku", "titre"])
    sheet.append(["A1", "placeholder"])
    plain = io.BytesIO()
    workbook.save(plain)
    tampered = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # openpyxl writes the text inline
                text = content.decode()
                assert "<t>placeholder</t>" in text
                doctype = '<!DOCTYPE worksheet [<!ENTITY x "EXPANDED">]>'
                if text.startswith("<?xml"):
                    declaration, _, rest = text.partition("?>")
                    text = f"{declaration}?>{doctype}{rest}"
                else:
                    text = doctype + text
                content = text.replace("<t>placeholder</t>", "<t>&x;</t>").encode()
            target.writestr(item, content)
    data = tampered.getvalue()
    assert b"&x;" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    return data


def test_the_plain_workbook_reads():
    workbook = Workbook()
    workbook.active.append(["sku", "titre"])
    workbook.active.append(["A1", "Pain"])
    data = io.BytesIO()
    workbook.save(data)

    _columns, rows, _warnings = read_table(data.getvalue(), filename="ok.xlsx", columns=COLUMNS, required=["sku"])

    assert rows == [(2, {"sku": "A1", "title": "Pain"})]


def test_a_workbook_carrying_a_dtd_is_refused_and_its_entity_never_expanded():
    data = _workbook_with_a_dtd_in_its_sheet()

    with pytest.raises(ImportRefused, match="Fichier Excel"):
        read_table(data, filename="piege.xlsx", columns=COLUMNS, required=["sku"])
