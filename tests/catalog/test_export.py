from __future__ import annotations

import io
import zipfile

from django.core.management import call_command
from PIL import Image

from catalog.actions import add_photo
from catalog.export import neutralise_formula, write_photos_zip, write_products_csv
from catalog.imports import import_products
from catalog.models import Category, Photo, PhotoStatus, Product, Variant
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory


def exported(merchant) -> str:
    buffer = io.StringIO(newline="")
    write_products_csv(merchant=merchant, stream=buffer)
    return buffer.getvalue()


def test_export_is_semicolon_utf8_with_bom_in_the_import_columns(town_a):
    with town_a:
        merchant = MerchantFactory()
        category = Category.objects.get(slug="alimentation-epicerie")
        product = ProductFactory(
            merchant=merchant, title="Café moulu", slug="cafe-moulu", price_cents=690, vat_rate=550, category=category
        )
        VariantFactory(product=product, sku="CAFE-250", stock=None, ean="3017620422003")

        text = exported(merchant)

    assert text == (
        "\ufeffsku;titre;description;categorie;prix;tva;unite;stock;ean;images;publie;ref_produit;declinaison\r\n"
        "CAFE-250;Café moulu;;Alimentation > Épicerie;6,90;5,5;piece;;3017620422003;;oui;cafe-moulu;\r\n"
    )


def test_cells_that_look_like_formulas_get_a_leading_apostrophe():
    assert [neutralise_formula(cell) for cell in ("=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx", "Savon", "")] == [
        "'=1+1",
        "'+33",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Savon",
        "",
    ]


def test_exported_formula_is_escaped_and_reimports_as_the_same_text(town_a):
    with town_a:
        merchant = MerchantFactory()
        product = ProductFactory(merchant=merchant, title='=HYPERLINK("http://evil.example")', description="-bio")
        VariantFactory(product=product, sku="@S1", stock=3)

        text = exported(merchant)
        assert "'=HYPERLINK" in text
        assert ";'-bio;" in text
        assert text.split("\r\n")[1].startswith("'@S1;")

        Product.objects.filter(merchant=merchant).update(title="changé")
        report = import_products(merchant=merchant, data=text.encode("utf-8"), filename="export.csv")

        assert report.errors == []
        assert (report.created, report.updated) == (0, 1)
        assert list(
            Variant.objects.filter(merchant=merchant).values_list("sku", "product__title", "product__description")
        ) == [("@S1", '=HYPERLINK("http://evil.example")', "-bio")]


def test_round_trip_export_then_import_changes_nothing(town_a):
    with town_a:
        merchant = MerchantFactory()
        for n, (unit, vat, stock) in enumerate([("piece", 2000, 4), ("kg", 550, None), ("litre", 210, 0)]):
            product = ProductFactory(
                merchant=merchant,
                title=f"Produit {n}",
                price_cents=1234 + n,
                vat_rate=vat,
                unit=unit,
                is_published=bool(n % 2),
                description="<p>Texte ; avec « guillemets »\net retour</p>",
            )
            VariantFactory(product=product, sku=f"S{n}", stock=stock)
        fields = (
            "sku",
            "product__title",
            "product__price_cents",
            "product__vat_rate",
            "product__unit",
            "stock",
            "product__is_published",
            "product__description",
            "ean",
        )
        before = list(Variant.objects.filter(merchant=merchant).order_by("sku").values_list(*fields))

        report = import_products(merchant=merchant, data=exported(merchant).encode("utf-8"), filename="e.csv")

        assert (report.errors, report.created, report.updated) == ([], 0, 3)
        assert list(Variant.objects.filter(merchant=merchant).order_by("sku").values_list(*fields)) == before


def test_export_command_writes_a_file(town_a, tmp_path):
    with town_a:
        merchant = MerchantFactory(slug="caviste")
        VariantFactory(product__merchant=merchant, product__title="Vin", sku="V1")
    target = tmp_path / "caviste.csv"

    call_command("export_products", "ville-a", "caviste", "-o", str(target), stderr=io.StringIO())

    assert target.read_bytes().startswith(b"\xef\xbb\xbfsku;titre;")
    assert "V1;Vin;" in target.read_text(encoding="utf-8-sig")


