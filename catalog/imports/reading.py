"""Reading CSV and Excel files: size, row, column and blank-line limits, encodings, delimiter sniffing,
xlsx cells.

Limits are read from the ``catalog.imports`` package at call time, so setting
``catalog.imports.MAX_ROWS`` (as the tests do) still takes effect here. The work done on a file
follows what it really holds: an .xlsx is read cell by cell from its sheet's XML, never through the
size the sheet declares, and every reader stops at the row, blank-row and column limits."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
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
    records: Iterator[tuple[int, list[str]]]
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        records = _xlsx_records(data)
    else:
        records = _csv_records(_decode(data))
    header: list[str] | None = None
    mapping: dict[int, str] = {}
    rows: list[Row] = []
    found_warnings: list[str] = []
    blank_rows = 0
    aliases = {alias: name for name, spellings in columns.items() for alias in spellings}
    with closing(records):
        for line, cells in records:
            if len(cells) > package.MAX_COLUMNS:
                raise _too_many_columns(line)
            if not any(cell.strip() for cell in cells):
                # Counted, not just skipped: 19 MB of empty lines must not cost a pass over each.
                blank_rows += 1
                if blank_rows > package.MAX_BLANK_ROWS:
                    raise ImportRefused(
                        _("Le fichier contient plus de %(limit)s lignes vides : supprimez-les.")
                        % {"limit": _count(package.MAX_BLANK_ROWS)}
                    )
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
                    % {"limit": _count(package.MAX_ROWS)}
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


def _count(number: int) -> str:
    """50000 → "50 000", as limits are written in French messages."""
    return f"{number:_}".replace("_", " ")


def _too_many_columns(line: int) -> ImportRefused:
    return ImportRefused(
        _("Ligne %(line)s : plus de %(limit)s colonnes. Supprimez les colonnes inutiles ou découpez le fichier.")
        % {"line": _count(line), "limit": _count(package.MAX_COLUMNS)}
    )


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


def _csv_records(text: str) -> Generator[tuple[int, list[str]]]:
    lines = _csv_lines(text)
    # The separator is guessed from the first non-blank line, found without splitting the whole
    # text: blank lines before it stop the search at the blank-line limit (read_table refuses them).
    leading: list[str] = []
    first_line = ""
    for line in lines:
        if line.strip():
            first_line = line
            break
        leading.append(line)
        if len(leading) > package.MAX_BLANK_ROWS:
            break
    if len(first_line) > package.MAX_HEADER_CHARS:
        raise ImportRefused(
            _("La première ligne dépasse %(limit)s caractères : ce ne sont pas des titres de colonnes.")
            % {"limit": _count(package.MAX_HEADER_CHARS)}
        )
    delimiter = max((";", ",", "\t"), key=first_line.count) if first_line else ","
    reader = csv.reader(itertools.chain(leading, [first_line] if first_line else [], lines), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(
            _("Ligne %(line)s : le CSV est mal formé (%(error)s).") % {"line": start, "error": error}
        ) from error


def _csv_lines(text: str) -> Iterator[str]:
    """The file's lines with their line ends (as the csv module wants them), none past the length cap."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > package.MAX_LINE_CHARS:
            raise ImportRefused(
                _("Ligne %(line)s : plus de %(limit)s caractères, ce fichier n'est pas un catalogue lisible.")
                % {"line": _count(number), "limit": _count(package.MAX_LINE_CHARS)}
            )
        yield line


# --- Excel ---------------------------------------------------------------------------------------
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_SHEET_DATA, _ROW, _CELL = f"{_MAIN}sheetData", f"{_MAIN}row", f"{_MAIN}c"
_STRING, _TEXT, _RUN = f"{_MAIN}si", f"{_MAIN}t", f"{_MAIN}r"
# Elements held in memory inside one cell (rich text runs) or one other block of the sheet (an
# extension list) until it ends; everything above that depth is dropped as soon as it has been
# read. This bounds memory only: the time is bounded by MAX_SHEET_ELEMENTS.
_MAX_HELD_ELEMENTS = 10_000


