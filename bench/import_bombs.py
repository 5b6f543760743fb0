"""Benchmark: how long hostile import files take to be refused (issue 9, "spreadsheet bomb").

Run:  .venv/bin/python bench/import_bombs.py [--repeat 3]

No database: it times ``read_table``, the step every import (dry run included) starts with, on files
built in memory. The reported ones: the 1.6 KB xlsx declaring A1:XFD1048576 with one cell on its
last row, 19 MB of blank lines, a CSV header of 9.5 million columns, an xlsx whose sheet inflates to
1 GiB; then other shapes of the same attack (column widths, shared strings, styles); then a sheet
packed with small cells up to the element limit, and for reference the largest legitimate files
(50,000 products as CSV and as xlsx). It prints each file's size, the median time to the refusal
(or to the rows), the outcome and whether it met its target: hostile files under a second, the
packed sheet no slower than twice the legitimate xlsx.
Before the fix the first file took over an hour, the CSV ones 19 s and 27 s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MIB = 1024 * 1024
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>titre</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>prix</t></is></c></row>'
)


def workbook(sheet: Iterable[bytes], parts: dict[str, Iterable[bytes]] | None = None) -> bytes:
    """The smallest workbook openpyxl and Excel open; its sheet's XML and any extra part written
    piece by piece, so a 1 GiB part never sits in memory."""
    parts = parts or {}
    small_parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if "xl/sharedStrings.xml" in parts
                else ""
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
            '<sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in small_parts.items():
            archive.writestr(name, text)
        for name, pieces in {"xl/worksheets/sheet1.xml": sheet, **parts}.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for piece in pieces:
                    member.write(piece)
    return buffer.getvalue()


def sheet(
    rows: str = HEADER_ROW, *, before_rows: Iterable[bytes] = (), inside_rows: Iterable[bytes] = ()
) -> Iterator[bytes]:
    yield f'<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/>'.encode()
    yield from before_rows
    yield f"<sheetData>{rows}".encode()
    yield from inside_rows
    yield b"</sheetData></worksheet>"


def repeated(unit: bytes, mib: int, *, opening: bytes = b"", closing: bytes = b"") -> Iterator[bytes]:
    yield opening
    chunk = unit * (MIB // len(unit))
    for _ in range(mib):
        yield chunk
    yield closing


def packed_rows(mib: int) -> Iterator[bytes]:
    """Rows of 200 one-digit cells, each within the row and column limits, filling ``mib`` MiB."""
    cells = "<c><v>1</v></c>" * 200
    written, number = 0, 2
    while written < mib * MIB:
        row = f'<row r="{number}">{cells}</row>'.encode()
        yield row
        written, number = written + len(row), number + 1


def legitimate_csv(rows: int = 50_000) -> bytes:
    lines = ["sku;titre;description;categorie;prix;tva;unite;stock;ean;publie;ref_produit;declinaison;images"]
    lines += [
        f"S{n};Savon {n};Savon doux au lait d'ânesse n°{n};Maison > Hygiène;3,50;20;piece;5;{3760000000000 + n};"
        f"oui;P{n // 3};taille {n % 3};img{n}.jpg"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def legitimate_xlsx(rows: int = 50_000) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for line in legitimate_csv(rows).decode().splitlines():
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


LEGITIMATE_XLSX = "reference: legitimate xlsx, 50,000 products x 13 columns"
TWICE_LEGITIMATE = -2.0  # target: twice the time of the legitimate xlsx


def cases() -> list[tuple[str, str, bytes, float | None]]:
    """(what, file name, content, target in seconds, None for a reference)."""
    bomb_row = '<row r="1048576"><c r="{}1048576"><v>1</v></c></row>'
    legitimate = legitimate_xlsx()
    return [
        (
            "xlsx, <dimension> A1:XFD1048576, one cell at XFD1048576",
            "b.xlsx",
            workbook(sheet(HEADER_ROW + bomb_row.format("XFD"))),
            1,
        ),
        ("xlsx, same, the cell at A1048576", "b.xlsx", workbook(sheet(HEADER_ROW + bomb_row.format("A"))), 1),
        (
            "xlsx, one cell at XFD2 (column 16,384)",
            "b.xlsx",
            workbook(sheet(HEADER_ROW + '<row r="2"><c r="XFD2"><v>1</v></c></row>')),
            1,
        ),
        ("csv, header then 19 MB of blank lines", "v.csv", b"sku;titre;prix\n" + b"\n" * 19_000_000, 1),
        ("csv, 19 MB of blank lines, no header", "v.csv", b"\r\n" * 9_500_000, 1),
        ("csv, header of 9.5 million columns", "c.csv", b"sku" + b";" * 9_500_000 + b"\n", 1),
        (
            "xlsx, its sheet inflating to 1 GiB (zip bomb)",
            "z.xlsx",
            workbook(sheet(inside_rows=repeated(b" ", 1024))),
            1,
        ),
        (
            "xlsx, 95 MiB of column widths before the rows",
            "w.xlsx",
            workbook(
                sheet(
                    before_rows=repeated(b'<col min="1" max="1" width="9"/>', 95, opening=b"<cols>", closing=b"</cols>")
                )
            ),
            1,
        ),
        (
            "xlsx, 95 MiB of shared strings (7 million)",
            "s.xlsx",
            workbook(
                sheet(),
                {
                    "xl/sharedStrings.xml": repeated(
                        b"<si><t>x</t></si>", 95, opening=f'<sst xmlns="{MAIN}">'.encode(), closing=b"</sst>"
                    )
                },
            ),
            1,
        ),
        (
            "xlsx, 95 MiB of cell formats in styles.xml",
            "f.xlsx",
            workbook(
                sheet(),
                {
                    "xl/styles.xml": repeated(
                        b'<xf numFmtId="0"/>',
                        95,
                        opening=f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode(),
                        closing=b"</cellXfs></styleSheet>",
                    )
                },
            ),
            1,
        ),
        ("reference: legitimate csv, 50,000 products x 13 columns", "l.csv", legitimate_csv(), None),
        (LEGITIMATE_XLSX, "l.xlsx", legitimate, None),
        # Within every row and column limit: only the sheet's element limit stops it.
        (
            "xlsx, 95 MiB of rows of 200 small cells",
            "p.xlsx",
            workbook(sheet(inside_rows=packed_rows(95))),
            TWICE_LEGITIMATE,
        ),
    ]


def timed(data: bytes, filename: str, repeat: int) -> tuple[float, str]:
    from catalog.imports import PRODUCT_COLUMNS, PRODUCT_REQUIRED, ImportRefused, read_table

    timings, outcome = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            _columns, rows, _warnings = read_table(
                data, filename=filename, columns=PRODUCT_COLUMNS, required=PRODUCT_REQUIRED
            )
            outcome = f"accepted, {len(rows):,} rows"
        except ImportRefused as refusal:
            outcome = f"refused: {refusal}"
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file; the median is printed")
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.utils import translation

    translation.activate("fr")
    print(f"{'file':<58} {'size':>11} {'median':>8}  target  outcome")
    results = {}
    for label, filename, data, target in cases():
        seconds, outcome = timed(data, filename, options.repeat)
        results[label] = seconds
        if target == TWICE_LEGITIMATE:
            target = 2 * results[LEGITIMATE_XLSX]
        verdict = "" if target is None else ("PASS" if seconds < target else "FAIL")
        print(f"{label:<58} {len(data):>11,} {seconds:>7.3f}s  {verdict:<6}  {outcome}")


if __name__ == "__main__":
    main()
