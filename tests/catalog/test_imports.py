from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from openpyxl import Workbook
from PIL import Image

import catalog.imports.products as products_module
from catalog import imports
from catalog.actions import save_merchant, save_product
from catalog.imports import import_merchants, import_products, run_import_job
from catalog.models import Category, Merchant, MerchantKind, MerchantStatus, Photo, Product, Variant
from tenants.tasks import TownTaskOutsideTown
from tests.catalog.conftest import small_png
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.catalog.test_photos import pixel_flood_png

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "sku;titre;categorie;prix;tva;unite;stock;ean;publie\n"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(lines) + "\n").encode(encoding)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "PNG")
    return buffer.getvalue()


def zip_of(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    buffer.seek(0)
    return buffer


def product_state(merchant: Merchant) -> list[tuple]:
    return list(
        Variant.objects.filter(merchant=merchant)
        .order_by("sku")
        .values_list("sku", "product__title", "product__price_cents", "product__is_published", "stock")
    )


# --- formats -----------------------------------------------------------------------------------
def test_utf8_bom_semicolon_file_with_decimal_commas_imports(town_a):
    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        report = import_products(merchant=merchant, data=(FIXTURES / "products.csv").read_bytes(), filename="p.csv")

        assert report.errors == []
        assert (report.created, report.updated, report.is_committed) == (3, 0, True)
        rows = list(
            Product.objects.filter(merchant=merchant)
            .order_by("title")
            .values_list("title", "price_cents", "vat_rate", "unit", "category__slug", "is_published", "description")
        )
        assert rows == [
            ("Baguette tradition", 120, 550, "piece", "alimentation-boulangerie-et-patisserie", True, "Farine locale"),
            ("Café moulu 250 g", 690, 550, "piece", "alimentation-epicerie", True, "<p>Torréfaction artisanale</p>"),
            ("Comté 18 mois", 2450, 550, "kg", "alimentation-fromagerie", False, ""),
        ]
        assert list(Variant.objects.filter(merchant=merchant).order_by("sku").values_list("sku", "stock", "ean")) == [
            ("CAFE-250", 24, "3017620422003"),
            ("COMTE-KG", None, ""),
            ("PAIN-01", None, ""),
        ]
        assert Product.objects.filter(merchant=merchant, search_vector__isnull=True).count() == 0


def test_windows_1252_comma_separated_merchants_import_as_drafts(town_a):
    with town_a:
        data = (FIXTURES / "merchants-cp1252.csv").read_bytes()
        report = import_merchants(data=data, filename="commerces.csv")

        assert report.errors == []
        assert (report.created, report.updated) == (2, 0)
        bakery = Merchant.objects.get(name="Boulangerie Dupont")
        assert (bakery.kind, bakery.status, bakery.siret, bakery.website, bakery.postcode, bakery.email) == (
            MerchantKind.SHOP,
            MerchantStatus.DRAFT,
            "73282932000074",
            "https://www.dupont.example",
            "62100",
            "contact@dupont.example",
        )
        assert list(bakery.categories.values_list("slug", flat=True)) == ["alimentation-boulangerie-et-patisserie"]
        cafe = Merchant.objects.get(slug="le-cafe-du-port")
        assert (cafe.kind, list(cafe.categories.values_list("slug", flat=True))) == (
            MerchantKind.RESTAURANT,
            ["restaurants-cafes-et-bars"],
        )
        assert cafe.search_vector is not None


def test_imported_and_typed_names_get_their_slugs_by_one_rule(town_a, town_b):
    # "ﬃ" is one character of a name and three of a slug: these two names fill the slug column.
    names = ["Épicerie du Port", "Épicerie du Port !", "!!!", "?", "ﬃ" * 150 + " A", "ﬃ" * 150 + " B"]
    titles = ["Miel", "Miel !", "***", "ﬁ" * 199 + "a", "ﬁ" * 199 + "b"]

    with town_a:  # typed in the back-office
        typed_merchants = [save_merchant(merchant=Merchant(name=name)).slug for name in names]
        shop = Merchant.objects.get(slug="epicerie-du-port")
        typed_products = [
            save_product(product=Product(merchant=shop, title=title, price_cents=100)).slug for title in titles
        ]
    with town_b:  # imported from files
        merchants = import_merchants(data=("nom\n" + "\n".join(names) + "\n").encode(), filename="commerces.csv")
        shop = Merchant.objects.get(slug="epicerie-du-port")
        rows = "".join(f"S{index};{title};1\n" for index, title in enumerate(titles))
        products = import_products(merchant=shop, data=f"sku;titre;prix\n{rows}".encode(), filename="produits.csv")
        imported_merchants = [Merchant.objects.get(name=name).slug for name in names]
        imported_products = [Product.objects.get(merchant=shop, title=title).slug for title in titles]

    assert (merchants.errors, products.errors) == ([], [])
    assert imported_merchants == typed_merchants
    assert imported_products == typed_products
    assert typed_merchants[:4] == ["epicerie-du-port", "epicerie-du-port-2", "commerce", "commerce-2"]
    assert [len(slug) for slug in typed_merchants[4:]] == [180, 180]
    assert typed_merchants[5].endswith("-2")
    assert typed_products[:3] == ["miel", "miel-2", "produit"]


def test_both_imports_report_a_row_with_a_cell_too_many_and_every_other_problem_of_it(town_a):
    with town_a:
        merchants = import_merchants(data=b"nom;siret\nBoucherie;73282932000075;en trop\n", filename="c.csv")
        products = import_products(
            merchant=MerchantFactory(), data=b"sku;titre;prix\nS1;Savon;douze;en trop\n", filename="p.csv"
        )

    extra = {"line": 2, "column": "", "message": "Plus de cellules que de colonnes : un séparateur en trop ?"}
    assert [merchants.errors[0], merchants.errors[1]["column"]] == [extra, "siret"]
    assert [products.errors[0], products.errors[1]["column"]] == [extra, "prix"]


def test_reimporting_merchants_updates_by_siret_then_name(town_a):
    with town_a:
        data = (FIXTURES / "merchants-cp1252.csv").read_bytes()
        import_merchants(data=data, filename="commerces.csv")
        renamed = data.replace(b"Boulangerie Dupont", b"Boulangerie Dupont & fils")

        report = import_merchants(data=renamed, filename="commerces.csv")

        assert (report.created, report.updated) == (0, 2)
        assert Merchant.objects.count() == 2
        assert Merchant.objects.filter(siret="73282932000074").get().name == "Boulangerie Dupont & fils"


def test_excel_file_with_numbers_and_a_formula_imports_the_formula_as_text(town_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["SKU", "Titre", "Prix TTC", "TVA", "EAN", "Stock", "Publié"])
    sheet.append(["A1", '=HYPERLINK("http://evil.example","Cliquez")', 12.5, 0.055, 3017620422003, 7, "oui"])
    sheet.append(["A2", "Sardines", 3, 20, None, None, "non"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=buffer.getvalue(), filename="catalogue.xlsx")

        assert report.errors == []
        assert product_state(merchant) == [
            ("A1", '=HYPERLINK("http://evil.example","Cliquez")', 1250, True, 7),
            ("A2", "Sardines", 300, False, None),
        ]
        assert list(Product.objects.filter(merchant=merchant).order_by("title").values_list("vat_rate", flat=True)) == [
            550,
            2000,
        ]
        assert Variant.objects.get(sku="A1").ean == "3017620422003"


def test_a_formula_where_a_price_is_expected_is_refused_not_evaluated(town_a):
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=csv_bytes("S1;Savon;;=2*3;;;;;"), filename="p.csv")

        assert report.errors == [
            {"line": 2, "column": "prix", "message": "Prix illisible « =2*3 » : écrivez par exemple 12,50."}
        ]
        assert Product.objects.filter(merchant=merchant).count() == 0


def test_comma_separated_file_with_aliases_and_quoted_decimal_commas(town_a):
    data = b'reference,title,price,vat,unit\nX1,"Miel, 500 g","8,40",5.5,pi\xc3\xa8ce\n'
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=data, filename="p.csv")

        assert report.errors == []
        assert product_state(merchant) == [("X1", "Miel, 500 g", 840, False, None)]


