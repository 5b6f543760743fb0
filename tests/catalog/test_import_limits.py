"""Hostile files are refused early, in French, by what they really hold: a spreadsheet declaring a
million rows, a sheet that inflates to gigabytes, 19 MB of blank lines, a header of millions of
columns. The work done follows the cells present, never the size a file declares (issue 9).

Timings live in ``bench/import_bombs.py``; here the bound is shown by what the reader yields."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalog import imports
from catalog.imports import ImportRefused, read_table
from catalog.imports.reading import _xlsx_records
from catalog.models import ImportJob, ImportStatus, Product
from tests.catalog.factories import MerchantFactory
from tests.catalog.test_imports import _login

COLUMNS = {"sku": ("sku",), "titre": ("titre",), "prix": ("prix",)}
REQUIRED = ("sku", "titre", "prix")
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="B1" t="inlineStr"><is><t>titre</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>prix</t></is></c></row>'
)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def minimal_xlsx(
    sheet_data: str,
    *,
    dimension: str = "A1:XFD1048576",
    before_rows: str = "",
    shared_strings: str | None = None,
    second_sheet: str | None = None,
    extra_parts: dict[str, bytes] | None = None,
) -> bytes:
    """The smallest workbook Excel and openpyxl open: five small XML parts, the sheet's as given;
    optionally a shared-string table (its ``<si>`` entries), a second sheet (its whole XML), more parts."""
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet}"/>'
    sheets = '<sheet name="Feuil1" sheetId="1" r:id="rId1"/>'
    relationships = f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
    parts = {
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/>{before_rows}'
            f"<sheetData>{sheet_data}</sheetData></worksheet>"
        )
    }
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{shared_strings}</sst>'
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    if second_sheet is not None:
        parts["xl/worksheets/sheet2.xml"] = second_sheet
        overrides += f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{sheet}"/>'
        sheets += '<sheet name="Feuil2" sheetId="2" r:id="rId2"/>'
        relationships += f'<Relationship Id="rId2" Type="{OFFICE}/worksheet" Target="worksheets/sheet2.xml"/>'
    parts |= {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELATIONSHIPS}"><Relationship Id="rId1" '
            f'Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>{sheets}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{RELATIONSHIPS}">{relationships}</Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for name, content in (extra_parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def dimension_bomb() -> bytes:
    """The reported file: a header, then one cell on the sheet's very last cell, XFD1048576."""
    return minimal_xlsx(HEADER_ROW + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def read(data: bytes, filename: str = "catalogue.xlsx"):
    return read_table(data, filename=filename, columns=COLUMNS, required=REQUIRED)


# --- Excel -----------------------------------------------------------------------------------------
def test_xlsx_declaring_a_million_rows_is_refused_right_after_its_header_without_walking_blank_rows():
    bomb = dimension_bomb()
    records = _xlsx_records(bomb)

    # The header comes back as its three cells (openpyxl padded it to the declared 16,384), and the
    # very next step is the refusal: no blank row is produced for the million missing ones.
    assert next(records) == (1, ["sku", "titre", "prix"])
    with pytest.raises(ImportRefused) as refusal:
        next(records)
    assert str(refusal.value) == (
        "La feuille va jusqu'à la ligne 1 048 576 : au-delà de 60 001 lignes "
        "(lignes vides comprises), découpez le fichier."
    )
    assert len(bomb) < 2_000


def test_the_dimension_bomb_uploaded_as_a_dry_run_by_merchant_staff_ends_refused_in_french(
    town_a, client_a, django_capture_on_commit_callbacks
):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
    _login(client_a, town_a, "merchant_staff", merchant)
    upload = SimpleUploadedFile("catalogue.xlsx", dimension_bomb(), "application/octet-stream")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/gestion/catalogue/imports/",
            {"kind": "products", "merchant": "epicerie", "source": upload, "is_dry_run": "on"},
        )

    assert response.status_code == 302
    with town_a:
        job = ImportJob.objects.get()
        assert (job.status, job.source.name) == (ImportStatus.FAILED, "")
        assert [error["message"] for error in job.report["errors"]] == [
            "La feuille va jusqu'à la ligne 1 048 576 : au-delà de 60 001 lignes "
            "(lignes vides comprises), découpez le fichier."
        ]
        assert Product.objects.count() == 0


def test_a_wrong_dimension_does_not_pad_rows_to_the_declared_width():
    data = minimal_xlsx(
        HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c><c r="C2"><v>3</v></c></row>'
    )

    assert list(_xlsx_records(data)) == [(1, ["sku", "titre", "prix"]), (2, ["S1", "", "3"])]
    assert read(data)[1] == [(2, {"sku": "S1", "titre": "", "prix": "3"})]


