"""Posters and window stickers: each QR code decoded from the rendered PDF opens the shop named on its page."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
import re

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Role, User
from catalog.models import MerchantStatus
from onboarding.posters.actions import render_batch, request_poster_batch
from onboarding.posters.models import PosterBatch, PosterBatchStatus, PosterFormat
from onboarding.posters.rendering import (
    Branding,
    PosterEntry,
    readable_text_colour,
    render_posters_pdf,
    text_direction,
)
from tenants.models import Town
from tests.catalog.factories import MerchantFactory
from tests.onboarding.factories import make_agent

ARABIC_NAME = "مخبز الأمل"
HEBREW_NAME = "מאפיית השלום"
# The longest name a merchant may have (Merchant.name is 160 characters), in words a line cannot hold whole.
LONGEST_NAME = ("Épicerie fine et cave à vins de la place d’Armes " * 4)[:159] + "Z"
NAME_OF_200 = "Boulangerie-pâtisserie " + "x" * 170 + " Calais"

BRANDING = Branding(
    town_name="Ville A",
    host="ville-a.test",
    primary_colour="#0055a4",
    secondary_colour="#ef4135",
    text_on_primary="#ffffff",
    text_on_secondary="#000000",
    logo_data_uri="",
)


RENDER_SCALE = 2  # 144 dpi


def qr_widths_cm(pdf: bytes) -> list[float]:
    """The width of each page's QR code as printed (finder pattern to finder pattern, quiet zone excluded)."""
    widths = []
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            (result,) = zxingcpp.read_barcodes(page.render(scale=RENDER_SCALE).to_pil())
            pixels = result.position.top_right.x - result.position.top_left.x
            widths.append(pixels / (72 * RENDER_SCALE) * 2.54)
            page.close()
    finally:
        document.close()
    return widths