# --- upserts -----------------------------------------------------------------------------------
def test_reimport_updates_by_sku_without_duplicates_and_keeps_other_merchants_apart(town_a):
    with town_a:
        merchant = MerchantFactory()
        neighbour_variant = VariantFactory(sku="S1", product__title="Chez le voisin")
        import_products(
            merchant=merchant, data=csv_bytes("S1;Savon;;3,00;;;5;;oui", "S2;Shampoing;;7;;;;;oui"), filename="p.csv"
        )

        report = import_products(merchant=merchant, data=csv_bytes("S1;Savon doux;;3,50;;;4;;"), filename="p.csv")

        assert (report.created, report.updated) == (0, 1)
        assert product_state(merchant) == [("S1", "Savon doux", 350, True, 4), ("S2", "Shampoing", 700, True, None)]
        neighbour_variant.refresh_from_db()
        assert neighbour_variant.product.title == "Chez le voisin"


def test_unpublish_missing_unpublishes_only_this_merchants_absent_skus(town_a):
    with town_a:
        merchant = MerchantFactory()
        other = VariantFactory(sku="GONE", product__is_published=True)
        import_products(
            merchant=merchant, data=csv_bytes("S1;Savon;;3;;;;;oui", "S2;Brosse;;4;;;;;oui"), filename="p.csv"
        )

        report = import_products(
            merchant=merchant, data=csv_bytes("S1;Savon;;3;;;;;oui"), filename="p.csv", unpublish_missing=True
        )

        assert report.unpublished == 1
        assert product_state(merchant) == [("S1", "Savon", 300, True, None), ("S2", "Brosse", 400, False, None)]
        other.product.refresh_from_db()
        assert other.product.is_published is True