def _xlsx_records(data: bytes) -> Generator[tuple[int, list[str]]]:
    """The rows present in the first sheet, each as its cells' text up to its last filled cell.

    openpyxl's read-only rows trust the sheet's ``<dimension>``: each row padded to the declared
    width, every missing row up to the declared height produced as a blank one. A 1.6 KB file
    declaring ``A1:XFD1048576`` then costs an hour. And ``load_workbook`` itself parses every sheet
    that has no ``<dimension>`` whole, and the whole shared-string table. So openpyxl reads here only
    the small parts (content types, workbook, styles) and turns cells into values; the sheet and the
    shared strings are streamed with the limits: missing rows are never produced, and a row numbered
    past the row limits or a cell past the column limit stops the reading at once.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.xml.constants import SHARED_STRINGS

    _check_uncompressed_size(data)
    try:
        # data_only=False: a formula comes back as its text ("=A1*2"), never as a computed value.
        # keep_links=False: external links carry whole cached workbooks, never needed here.
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
        reader.read_manifest()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
    except Exception as error:  # openpyxl raises many types for a damaged or fake workbook
        raise ImportRefused(_("Fichier Excel illisible : enregistrez-le au format .xlsx ou en CSV.")) from error
    try:
        sheet_path = next(
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        )
        strings_part = reader.package.find(SHARED_STRINGS)
        shared_strings = _shared_strings(reader.archive, strings_part.PartName[1:]) if strings_part else []
        # The cell parser of openpyxl's own sheet reader (shared strings, dates, formulas, errors).
        # Private parts of openpyxl, passed as its own sheet reader passes them; the parser's source
        # stays None because _sheet_rows() feeds it the rows.
        cells = WorkSheetParser(
            None,  # type: ignore[arg-type]
            shared_strings,
            data_only=False,
            epoch=reader.wb.epoch,
            date_formats=reader.wb._date_formats,  # type: ignore[attr-defined]
            timedelta_formats=reader.wb._timedelta_formats,  # type: ignore[attr-defined]
        )
        with reader.archive.open(sheet_path) as source:
            yield from _sheet_rows(source, cells)
    except (ImportRefused, SoftTimeLimitExceeded):
        raise
    except Exception as error:
        raise _damaged_workbook() from error
    finally:
        reader.archive.close()


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    """The workbook's shared-string table as openpyxl reads it (plain text, runs joined, phonetic
    guides left out), parsed as a stream into a list and nothing else, its length capped."""
    from defusedxml.ElementTree import DefusedXMLParser

    table = _SharedStrings()
    parser = DefusedXMLParser(target=table, forbid_dtd=True)
    with archive.open(path) as source:
        while chunk := source.read(64 * 1024):
            parser.feed(chunk)
    parser.close()
    return table.strings


class _SharedStrings:
    """Parser target for ``<sst><si><t>text</t></si><si><r><t>run</t></r>...</si></sst>``."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.path: list[str] = []
        self.text: list[str] = []
        self.is_text = False

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.path.append(tag)
        # <t> right in <si>, or in one of its runs <r>: not in a phonetic guide <rPh>.
        depth = len(self.path)
        self.is_text = (
            tag == _TEXT and self.path[1] == _STRING and (depth == 3 or (depth == 4 and self.path[2] == _RUN))
        )

    def end(self, tag: str) -> None:
        self.path.pop()
        self.is_text = False
        if tag == _STRING and len(self.path) == 1:
            self.strings.append("".join(self.text).replace("x005F_", ""))
            self.text.clear()
            if len(self.strings) > package.MAX_SHARED_STRINGS:
                raise ImportRefused(
                    _("Le classeur contient plus de %(limit)s textes différents : exportez la feuille en CSV.")
                    % {"limit": _count(package.MAX_SHARED_STRINGS)}
                )

    def data(self, text: str) -> None:
        if self.is_text:
            self.text.append(text)

    def close(self) -> None:
        return None