def decoded_pages(
    pdf: bytes,
) -> list[tuple[list[str], str, list[tuple[float, float, float, float]], tuple[float, float]]]:
    """Per page: the QR codes read from its image, its text, its characters' boxes and its size."""
    pages = []
    document = pdfium.PdfDocument(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    try:
        for index, page in enumerate(document):
            image = page.render(scale=RENDER_SCALE).to_pil()
            codes = [result.text for result in zxingcpp.read_barcodes(image)]
            text_page = page.get_textpage()
            boxes = [text_page.get_charbox(i) for i in range(text_page.count_chars())]
            pages.append((codes, reader.pages[index].extract_text(), boxes, page.get_size()))
            text_page.close()
            page.close()
    finally:
        document.close()
    return pages


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_each_qr_code_of_a_batch_opens_the_shop_named_on_its_page(
    town_a: Town, isolated_media: object, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        agent = make_agent()
        plain = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        longest = MerchantFactory(name=LONGEST_NAME, slug="epicerie-fine")
        arabic = MerchantFactory(name=ARABIC_NAME, slug="makhbaz-al-amal")
        with django_capture_on_commit_callbacks(execute=True):
            batch = request_poster_batch(
                user=agent, poster_format=PosterFormat.A4_POSTER, merchant_ids=[plain.pk, longest.pk, arabic.pk]
            )
        batch.refresh_from_db()
        assert (batch.status, batch.done_count, batch.total_count) == (PosterBatchStatus.DONE, 3, 3)
        assert batch.finished_at is not None
        with batch.file.open("rb") as stored:
            pdf = stored.read()
    pages = decoded_pages(pdf)
    # French alphabetical order: Boulangerie, Épicerie, then the Arabic name.
    expected = [
        ("Boulangerie Dupont", "https://ville-a.test/commerces/boulangerie-dupont/"),
        (LONGEST_NAME, "https://ville-a.test/commerces/epicerie-fine/"),
        (ARABIC_NAME, "https://ville-a.test/commerces/makhbaz-al-amal/"),
    ]
    assert len(pages) == 3
    for (codes, text, _boxes, _size), (name, url) in zip(pages, expected, strict=True):
        assert codes == [url]
        assert squeezed(name) in squeezed(text)
        assert "Commandezenlignesurville-a.test" in squeezed(text)
    # Big enough to scan from the pavement: at least 5 cm on an A4 poster.
    assert all(width >= 5 for width in qr_widths_cm(pdf))


@pytest.mark.parametrize(
    ("poster_format", "size"), [(PosterFormat.A4_POSTER, (595, 842)), (PosterFormat.A6_STICKER, (298, 420))]
)
def test_a_200_character_name_and_right_to_left_names_stay_whole_on_their_own_page(
    poster_format: str, size: tuple[int, int]
) -> None:
    entries = [
        PosterEntry(name=NAME_OF_200, shop_url="https://ville-a.test/commerces/long/"),
        PosterEntry(name=ARABIC_NAME, shop_url="https://ville-a.test/commerces/arabe/"),
        PosterEntry(name=HEBREW_NAME, shop_url="https://ville-a.test/commerces/hebreu/"),
    ]
    progress: list[tuple[int, int]] = []
    pdf = render_posters_pdf(
        entries,
        branding=BRANDING,
        poster_format=poster_format,
        progress=lambda done, total: progress.append((done, total)),
        pages_per_chunk=2,
    )
    assert progress == [(2, 3), (3, 3)]
    pages = decoded_pages(pdf)
    assert len(pages) == 3
    for (codes, text, boxes, (width, height)), entry in zip(pages, entries, strict=True):
        assert (round(width), round(height)) == size
        assert codes == [entry.shop_url]
        # Every character is drawn inside the page (none cut at an edge or pushed onto another page).
        assert all(left >= 0 and right <= width and bottom >= 0 and top <= height for left, bottom, right, top in boxes)
        assert set(squeezed(entry.name)) <= set(text)
    assert squeezed(NAME_OF_200) in squeezed(pages[0][1])


def test_text_on_the_town_colours_is_black_or_white_whichever_reads_better() -> None:
    assert [readable_text_colour(colour) for colour in ("#0055a4", "#ffd700", "#000000", "#ffffff")] == [
        "#ffffff",
        "#000000",
        "#ffffff",
        "#000000",
    ]


def test_the_town_logo_is_drawn_from_a_data_uri_and_the_qr_code_still_reads() -> None:
    logo = io.BytesIO()
    Image.new("RGB", (120, 60), "#ef4135").save(logo, format="PNG")
    branding = dataclasses.replace(
        BRANDING, logo_data_uri="data:image/png;base64," + base64.b64encode(logo.getvalue()).decode()
    )
    pdf = render_posters_pdf(
        [PosterEntry(name="Chez Léa", shop_url="https://ville-a.test/commerces/chez-lea/")],
        branding=branding,
        poster_format=PosterFormat.A4_POSTER,
    )
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=1).to_pil().convert("RGB")
        # The logo's red sits in the town's blue band at the top of the page.
        band = image.crop((0, 0, image.width, 100))
        assert (239, 65, 53) in {colour for _count, colour in band.getcolors(maxcolors=1 << 20)}
        assert [result.text for result in zxingcpp.read_barcodes(image)] == ["https://ville-a.test/commerces/chez-lea/"]
    finally:
        document.close()


def test_right_to_left_names_are_set_right_to_left() -> None:
    assert [text_direction(name) for name in (ARABIC_NAME, HEBREW_NAME, "Chez Léa", "123 " + HEBREW_NAME)] == [
        "rtl",
        "rtl",
        "ltr",
        "rtl",
    ]


def test_a_batch_of_no_merchant_is_refused_in_french_and_nothing_is_queued(
    town_a: Town, client_a: Client, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        agent = make_agent()
        MerchantFactory(name="Boulangerie Dupont")
        client_a.force_login(agent)
        with pytest.raises(ValidationError, match=r"Choisissez au moins un commerce\."):
            request_poster_batch(user=agent, poster_format=PosterFormat.A4_POSTER, merchant_ids=[])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(
            "/gestion/accompagnement/affiches/", {"format": "a4_poster", "scope": "selection", "action": "generate"}
        )
    assert response.status_code == 400
    assert "Choisissez au moins un commerce." in response.content.decode()
    assert callbacks == []
    with town_a:
        assert PosterBatch.objects.count() == 0


def test_a_merchant_that_is_not_live_gets_no_poster(town_a: Town) -> None:
    with town_a:
        agent = make_agent()
        draft = MerchantFactory(status=MerchantStatus.DRAFT)
        with pytest.raises(ValidationError, match="Seuls les commerces en ligne"):
            request_poster_batch(user=agent, poster_format=PosterFormat.A6_STICKER, merchant_ids=[draft.pk])
        assert PosterBatch.objects.count() == 0


def test_generating_for_all_live_merchants_queues_one_batch_and_shows_its_progress(
    town_a: Town, client_a: Client, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        agent = make_agent()
        first = MerchantFactory(name="Bazar")
        second = MerchantFactory(name="Atelier")
        MerchantFactory(name="Brouillon", status=MerchantStatus.DRAFT)
        client_a.force_login(agent)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_a.post(
            "/gestion/accompagnement/affiches/", {"format": "a6_sticker", "scope": "all", "action": "generate"}
        )
    assert len(callbacks) == 1  # the rendering, queued after commit (not run here)
    with town_a:
        batch = PosterBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/accompagnement/affiches/{batch.pk}/"
    assert (batch.format, batch.merchant_ids, batch.status) == ("a6_sticker", [second.pk, first.pk], "pending")
    with town_a:
        PosterBatch.objects.filter(pk=batch.pk).update(status=PosterBatchStatus.RUNNING, done_count=1)
    page = client_a.get(f"/gestion/accompagnement/affiches/{batch.pk}/").content.decode()
    assert 'role="progressbar"' in page
    assert 'aria-valuenow="1"' in page
    assert "1 / 2" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert client_a.get(f"/gestion/accompagnement/affiches/{batch.pk}/pdf/").status_code == 404


def test_filtering_keeps_the_ticked_merchants(town_a: Town, client_a: Client) -> None:
    with town_a:
        client_a.force_login(make_agent())
        bazar = MerchantFactory(name="Bazar")
        MerchantFactory(name="Atelier")
    response = client_a.post(
        "/gestion/accompagnement/affiches/",
        {"format": "a4_poster", "scope": "selection", "merchants": [str(bazar.pk)], "q": "Atel", "action": "filter"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<input type="hidden" name="merchants" value="{bazar.pk}">' in page
    assert ">Bazar<" not in page
    assert ">Atelier<" in page
    with town_a:
        assert PosterBatch.objects.count() == 0


def test_the_posters_page_costs_the_same_queries_whatever_the_number_of_merchants(
    town_a: Town, client_a: Client, django_assert_num_queries: object
) -> None:
    with town_a:
        client_a.force_login(make_agent())
        for index in range(12):
            MerchantFactory(name=f"Commerce {index}")
        for _ in range(3):
            PosterBatch.objects.create(format=PosterFormat.A4_POSTER, merchant_ids=[1], total_count=1)
    # town routing (3), session and user (2), live ids, merchants, batches
    with django_assert_num_queries(8):
        response = client_a.get("/gestion/accompagnement/affiches/")
    assert response.status_code == 200
    assert response.content.decode().count('name="merchants"') == 12


def test_the_pdf_is_for_the_town_staff_of_its_town_only(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client, isolated_media: object
) -> None:
    with town_a:
        batch = PosterBatch.objects.create(
            format=PosterFormat.A4_POSTER, merchant_ids=[1], total_count=1, done_count=1, status=PosterBatchStatus.DONE
        )
        batch.file.save("affiches.pdf", io.BytesIO(b"%PDF-1.7 test"), save=True)
        merchant_user = User.objects.create_user("boutique@ville-a.test", "pw-boutique-2026", role=Role.MERCHANT_STAFF)
        client_a.force_login(merchant_user)
    url = f"/gestion/accompagnement/affiches/{batch.pk}/pdf/"
    assert client_a.get(url).status_code == 403
    with town_b:
        client_b.force_login(make_agent("agent@ville-b.test"))
    assert client_b.get(url).status_code == 404
    with town_a:
        client_a.force_login(make_agent())
    response = client_a.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith('attachment; filename="affiches-')


def test_the_demo_batch_is_rendered_once_for_the_live_merchants(town_a: Town, isolated_media: object) -> None:
    from demo.onboarding_posters import seed_demo_posters

    with town_a:
        MerchantFactory(name="Bazar")
        MerchantFactory(name="Atelier")
        first = seed_demo_posters()
        again = seed_demo_posters()
        assert first is not None
        assert (first.status, first.done_count, again.pk if again else None) == (PosterBatchStatus.DONE, 2, first.pk)
        assert PosterBatch.objects.count() == 1


def test_a_failed_or_stalled_batch_can_be_run_again_and_a_running_one_is_left_alone(
    town_a: Town, client_a: Client, isolated_media: object, django_capture_on_commit_callbacks: object
) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(name="Bazar", slug="bazar")
        client_a.force_login(agent)
        failed = PosterBatch.objects.create(
            format=PosterFormat.A4_POSTER, merchant_ids=[merchant.pk], total_count=1, status=PosterBatchStatus.FAILED
        )
        running = PosterBatch.objects.create(
            format=PosterFormat.A4_POSTER,
            merchant_ids=[merchant.pk],
            total_count=1,
            status=PosterBatchStatus.RUNNING,
            started_at=timezone.now() - dt.timedelta(minutes=2),
        )
        stalled = PosterBatch.objects.create(
            format=PosterFormat.A6_STICKER,
            merchant_ids=[merchant.pk],
            total_count=1,
            status=PosterBatchStatus.RUNNING,
            started_at=timezone.now() - dt.timedelta(minutes=20),
        )
    assert "Relancer la génération" in client_a.get(f"/gestion/accompagnement/affiches/{stalled.pk}/").content.decode()
    for batch in (failed, running, stalled):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_a.post(f"/gestion/accompagnement/affiches/{batch.pk}/relancer/")
        assert response.status_code == 302
    with town_a:
        statuses = dict(PosterBatch.objects.values_list("pk", "status"))
    assert statuses == {failed.pk: "done", running.pk: "running", stalled.pk: "done"}


def test_a_batch_whose_merchants_are_gone_ends_failed_with_a_french_message(town_a: Town) -> None:
    with town_a:
        batch = PosterBatch.objects.create(format=PosterFormat.A4_POSTER, merchant_ids=[987654], total_count=1)
        rendered = render_batch(batch=batch)
        assert (rendered.status, rendered.file.name, rendered.error) == (
            PosterBatchStatus.FAILED,
            "",
            "Aucun des commerces choisis n’existe plus.",
        )


def test_a_showcase_merchant_is_found_online_not_ordered_from() -> None:
    pdf = render_posters_pdf(
        [
            PosterEntry(
                name="Agence du Beffroi", shop_url="https://ville-a.test/commerces/agence/", sells_online=False
            ),
            PosterEntry(name="Chez Léa", shop_url="https://ville-a.test/commerces/chez-lea/"),
        ],
        branding=BRANDING,
        poster_format=PosterFormat.A4_POSTER,
    )
    pages = [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert "Retrouvez-nous sur" in pages[0]
    assert "Commandez" not in pages[0]
    assert "Commandez en ligne sur" in pages[1]