def test_partial_file_updates_only_its_columns(town_a):
    with town_a:
        merchant = MerchantFactory()
        import_products(merchant=merchant, data=csv_bytes("S1;Savon;;3;10;kg;5;;oui"), filename="p.csv")

        import_products(merchant=merchant, data=b"sku;titre;prix\nS1;Savon;3,20\n", filename="p.csv")

        product = Product.objects.get(merchant=merchant)
        assert (product.price_cents, product.vat_rate, product.unit, product.is_published) == (320, 1000, "kg", True)
        assert Variant.objects.get(merchant=merchant).stock == 5


# --- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("S1;Savon;;-3,00;;;;;", "prix", "Un prix ne peut pas être négatif."),
        ("S1;Savon;;250000;;;;;", "prix", "Un prix de plus de 100 000 € est refusé : vérifiez la saisie."),
        ("S1;Savon;;1,999;;;;;", "prix", "Prix « 1,999 » : deux décimales au plus."),
        (
            "S1;Savon;Jardinage > Outils;3;;;;;",
            "categorie",
            "Catégorie « Jardinage > Outils » inconnue dans cette ville.",
        ),
        (
            "S1;Savon;;3;;;;3017620422004;",
            "ean",
            "Le code-barres EAN « 3017620422004 » n'est pas valide (chiffre de contrôle faux ou longueur incorrecte).",
        ),
        ("S1;Savon;;3;19,6;;;;", "tva", "Taux de TVA « 19,6 » inconnu : 20, 10, 5,5, 2,1 ou 0 (293 B)."),
        ("S1;Savon;;3;;boîte;;;", "unite", "Unité « boîte » inconnue : piece, kg ou litre."),
        ("S1;Savon;;3;;;-2;;", "stock", "Le stock ne peut pas être négatif."),
        ("S1;Savon;;3;;;;;peut-être", "publie", "« peut-être » : oui ou non attendu."),
        (";Savon;;3;;;;;", "sku", "Référence (SKU) obligatoire."),
    ],
)
def test_bad_product_values_are_reported_and_nothing_is_written(town_a, line, column, message):
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=csv_bytes("OK1;Bon;;1;;;;;", line), filename="p.csv")

        assert report.errors == [{"line": 3, "column": column, "message": message}]
        assert (report.is_committed, Product.objects.filter(merchant=merchant).count()) == (False, 0)