def test_back_office_download_for_the_merchants_own_staff(town_a, client_a):
    from accounts.models import Role, User
    from catalog.models import MerchantMembership

    with town_a:
        merchant = MerchantFactory(slug="caviste")
        VariantFactory(product__merchant=merchant, product__title="=cmd|' /C calc'!A0", sku="V1")
        user = User.objects.create_user(email="caviste@example.fr", password="x" * 12, role=Role.MERCHANT_STAFF)
        MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
        client_a.force_login(user)

    response = client_a.get("/gestion/catalogue/imports/export/caviste.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="catalogue-caviste.csv"'
    assert "\r\nV1;'=cmd|' /C calc'!A0;;;12,50;20;piece;10;;;oui;" in response.content.decode("utf-8-sig")


def test_export_neutralises_every_formula_a_merchant_can_type(town_a):
    with town_a:
        merchant = MerchantFactory()
        product = ProductFactory(
            merchant=merchant, title='=HYPERLINK("http://evil","x")', description="@SUM(1+1)*cmd|' /C calc'!A0"
        )
        VariantFactory(product=product, sku="+SKU", name="-2+3")
        stream = io.StringIO()
        write_products_csv(merchant=merchant, stream=stream)
    cells = [cell for line in stream.getvalue().splitlines()[1:] for cell in line.split(";")]
    assert all(not cell.lstrip('"').startswith(("=", "+", "-", "@")) for cell in cells), cells


# --- photos and variants -----------------------------------------------------------------------
def _jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), "green").save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def test_the_images_column_names_the_photos_and_the_zip_holds_them(town_a):
    with town_a:
        merchant = MerchantFactory()
        product = ProductFactory(merchant=merchant, title="Confiture", slug="confiture")
        VariantFactory(product=product, sku="C1")
        first = add_photo(upload=_jpeg(), product=product)
        second = add_photo(upload=_jpeg(), product=product)
        broken = add_photo(upload=_jpeg(), product=product)
        Photo.objects.filter(pk=broken.pk).update(status=PhotoStatus.FAILED)
        names = [first.image.name.rsplit("/", 1)[1], second.image.name.rsplit("/", 1)[1]]

        text = exported(merchant)
        archive = io.BytesIO()
        count = write_photos_zip(merchant=merchant, stream=archive)

    assert f";{names[0]}|{names[1]};oui;confiture;\r\n" in text
    assert count == 2
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == sorted(names)


def test_an_export_and_its_zip_reimport_into_another_merchant_with_photos_and_variants(town_a):
    with town_a:
        source = MerchantFactory()
        shirt = ProductFactory(merchant=source, title="Chemise", price_cents=4500)
        VariantFactory(product=shirt, sku="CH-M", name="M", stock=2, position=0)
        VariantFactory(product=shirt, sku="CH-XL", name="XL", stock=1, price_cents=4900, position=1)
        add_photo(upload=_jpeg(), product=shirt, alt_text="Chemise pliée")
        text = exported(source)
        archive = io.BytesIO()
        write_photos_zip(merchant=source, stream=archive)
        archive.seek(0)
        target = MerchantFactory()

        report = import_products(merchant=target, data=text.encode("utf-8"), filename="e.csv", images=archive)

        assert (report.errors, report.created, report.photos) == ([], 2, 1)
        product = Product.objects.get(merchant=target)
        assert (product.title, product.price_cents) == ("Chemise", 4500)
        assert list(product.variants.order_by("position").values_list("sku", "name", "price_cents", "stock")) == [
            ("CH-M", "M", None, 2),
            ("CH-XL", "XL", 4900, 1),
        ]
        assert Photo.objects.filter(product=product).count() == 1


def test_a_photo_name_that_looks_like_a_formula_is_escaped(town_a):
    with town_a:
        merchant = MerchantFactory()
        product = ProductFactory(merchant=merchant, title="Savon", slug="savon")
        VariantFactory(product=product, sku="SV")
        Photo.objects.create(product=product, image="photos/products/1/=1+1.jpg", width=8, height=6)

        text = exported(merchant)

    assert ";'=1+1.jpg;oui;savon;\r\n" in text


def test_export_command_writes_the_photos_zip_beside_the_csv(town_a, tmp_path):
    with town_a:
        merchant = MerchantFactory(slug="fleuriste")
        product = ProductFactory(merchant=merchant, title="Bouquet")
        VariantFactory(product=product, sku="B1")
        photo = add_photo(upload=_jpeg(), product=product)

    call_command(
        "export_products",
        "ville-a",
        "fleuriste",
        "-o",
        str(tmp_path / "fleuriste.csv"),
        "--images",
        str(tmp_path / "fleuriste.zip"),
        stderr=io.StringIO(),
    )

    name = photo.image.name.rsplit("/", 1)[1]
    assert f";{name};" in (tmp_path / "fleuriste.csv").read_text(encoding="utf-8-sig")
    with zipfile.ZipFile(tmp_path / "fleuriste.zip") as archive:
        assert archive.namelist() == [name]
