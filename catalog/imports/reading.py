"""Reading CSV and Excel files: size and row limits, encodings, delimiter sniffing, xlsx cells.

``MAX_FILE_BYTES`` and ``MAX_ROWS`` are read from the ``catalog.imports`` package at call time, so
setting ``catalog.imports.MAX_ROWS`` (as the tests do) still takes effect here."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from catalog import imports as package
from catalog.imports.base import FORMULA_STARTS, ImportRefused, column_key

# --- reading CSV and Excel files ---------------------------------------------------------------
Row = tuple[int, dict[str, str]]


def read_table(
    data: bytes, *, filename: str, columns: dict[str, tuple[str, ...]], required: Iterable[str]
) -> tuple[set[str], list[Row], list[str]]:
    """Rows as (line number in the file, canonical column → text), the columns present, warnings."""
    if len(data) > package.MAX_FILE_BYTES:
        raise ImportRefused(
            _("Le fichier dépasse %(size)s Mo : découpez-le en plusieurs fichiers.")
            % {"size": package.MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(data)
    else:
        records = _csv_records(_decode(data))
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    rows: list[Row] = []
    found_warnings: list[str] = []
    aliases = {alias: name for name, spellings in columns.items() for alias in spellings}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = cells
            for index, title in enumerate(cells):
                name = aliases.get(column_key(title))
                if name is None:
                    if title.strip():
                        found_warnings.append(_("Colonne « %(title)s » ignorée.") % {"title": title.strip()})
                    continue
                if name in mapping.values():
                    raise ImportRefused(_("La colonne « %(name)s » apparaît deux fois.") % {"name": name})
                mapping[index] = name
            missing = [name for name in required if name not in mapping.values()]
            if missing:
                raise ImportRefused(
                    _("Colonne(s) obligatoire(s) absente(s) : %(names)s. Première ligne lue : %(header)s")
                    % {"names": ", ".join(missing), "header": " | ".join(cells)[:300]}
                )
            continue
        if len(rows) >= package.MAX_ROWS:
            raise ImportRefused(
                _("Le fichier dépasse la limite de %(limit)s lignes : découpez-le.")
                % {"limit": f"{package.MAX_ROWS:_}".replace("_", " ")}
            )
        values = {
            name: _unescape(cells[index].strip()) if index < len(cells) else "" for index, name in mapping.items()
        }
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            values["__extra__"] = "1"
        rows.append((line, values))
    if header is None:
        raise ImportRefused(_("Le fichier est vide."))
    return set(mapping.values()), rows, found_warnings


def _unescape(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ImportRefused(_("Encodage du fichier illisible.")) from error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ImportRefused(
                _("Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8 ou Windows-1252.")
            ) from error
    if "\x00" in text:
        raise ImportRefused(_("Ce fichier n'est pas un CSV lisible (contenu binaire)."))
    return text


def _csv_records(text: str) -> Iterable[tuple[int, list[str]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(
            _("Ligne %(line)s : le CSV est mal formé (%(error)s).") % {"line": start, "error": error}
        ) from error


def _xlsx_records(data: bytes) -> Iterable[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula comes back as its text ("=A1*2"), never as a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many types for a damaged or fake workbook
        raise ImportRefused(_("Fichier Excel illisible : enregistrez-le au format .xlsx ou en CSV.")) from error
    try:
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    except ImportRefused:
        raise
    except Exception as error:
        raise ImportRefused(_("Fichier Excel abîmé : enregistrez-le à nouveau ou exportez-le en CSV.")) from error
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        # Ten significant digits hide binary noise (12.499999999 → 12.5) without rounding prices.
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