def test_bad_siret_is_reported(town_a):
    data = b"nom;siret\nBoucherie Martin;73282932000075\n"
    with town_a:
        report = import_merchants(data=data, filename="m.csv")

        assert report.errors == [
            {
                "line": 2,
                "column": "siret",
                "message": "Le SIRET « 73282932000075 » n'est pas valide : vérifiez les 14 chiffres.",
            }
        ]
        assert not Merchant.objects.filter(name="Boucherie Martin").exists()


def test_one_broken_row_among_5000_good_ones_is_the_only_error_and_nothing_is_written(town_a):
    lines = [f"SKU{n};Produit {n};;{n % 90 + 1},{n % 100:02d};5,5;;{n % 7};;oui" for n in range(5001)]
    lines[3210] = "SKU3210;Produit cassé;;douze euros;5,5;;;;oui"
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=csv_bytes(*lines), filename="p.csv")

        assert report.errors == [
            {"line": 3212, "column": "prix", "message": "Prix illisible « douze euros » : écrivez par exemple 12,50."}
        ]
        assert (report.total_rows, report.is_committed) == (5001, False)
        assert Product.objects.filter(merchant=merchant).count() == 0


def test_duplicate_sku_in_a_file_is_reported_on_its_second_line(town_a):
    with town_a:
        merchant = MerchantFactory()
        report = import_products(merchant=merchant, data=csv_bytes("S1;A;;1;;;;;", "S1;B;;2;;;;;"), filename="p.csv")

        assert report.errors == [{"line": 3, "column": "sku", "message": "La référence « S1 » figure déjà ligne 2."}]


def test_line_numbers_count_multiline_cells_as_in_the_file(town_a):
    data = b'sku;titre;prix\nS1;"Savon\nsur deux lignes";3\nS2;Brosse;gratuit\n'
    with town_a:
        report = import_products(merchant=MerchantFactory(), data=data, filename="p.csv")

        assert [error["line"] for error in report.errors] == [4]


def test_missing_required_columns_refuse_the_file(town_a):
    with town_a:
        report = import_products(merchant=MerchantFactory(), data=b"sku;nom\nS1;Savon\n", filename="p.csv")

        assert report.errors == [
            {
                "line": None,
                "column": "",
                "message": "Colonne(s) obligatoire(s) absente(s) : prix. Première ligne lue : sku | nom",
            }
        ]