def _sheet_rows(source: IO[bytes], cells: Any) -> Iterator[tuple[int, list[str]]]:
    from defusedxml.ElementTree import iterparse

    last_line = package.MAX_ROWS + package.MAX_BLANK_ROWS + 1  # the most a file within the limits has
    open_elements: list[Any] = []  # from the sheet's root to the element being read
    held = 0
    elements = outside_rows = 0
    line = 0
    row: dict[int, str] = {}
    cells_in_row = 0
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            open_elements.append(element)
            elements += 1
            if elements > package.MAX_SHEET_ELEMENTS:
                # Rows and cells are within their limits, yet the sheet holds millions of cells
                # (40 seconds of work in a 350 KB file): past what a catalogue at the limits holds.
                raise ImportRefused(
                    _("La feuille est trop chargée (plus de %(limit)s éléments) : découpez le fichier.")
                    % {"limit": _count(package.MAX_SHEET_ELEMENTS)}
                )
            if not (len(open_elements) >= 3 and open_elements[1].tag == _SHEET_DATA and open_elements[2].tag == _ROW):
                # Column widths, merged cells, links, conditional formats: none of it is read, all of it costs.
                outside_rows += 1
                if outside_rows > package.MAX_SHEET_OTHER_ELEMENTS:
                    raise ImportRefused(
                        _(
                            "La feuille contient plus de %(limit)s éléments hors des cellules (mise en forme, "
                            "liens, fusions…) : exportez-la en CSV."
                        )
                        % {"limit": _count(package.MAX_SHEET_OTHER_ELEMENTS)}
                    )
            if len(open_elements) > 4:
                held += 1
                if held > _MAX_HELD_ELEMENTS:
                    raise _damaged_workbook()
            elif element.tag == _ROW and len(open_elements) == 3 and open_elements[1].tag == _SHEET_DATA:
                line = _row_number(element.get("r"), after=line)
                if line > last_line:
                    raise ImportRefused(
                        _(
                            "La feuille va jusqu'à la ligne %(line)s : au-delà de %(limit)s lignes "
                            "(lignes vides comprises), découpez le fichier."
                        )
                        % {"line": _count(line), "limit": _count(last_line)}
                    )
                cells.row_counter, cells.col_counter = line, 0
                row, cells_in_row = {}, 0
            continue
        open_elements.pop()
        depth = len(open_elements) + 1
        if depth == 4 and element.tag == _CELL and open_elements[-1].tag == _ROW:
            cells_in_row += 1
            cell = cells.parse_cell(element)
            if cells_in_row > package.MAX_COLUMNS or cell["column"] > package.MAX_COLUMNS:
                raise _too_many_columns(line)
            if cell["value"] is not None:
                row[cell["column"]] = _cell_text(cell["value"])
        elif depth == 3 and element.tag == _ROW:
            yield line, [row.get(column, "") for column in range(1, max(row, default=0) + 1)]
        if 1 < depth <= 4:
            # Read and done with: dropped, so memory holds one row at a time, not the sheet.
            open_elements[-1].remove(element)
            held = 0


def _row_number(text: str | None, *, after: int) -> int:
    if text is None:
        return after + 1
    number = float(text)  # "12" as Excel writes it, "12.0" as some generators do
    if not number.is_integer() or number <= after:  # rows go down the sheet; anything else is a damaged file
        raise _damaged_workbook()
    return int(number)


def _check_uncompressed_size(data: bytes) -> None:
    """Refuse a ZIP bomb before reading it: zipfile never inflates a member past its declared size
    (it stops there and the CRC check fails), so the declared sizes bound what is decompressed.

    Sheets and the shared strings are streamed under the row, column and string limits; any other
    XML part is read whole by openpyxl (content types, workbook, styles: a few kilobytes in real
    files), so each is held to a smaller size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportRefused(_("Fichier Excel illisible : enregistrez-le au format .xlsx ou en CSV.")) from error
    if sum(member.file_size for member in members) > package.MAX_XLSX_UNCOMPRESSED_BYTES:
        raise ImportRefused(
            _("Le fichier Excel dépasse %(size)s Mo une fois décompressé : découpez-le ou exportez-le en CSV.")
            % {"size": package.MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)}
        )
    for member in members:
        name = member.filename
        streamed = name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml"
        if name.endswith((".xml", ".rels")) and not streamed and member.file_size > package.MAX_XLSX_PART_BYTES:
            raise ImportRefused(
                _(
                    "Une partie du fichier Excel (mise en forme, commentaires…) dépasse %(size)s Mo une fois "
                    "décompressée : exportez la feuille en CSV."
                )
                % {"size": package.MAX_XLSX_PART_BYTES // (1024 * 1024)}
            )


def _damaged_workbook() -> ImportRefused:
    return ImportRefused(_("Fichier Excel abîmé : enregistrez-le à nouveau ou exportez-le en CSV."))


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