def test_a_cell_past_the_column_limit_is_refused_whatever_the_rows_hold():
    past_the_limit = minimal_xlsx(HEADER_ROW + '<row r="2"><c r="GS2"><v>1</v></c></row>', dimension="A1:GS2")
    at_the_limit = minimal_xlsx(HEADER_ROW + '<row r="2"><c r="GR2"><v>1</v></c></row>', dimension="A1:GR2")

    with pytest.raises(ImportRefused) as refusal:
        read(past_the_limit)
    assert str(refusal.value) == (
        "Ligne 2 : plus de 200 colonnes. Supprimez les colonnes inutiles ou découpez le fichier."
    )
    _present, [(line, values)], _warnings = read(at_the_limit)
    assert (line, values["__extra__"]) == (2, "1")  # column GR is the 200th


def test_a_row_of_many_cells_is_refused_at_the_column_limit_even_when_they_repeat_one_column():
    same_cell_again = "".join('<c r="A2"><v>1</v></c>' for _ in range(201))

    with pytest.raises(ImportRefused, match=r"^Ligne 2 : plus de 200 colonnes\."):
        read(minimal_xlsx(HEADER_ROW + f'<row r="2">{same_cell_again}</row>'))


def test_blank_rows_present_in_a_sheet_count_towards_the_blank_row_limit(monkeypatch):
    monkeypatch.setattr(imports, "MAX_BLANK_ROWS", 3)
    workbook = Workbook()
    workbook.active.append(["sku", "titre", "prix"])
    for _ in range(4):
        workbook.active.append(["", " ", ""])  # written as cells, so present in the file
    workbook.active.append(["S1", "Savon", 3])
    data = io.BytesIO()
    workbook.save(data)

    with pytest.raises(ImportRefused) as refusal:
        read(data.getvalue())
    assert str(refusal.value) == "Le fichier contient plus de 3 lignes vides : supprimez-les."


def test_shared_strings_read_as_excel_shows_them_runs_joined_and_phonetic_guides_left_out():
    data = minimal_xlsx(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2"><v>3.5</v></c></row>',
        shared_strings=(
            "<si><t>sku</t></si>"
            '<si><r><rPr><b/></rPr><t xml:space="preserve">ti</t></r><r><t>tre</t></r></si>'
            "<si><t>prix</t></si>"
            '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh></si>'
            "<si><t>a_x005F_x000D_b</t></si>"
        ),
    )

    assert read(data)[1] == [(2, {"sku": "漢字", "titre": "a_x000D_b", "prix": "3.5"})]


def test_a_shared_string_table_past_its_limit_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHARED_STRINGS", 3)
    data = minimal_xlsx(HEADER_ROW, shared_strings="<si><t>a</t></si>" * 4)

    with pytest.raises(ImportRefused) as refusal:
        read(data)
    assert str(refusal.value) == "Le classeur contient plus de 3 textes différents : exportez la feuille en CSV."


def test_only_the_first_sheet_is_read_whatever_the_others_hold():
    data = minimal_xlsx(
        HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>S1</t></is></c></row>',
        second_sheet=f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c>',  # never closed
    )

    assert read(data)[1] == [(2, {"sku": "S1", "titre": "", "prix": ""})]


def test_a_sheet_with_more_elements_outside_its_rows_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHEET_OTHER_ELEMENTS", 20)
    column_widths = "<cols>" + '<col min="1" max="1" width="9"/>' * 20 + "</cols>"

    with pytest.raises(ImportRefused) as refusal:
        read(minimal_xlsx(HEADER_ROW, before_rows=column_widths))
    assert str(refusal.value) == (
        "La feuille contient plus de 20 éléments hors des cellules (mise en forme, liens, fusions…) : "
        "exportez-la en CSV."
    )
    monkeypatch.setattr(imports, "MAX_SHEET_OTHER_ELEMENTS", 24)  # root, dimension, cols, 20 col, sheetData
    assert read(minimal_xlsx(HEADER_ROW, before_rows=column_widths))[1] == []