def test_row_and_size_limits_refuse_the_file(town_a, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    with town_a:
        merchant = MerchantFactory()
        too_many = csv_bytes(*(f"S{n};Savon;;1;;;;;" for n in range(4)))
        assert import_products(merchant=merchant, data=too_many, filename="p.csv").errors[0]["message"] == (
            "Le fichier dépasse la limite de 3 lignes : découpez-le."
        )
        monkeypatch.setattr(imports, "MAX_FILE_BYTES", 10)
        assert import_products(merchant=merchant, data=too_many, filename="p.csv").errors[0]["message"] == (
            "Le fichier dépasse 0 Mo : découpez-le en plusieurs fichiers."
        )
        assert Product.objects.filter(merchant=merchant).count() == 0


def test_a_binary_file_is_refused(town_a):
    with town_a:
        report = import_products(merchant=MerchantFactory(), data=b"%PDF-1.4\x00\x01\x02", filename="p.csv")

        assert report.errors[0]["message"] == "Ce fichier n'est pas un CSV lisible (contenu binaire)."


def test_categories_resolve_only_inside_the_town(town_a, town_b):
    with town_b:
        Category.objects.create(name="Spécialité de B", slug="specialite-de-b")
    with town_a:
        report = import_products(
            merchant=MerchantFactory(), data=csv_bytes("S1;Savon;specialite-de-b;3;;;;;"), filename="p.csv"
        )

        assert report.errors == [
            {"line": 2, "column": "categorie", "message": "Catégorie « specialite-de-b » inconnue dans cette ville."}
        ]


def test_a_broken_row_in_the_middle_writes_nothing(town_a):
    with town_a:
        merchant = MerchantFactory()
        data = b"sku;titre;prix\nA;Pain;1,20\nB;Croissant;douze\nC;Brioche;3\n"
        report = import_products(merchant=merchant, data=data, filename="p.csv")
        assert not report.is_valid
        assert report.errors[0]["line"] == 3
        assert not Product.objects.filter(merchant=merchant).exists()


# --- images ------------------------------------------------------------------------------------
def test_images_from_the_zip_become_photos_once(town_a):
    header = "sku;titre;prix;images\n"
    archive = {"savon.png": png_bytes(), "savon-dos.png": png_bytes()}
    with town_a:
        merchant = MerchantFactory()
        data = csv_bytes("S1;Savon;3;savon.png | savon-dos.png", header=header)
        report = import_products(merchant=merchant, data=data, filename="p.csv", images=zip_of(archive))

        assert (report.errors, report.photos) == ([], 2)
        import_products(merchant=merchant, data=data, filename="p.csv", images=zip_of(archive))
        photos = list(Photo.objects.filter(product__merchant=merchant).values_list("position", "alt_text"))
        assert photos == [(0, "Savon"), (1, "Savon")]


def test_missing_or_fake_images_are_reported(town_a):
    header = "sku;titre;prix;images\n"
    with town_a:
        merchant = MerchantFactory()
        data = csv_bytes("S1;Savon;3;facture.jpg", "S2;Brosse;4;absente.png", header=header)
        report = import_products(
            merchant=merchant, data=data, filename="p.csv", images=zip_of({"facture.jpg": b"%PDF-1.4 fake"})
        )

        assert report.errors == [
            {
                "line": 2,
                "column": "images",
                "message": "« facture.jpg » n'est pas une image acceptée (JPEG, PNG, WebP).",
            },
            {"line": 3, "column": "images", "message": "Image « absente.png » absente de l'archive."},
        ]
        assert Photo.objects.count() == 0


def test_a_zip_image_over_its_formats_pixel_limit_is_flagged_by_the_dry_run(town_a):
    """The dry run checked ZIP images against Pillow's own 60 MP warning only: a 7,740 px PNG passed,
    then cost the worker 800 MB when the import decoded it."""
    header = "sku;titre;prix;images\n"
    with town_a:
        report = import_products(
            merchant=MerchantFactory(),
            data=csv_bytes("S1;Affiche;3;affiche.png", header=header),
            filename="p.csv",
            images=zip_of({"affiche.png": pixel_flood_png(7740, 7740)}),
            dry_run=True,
        )

    assert report.errors == [
        {
            "line": 2,
            "column": "images",
            "message": "Image « affiche.png » : Cette image PNG est trop grande (plus de 25 millions de pixels). "
            "Réduisez-la, ou envoyez-la en JPEG (jusqu'à 60 millions de pixels).",
        }
    ]


IMAGES_HEADER = "sku;titre;prix;images\n"


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buffer, "GIF")
    return buffer.getvalue()


def test_zip_entries_with_traversal_names_are_only_matched_by_base_name(town_a):
    with town_a:
        merchant = MerchantFactory()
        archive = zip_of({"../../../../tmp/evil.png": small_png(), "/abs/ok.png": small_png()})
        data = (IMAGES_HEADER + "A;Pain;1,20;ok.png\nB;Brioche;2;../../../../tmp/evil.png\n").encode()
        report = import_products(merchant=merchant, data=data, filename="p.csv", images=archive)
        # "../../../../tmp/evil.png" is not a name in the archive's flat namespace: refused, nothing written
        assert not report.is_valid
        assert not Product.objects.filter(merchant=merchant).exists()