def test_a_sheet_past_its_element_limit_is_refused_though_each_row_is_within_the_limits(monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHEET_ELEMENTS", 50)
    rows = "".join(f'<row r="{n}">' + "<c><v>1</v></c>" * 3 + "</row>" for n in range(2, 10))  # 7 elements a row

    assert len(read(minimal_xlsx(HEADER_ROW + rows[: rows.index('<row r="7">')]))[1]) == 5  # 48 elements in all
    with pytest.raises(ImportRefused) as refusal:
        read(minimal_xlsx(HEADER_ROW + rows))
    assert str(refusal.value) == "La feuille est trop chargée (plus de 50 éléments) : découpez le fichier."


def test_a_styles_part_past_8_mb_is_refused_before_openpyxl_parses_it():
    styles = f'<styleSheet xmlns="{MAIN}">'.encode() + b" " * (8 * 1024 * 1024) + b"</styleSheet>"

    with pytest.raises(ImportRefused) as refusal:
        read(minimal_xlsx(HEADER_ROW, extra_parts={"xl/styles.xml": styles}))
    assert str(refusal.value) == (
        "Une partie du fichier Excel (mise en forme, commentaires…) dépasse 8 Mo une fois décompressée : "
        "exportez la feuille en CSV."
    )


def test_an_xlsx_whose_sheet_inflates_past_100_mb_is_refused_before_it_is_read():
    data = minimal_xlsx(HEADER_ROW)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/bombe.xml", "w") as member:
        for _ in range(101):
            member.write(b"\0" * 1024 * 1024)
    bomb = buffer.getvalue()
    assert len(bomb) < 200_000

    with pytest.raises(ImportRefused) as refusal:
        read(bomb)
    assert str(refusal.value) == (
        "Le fichier Excel dépasse 100 Mo une fois décompressé : découpez-le ou exportez-le en CSV."
    )


def test_a_sheet_holding_more_than_its_declared_size_is_cut_there_and_refused():
    """The declared sizes are what the limit checks: zipfile never inflates more than them."""
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 2_000))
    data = bytearray(minimal_xlsx(HEADER_ROW + rows))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    central = data.index(sheet.filename.encode(), data.index(b"PK\x01\x02")) - 46  # its central directory entry
    # The sheet now claims 300 bytes once inflated, in its local header and in the central directory.
    data[sheet.header_offset + 22 : sheet.header_offset + 26] = struct.pack("<I", 300)
    data[central + 24 : central + 28] = struct.pack("<I", 300)
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size == 300

    # Had zipfile read on past 300 bytes, the 1,999 rows would have come back.
    with pytest.raises(ImportRefused) as refusal:
        read(bytes(data))
    assert str(refusal.value) == "Fichier Excel abîmé : enregistrez-le à nouveau ou exportez-le en CSV."


# --- CSV -------------------------------------------------------------------------------------------
def test_19_mb_of_blank_lines_after_the_header_are_refused_in_french():
    with pytest.raises(ImportRefused) as refusal:
        read(b"sku;titre;prix\n" + b"\n" * 19_000_000, "catalogue.csv")

    assert str(refusal.value) == "Le fichier contient plus de 10 000 lignes vides : supprimez-les."


def test_blank_lines_before_the_header_count_too_and_up_to_the_limit_are_accepted():
    at_the_limit = b"\r\n" * 10_000 + b"sku;titre;prix\r\nS1;Savon;3\r\n"

    assert read(at_the_limit, "catalogue.csv")[1] == [(10_002, {"sku": "S1", "titre": "Savon", "prix": "3"})]
    with pytest.raises(ImportRefused, match=r"^Le fichier contient plus de 10 000 lignes vides :"):
        read(b"\n" + at_the_limit, "catalogue.csv")


def test_a_header_of_nine_and_a_half_million_columns_is_refused_before_it_is_split():
    with pytest.raises(ImportRefused) as refusal:
        read(b"sku" + b";" * 9_500_000 + b"\n", "catalogue.csv")

    assert str(refusal.value) == ("Ligne 1 : plus de 1 000 000 caractères, ce fichier n'est pas un catalogue lisible.")


def test_a_header_line_past_the_header_cap_is_refused():
    header = "sku;titre;prix;" + "x" * 10_000

    with pytest.raises(ImportRefused) as refusal:
        read(f"{header}\nS1;Savon;3;\n".encode(), "catalogue.csv")

    assert str(refusal.value) == (
        "La première ligne dépasse 10 000 caractères : ce ne sont pas des titres de colonnes."
    )


def test_a_csv_row_of_more_than_200_fields_is_refused_and_200_are_accepted():
    accepted = b"sku;titre;prix" + b";" * 197 + b"\nS1;Savon;3\n"

    assert read(accepted, "catalogue.csv")[1] == [(2, {"sku": "S1", "titre": "Savon", "prix": "3"})]
    with pytest.raises(ImportRefused) as refusal:
        read(b"sku;titre;prix\nS1;Savon;3" + b";" * 198 + b"\n", "catalogue.csv")
    assert str(refusal.value) == (
        "Ligne 2 : plus de 200 colonnes. Supprimez les colonnes inutiles ou découpez le fichier."
    )