def test_a_dry_run_flags_a_zip_image_in_a_format_the_real_import_refuses(town_a):
    """The dry run refuses, on its line, a ZIP image in a format the real import refuses (photos are JPEG,
    PNG, WebP or HEIF; a GIF, BMP, TIFF or ICO is not): it would otherwise find every row fine, and the real
    import then fail as a whole with no line number."""
    with town_a:
        merchant = MerchantFactory()
        data = (IMAGES_HEADER + "A;Pain;1,20;pain.gif\n").encode()
        report = import_products(
            merchant=merchant, data=data, filename="p.csv", images=zip_of({"pain.gif": _gif()}), dry_run=True
        )
    assert [(error["line"], error["column"]) for error in report.errors] == [(2, "images")]


def test_a_failed_import_leaves_no_photo_files_behind(town_a, monkeypatch):
    """An import whose write phase fails after some photos were attached leaves no file behind: the rows
    roll back, and so do the re-encoded photos already on the storage."""

    def fail(**kwargs):
        raise DatabaseError("panne")

    with town_a:
        merchant = MerchantFactory()
        monkeypatch.setattr(products_module, "refresh_search_vectors", fail)
        data = (IMAGES_HEADER + "A;Pain;1,20;a.png\nB;Brioche;2;b.png\n").encode()
        saved: list[str] = []
        original_save = default_storage.save

        def spy(name, content, *args, **kwargs):
            saved.append(original_save(name, content, *args, **kwargs))
            return saved[-1]

        monkeypatch.setattr(default_storage, "save", spy)
        report = import_products(
            merchant=merchant, data=data, filename="p.csv", images=zip_of({"a.png": small_png(), "b.png": small_png()})
        )
        assert not report.is_committed
        assert not Product.objects.filter(merchant=merchant).exists()
        assert saved, "the photos were written during the import"
        assert [name for name in saved if default_storage.exists(name)] == []


# --- command line ------------------------------------------------------------------------------
def test_command_imports_with_progress_bar_and_dry_run_writes_nothing(town_a, tmp_path):
    source = tmp_path / "catalogue.csv"
    source.write_bytes((FIXTURES / "products.csv").read_bytes())
    with town_a:
        MerchantFactory(slug="epicerie-centrale")
    out, err = io.StringIO(), io.StringIO()

    call_command("import_products", "ville-a", "epicerie-centrale", str(source), "--dry-run", stdout=out, stderr=err)

    assert out.getvalue() == ("Essai à blanc, 3 ligne(s) valides, rien n'a été enregistré (3 créé(s), 0 mis à jour).\n")
    assert "Vérification [##############################] 100 % (3/3)" in err.getvalue()
    with town_a:
        assert Product.objects.filter(merchant__slug="epicerie-centrale").count() == 0

    call_command("import_products", "ville-a", "epicerie-centrale", str(source), stdout=out, stderr=err)

    with town_a:
        assert Product.objects.filter(merchant__slug="epicerie-centrale").count() == 3


def test_command_reports_each_bad_row_and_fails(town_a, tmp_path):
    source = tmp_path / "catalogue.csv"
    source.write_bytes(csv_bytes("S1;Savon;;3;;;;;", "S2;Brosse;;-4;;;;;"))
    with town_a:
        MerchantFactory(slug="droguerie")
    err = io.StringIO()

    with pytest.raises(CommandError, match=r"^1 erreur\(s\) sur 2 ligne\(s\) : rien n'a été enregistré\.$"):
        call_command("import_products", "ville-a", "droguerie", str(source), stdout=io.StringIO(), stderr=err)

    assert "ligne 3, colonne prix : Un prix ne peut pas être négatif." in err.getvalue()


def test_import_merchants_command(town_a, tmp_path):
    source = tmp_path / "commerces.csv"
    source.write_bytes((FIXTURES / "merchants-cp1252.csv").read_bytes())
    out = io.StringIO()

    call_command("import_merchants", "ville-a", str(source), stdout=out, stderr=io.StringIO())

    assert out.getvalue() == "Import terminé : 2 ligne(s), 2 créé(s), 0 mis à jour.\n"


def test_import_task_refuses_to_run_in_public(db):
    with pytest.raises(TownTaskOutsideTown):
        run_import_job.apply(args=[1], throw=True)


# --- back-office -------------------------------------------------------------------------------
def _login(client, town, role, merchant=None):
    from accounts.models import User
    from catalog.models import MerchantMembership

    with town:
        user = User.objects.create_user(email=f"{role}@example.fr", password="x" * 12, role=role)
        if merchant is not None:
            MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
        client.force_login(user)
    return user


def test_merchant_staff_uploads_a_file_and_sees_the_report(town_a, client_a, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with town_a:
        merchant = MerchantFactory(slug="epicerie")
    _login(client_a, town_a, "merchant_staff", merchant)
    upload = SimpleUploadedFile("catalogue.csv", (FIXTURES / "products.csv").read_bytes(), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/gestion/catalogue/imports/", {"kind": "products", "merchant": "epicerie", "source": upload}
        )

    assert response.status_code == 302
    page = client_a.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert '<meta http-equiv="refresh"' not in html
    assert "3 produit(s) créé(s)" in html
    with town_a:
        assert Product.objects.filter(merchant=merchant).count() == 3


def test_dry_run_in_the_back_office_lists_errors_in_a_table(town_a, client_a, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with town_a:
        MerchantFactory(slug="epicerie")
    _login(client_a, town_a, "town_agent")
    upload = SimpleUploadedFile("c.csv", csv_bytes("S1;Savon;;-1;;;;;"), "text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/gestion/catalogue/imports/",
            {"kind": "products", "merchant": "epicerie", "source": upload, "is_dry_run": "on"},
        )

    html = client_a.get(response["Location"]).content.decode()
    assert "<caption" in html
    assert '<th scope="col">Ligne</th>' in html
    assert "Un prix ne peut pas être négatif." in html


def test_running_job_page_refreshes_itself_with_a_progress_element(town_a, client_a):
    from catalog.models import ImportJob, ImportStatus

    with town_a:
        merchant = MerchantFactory(slug="epicerie")
        job = ImportJob.objects.create(
            kind="products",
            merchant=merchant,
            source="imports/x.csv",
            status=ImportStatus.RUNNING,
            total_rows=200,
            processed_rows=50,
        )
    _login(client_a, town_a, "merchant_staff", merchant)

    html = client_a.get(f"/gestion/catalogue/imports/{job.pk}/").content.decode()

    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress id="progression" max="100" value="25">25 %</progress>' in html


def test_another_merchants_staff_cannot_import_into_or_see_a_job(town_a, client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.models import ImportJob

    with town_a:
        mine, theirs = MerchantFactory(slug="a-moi"), MerchantFactory(slug="pas-a-moi")
        job = ImportJob.objects.create(kind="products", merchant=theirs, source="imports/x.csv")
        ProductFactory(merchant=theirs)
    _login(client_a, town_a, "merchant_staff", mine)
    upload = SimpleUploadedFile("c.csv", csv_bytes("S1;Savon;;1;;;;;"), "text/csv")

    response = client_a.post(
        "/gestion/catalogue/imports/", {"kind": "products", "merchant": "pas-a-moi", "source": upload}
    )

    assert response.status_code == 200  # the form says the choice is invalid
    assert client_a.get(f"/gestion/catalogue/imports/{job.pk}/").status_code == 404
    assert client_a.get("/gestion/catalogue/imports/export/pas-a-moi.csv").status_code == 404
    with town_a:
        assert ImportJob.objects.count() == 1


def test_merchant_staff_cannot_import_the_town_merchant_list(town_a, client_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with town_a:
        mine = MerchantFactory(slug="a-moi")
    _login(client_a, town_a, "merchant_staff", mine)
    upload = SimpleUploadedFile("m.csv", b"nom\nPirate\n", "text/csv")

    response = client_a.post("/gestion/catalogue/imports/", {"kind": "merchants", "source": upload})

    assert response.status_code == 200
    with town_a:
        assert not Merchant.objects.filter(name="Pirate").exists()


def test_anonymous_visitors_are_sent_to_login(client_a):
    response = client_a.get("/gestion/catalogue/imports/")

    assert response.status_code == 302
    assert "/compte/login/" in response["Location"] or "login" in response["Location"]
