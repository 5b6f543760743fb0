"""The operator console and the towns API: operators only, French form errors for bad input (never a
500), town names, colours and images checked before they reach a town's pages."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import Role, User
from accounts.tokens import issue_api_token
from tenants.models import Domain, Town, TownStatus


def test_console_requires_an_operator(db):
    anonymous = Client(HTTP_HOST="test")
    assert anonymous.get("/console/")["Location"].startswith("/compte/login/")

    resident = User.objects.create_user(email="habitant@exemple.fr", password="mot-de-passe-long-3")
    anonymous.force_login(resident)
    assert anonymous.get("/console/").status_code == 403


def test_console_lists_towns_without_the_template_in_constant_queries(operator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = operator_client.get("/console/")
    html = response.content.decode()
    assert "Ville A" in html
    assert "Ville B" in html
    assert "_template" not in html


def test_console_creates_a_town(operator_client):
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Saint-Pol",
            "slug": "saint-pol",
            "kind": "commune",
            "insee_codes": "62767",
            "primary_color": "#1d3557",
            "secondary_color": "#6b2737",
            "admin_email": "",
            "custom_domain": "",
            "tagline": "Le commerce de proximité",
        },
    )

    assert response.status_code == 302
    town = Town.objects.get(slug="saint-pol")
    assert (town.name, town.insee_codes, town.status) == ("Saint-Pol", ["62767"], TownStatus.READY)


def test_console_shows_french_errors_and_creates_nothing_on_bad_input(operator_client):
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Pas Bon",
            "slug": "Pas Bon",
            "kind": "commune",
            "insee_codes": "6219",
            "primary_color": "#ffff00",
            "secondary_color": "#6b2737",
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "n&#x27;est pas valide" in html
    assert "trop claire" in html
    assert "code INSEE" in html
    assert not Town.objects.filter(name="Pas Bon").exists()


def test_console_duplicate_slug_is_shown_on_the_form(operator_client):
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Encore A",
            "slug": "ville-a",
            "kind": "commune",
            "primary_color": "#1d3557",
            "secondary_color": "#6b2737",
        },
    )
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()


def test_console_edits_branding_and_refuses_low_contrast(operator_client, town_a):
    data = {
        "name": "Ville A",
        "kind": "commune",
        "insee_codes": "62193",
        "tagline": "Nouvelle accroche",
        "primary_color": "#003366",
        "secondary_color": "#6b2737",
        "publisher_name": "Mairie de A",
        "publisher_address": "",
        "publisher_phone": "",
        "publisher_email": "",
        "publisher_siret": "",
        "publication_director": "",
        "payment_gateway": "test",
        "collector_mode": "regie",
    }
    assert operator_client.post("/console/villes/ville-a/", data).status_code == 302
    town_a.refresh_from_db()
    assert (town_a.tagline, town_a.primary_color, town_a.insee_codes) == ("Nouvelle accroche", "#003366", ["62193"])

    response = operator_client.post("/console/villes/ville-a/", {**data, "primary_color": "#eeeeee"})
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.primary_color == "#003366"


def test_console_suspends_and_resumes(operator_client, town_b):
    operator_client.post("/console/villes/ville-b/suspendre/")
    town_b.refresh_from_db()
    assert town_b.status == TownStatus.SUSPENDED
    operator_client.post("/console/villes/ville-b/reprendre/")
    town_b.refresh_from_db()
    assert town_b.status == TownStatus.READY


def _api_client(db_user_role: str = Role.OPERATOR, is_staff: bool = True) -> Client:
    operator = User.objects.create_user(email=f"{db_user_role}@api.test", role=db_user_role, is_staff=is_staff)
    key = issue_api_token(user=operator, name="test")
    return Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.slow
def test_api_creates_lists_and_suspends_towns_with_a_token(db):
    api = _api_client()

    created = api.post(
        "/api/v1/towns/", {"slug": "marck", "name": "Marck", "insee_codes": ["62548"]}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slug"], body["status"], body["url"]) == ("marck", "ready", "https://marck.test/")
    assert body["provisioning"]["method"] == "clone"

    slugs = [town["slug"] for town in api.get("/api/v1/towns/").json()["results"]]
    assert slugs == ["marck", "ville-a", "ville-b"]

    assert api.post("/api/v1/towns/marck/suspend/").json()["status"] == "suspended"
    assert api.post("/api/v1/towns/marck/resume/").json()["status"] == "ready"


def test_api_rejects_bad_input_with_french_messages(db):
    api = _api_client()
    response = api.post("/api/v1/towns/", {"slug": "www", "name": "W"}, content_type="application/json")
    assert response.status_code == 400
    assert "réservé" in response.json()["slug"][0]

    response = api.patch("/api/v1/towns/ville-a/", {"primary_color": "#fafafa"}, content_type="application/json")
    assert response.status_code == 400
    assert "trop claire" in response.json()["primary_color"][0]


def test_api_refuses_anonymous_and_non_operators(db):
    assert Client(HTTP_HOST="test").get("/api/v1/towns/").status_code == 401
    assert _api_client(Role.RESIDENT, is_staff=False).get("/api/v1/towns/").status_code == 403


def test_api_is_described_in_the_openapi_schema(db):
    response = Client(HTTP_HOST="test").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/towns/", "/api/v1/towns/{slug}/", "/api/v1/towns/{slug}/suspend/"} <= set(paths)
    assert "post" in paths["/api/v1/towns/"]


def test_api_refuses_a_wrong_or_foreign_token(db, town_a):
    with town_a:
        town_user = User.objects.create_user(email="op@ville-a.fr", role=Role.OPERATOR, is_staff=True)
        town_key = issue_api_token(user=town_user)
    # a token issued in a town means nothing on the operator site
    assert Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {town_key}").get("/api/v1/towns/").status_code == 401
    assert Client(HTTP_HOST="test", HTTP_AUTHORIZATION="Token faux-jeton").get("/api/v1/towns/").status_code == 401


def _branding_data(**extra: object) -> dict[str, object]:
    return {
        "name": "Ville A",
        "kind": "commune",
        "insee_codes": "",
        "tagline": "",
        "primary_color": "#003366",
        "secondary_color": "#6b2737",
        "publisher_name": "",
        "publisher_address": "",
        "publisher_phone": "",
        "publisher_email": "",
        "publisher_siret": "",
        "publication_director": "",
        "payment_gateway": "test",
        "collector_mode": "regie",
        **extra,
    }


def test_console_uploads_a_logo_shown_on_the_town_site(operator_client, town_a, client_a, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), "#003366").save(buffer, format="PNG")
    logo = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")

    assert operator_client.post("/console/villes/ville-a/", _branding_data(logo=logo)).status_code == 302

    town_a.refresh_from_db()
    assert town_a.logo.name.startswith("branding/ville-a/")
    html = client_a.get("/").content.decode()
    assert f'src="/media/public/{town_a.logo.name}"' in html
    assert client_a.get(f"/media/public/{town_a.logo.name}").status_code == 200


def test_branding_images_are_re_encoded_by_the_photo_engine_without_metadata(
    operator_client, town_a, settings, tmp_path
):
    """Logo and hero image were stored as the operator's own bytes: EXIF with GPS, comments, text chunks."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.catalog.test_photos import jpeg_segments, jpeg_with_every_metadata, png_chunks, png_with_text_chunks

    settings.MEDIA_ROOT = tmp_path
    logo = SimpleUploadedFile("logo.png", png_with_text_chunks(size=(2000, 1000)), content_type="image/png")
    hero = SimpleUploadedFile("accueil.jpg", jpeg_with_every_metadata(), content_type="image/jpeg")

    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=logo, hero_image=hero))

    assert response.status_code == 302
    town_a.refresh_from_db()
    with town_a.logo.open("rb") as stored:
        kept_logo = stored.read()
    with town_a.hero_image.open("rb") as stored:
        kept_hero = stored.read()
    # A transparent logo stays a transparent PNG, shrunk to 512 px, with nothing but its pixels.
    assert town_a.logo.name.endswith(".png")
    assert png_chunks(kept_logo) == [b"IHDR", b"IDAT", b"IEND"]
    assert Image.open(io.BytesIO(kept_logo)).size == (512, 256)
    assert Image.open(io.BytesIO(kept_logo)).getpixel((5, 5))[3] == 128
    assert town_a.hero_image.name.endswith(".jpg")
    assert not {0xFE, *range(0xE1, 0xF0)} & set(jpeg_segments(kept_hero))
    assert b"<script" not in kept_logo + kept_hero


def test_branding_images_have_the_photo_pixel_limits(operator_client, town_a, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.catalog.test_photos import pixel_flood_png

    settings.MEDIA_ROOT = tmp_path
    hero = SimpleUploadedFile("accueil.png", pixel_flood_png(7740, 7740), content_type="image/png")

    response = operator_client.post("/console/villes/ville-a/", _branding_data(hero_image=hero))

    assert response.status_code == 200
    assert "Cette image PNG est trop grande (plus de 25 millions de pixels)." in response.content.decode()
    town_a.refresh_from_db()
    assert not town_a.hero_image
    assert list(tmp_path.rglob("*.*")) == []


def test_console_refuses_a_pdf_renamed_as_a_logo(operator_client, town_a, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not an image", content_type="image/png")

    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=fake))

    assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.logo


# --- who may use the console and the API -----------------------------------------------------------


def test_console_and_api_refuse_anonymous_and_town_users(db, town_a):
    with town_a:
        impostor = User.objects.create_user(
            email="faux-operateur@ville-a.fr", password="mot-de-passe-long-1", role=Role.OPERATOR, is_staff=True
        )
    client = Client(HTTP_HOST="test")
    # town credentials mean nothing on the operator site
    login = client.post("/compte/login/", {"login": impostor.email, "password": "mot-de-passe-long-1"})
    assert login.status_code == 200
    console = client.get("/console/")
    assert console.status_code == 302
    assert console["Location"].startswith("/compte/login/")
    assert client.post("/console/villes/ville-a/suspendre/").status_code == 302
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


def test_public_resident_is_forbidden_on_the_console(db):
    resident = User.objects.create_user(email="curieux@exemple.fr", password="mot-de-passe-long-1")
    client = Client(HTTP_HOST="test")
    client.force_login(resident)
    assert client.get("/console/").status_code == 403
    assert client.post("/console/villes/ville-a/suspendre/").status_code == 403
    assert client.get("/console/villes/ville-a/").status_code == 403
    assert client.get("/api/v1/towns/").status_code == 403
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


def test_console_writes_refuse_get_and_missing_csrf(db, operator_client):
    assert operator_client.get("/console/villes/ville-a/suspendre/").status_code == 405
    Town.objects.get(slug="ville-a", status=TownStatus.READY)

    strict = Client(HTTP_HOST="test", enforce_csrf_checks=True)
    strict.cookies = operator_client.cookies
    assert strict.post("/console/villes/ville-a/suspendre/").status_code == 403
    assert strict.post("/api/v1/towns/ville-a/suspend/").status_code == 403
    Town.objects.get(slug="ville-a", status=TownStatus.READY)


# --- bad input: a French form error, nothing created ------------------------------------------------


def test_console_unknown_or_absurd_slugs_are_404(operator_client):
    for slug in ("inconnue", "a" * 500, "_template", "public"):
        assert operator_client.get(f"/console/villes/{slug}/").status_code == 404
        assert operator_client.post(f"/console/villes/{slug}/suspendre/").status_code == 404
    assert operator_client.get("/console/villes/%2e%2e/").status_code == 404


@pytest.mark.parametrize(
    "slug",
    ["Ville-C", "ville_c", "-ville", "ville-", "pg-ville", "a" * 41, "ville--c", "été", "www", "v\u200bille", "1 2"],
)
def test_console_refuses_bad_slugs_with_a_form_error_and_creates_nothing(operator_client, slug):
    before = Town.objects.count()
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {"name": "Ville C", "slug": slug, "kind": "commune", "primary_color": "#003366", "secondary_color": "#6b2737"},
    )
    assert response.status_code == 200
    assert Town.objects.count() == before


@pytest.mark.parametrize(
    "domain",
    ["test", "ville-b.test", "x.ville-a.test", "127.0.0.1", "-bad.fr", "évian.fr", "a" * 64 + ".fr", "ville-a.test."],
)
def test_console_refuses_platform_or_invalid_custom_domains(operator_client, domain):
    before = (Town.objects.count(), Domain.objects.count())
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Ville C",
            "slug": "ville-c",
            "kind": "commune",
            "primary_color": "#003366",
            "secondary_color": "#6b2737",
            "custom_domain": domain,
        },
    )
    assert response.status_code == 200
    assert (Town.objects.count(), Domain.objects.count()) == before


def test_console_nul_characters_are_refused_not_500(operator_client):
    response = operator_client.post(
        "/console/villes/nouvelle/",
        {
            "name": "Ville\x00C",
            "slug": "ville-c\x00",
            "kind": "commune",
            "primary_color": "#003366",
            "secondary_color": "#6b2737",
            "custom_domain": "a\x00.fr",
        },
    )
    assert response.status_code == 200
    assert not Town.objects.filter(name__startswith="Ville").exclude(slug__in=("ville-a", "ville-b")).exists()
    assert operator_client.get("/internal/tls-ask?domain=a%00.fr").status_code == 400


def test_api_create_refuses_bad_input_without_500(db):
    from accounts.tokens import issue_api_token

    operator = User.objects.create_user(email="api@operateur.test", role=Role.OPERATOR, is_staff=True)
    api = Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")
    before = (Town.objects.count(), Domain.objects.count())
    for body in (
        {"slug": "ville\x00c", "name": "C"},
        {"slug": "ville-c", "name": "C", "custom_domain": "ville-a.test"},
        {"slug": "ville-c", "name": "C", "insee_codes": ["x" * 50]},
        {"slug": "ville-c", "name": "C", "primary_color": "red"},
        {"slug": ["ville-c"], "name": "C"},
        {"slug": "ville-a", "name": "Doublon"},
    ):
        response = api.post("/api/v1/towns/", body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
    assert api.post("/api/v1/towns/", "{not json", content_type="application/json").status_code == 400
    assert (Town.objects.count(), Domain.objects.count()) == before


def test_name_of_a_town_cannot_be_blanked_in_the_console(operator_client, town_a):
    """The console refuses a blank town name, as provisioning does (``Town.name`` is ``blank=True``): the
    town site would show no name in its header, title and legal pages."""
    response = operator_client.post("/console/villes/ville-a/", _branding_data(name="   "))

    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.name == "Ville A"


def test_name_of_a_town_cannot_be_blanked_through_the_api(db, town_a):
    """``PATCH /api/v1/towns/<slug>/`` refuses ``{"name": ""}`` too."""
    from accounts.tokens import issue_api_token

    operator = User.objects.create_user(email="api@operateur.test", role=Role.OPERATOR, is_staff=True)
    api = Client(HTTP_HOST="test", HTTP_AUTHORIZATION=f"Token {issue_api_token(user=operator)}")

    response = api.patch("/api/v1/towns/ville-a/", {"name": ""}, content_type="application/json")

    assert response.status_code == 400
    town_a.refresh_from_db()
    assert town_a.name == "Ville A"


def test_console_refuses_the_stripe_account_of_another_town_without_500(operator_client, town_a, town_b):
    stripe = {"payment_gateway": "stripe", "collector_mode": "regie", "stripe_account_id": "acct_1234567890"}
    assert operator_client.post("/console/villes/ville-b/", _branding_data(name="Ville B", **stripe)).status_code == 302

    response = operator_client.post("/console/villes/ville-a/", _branding_data(**stripe))

    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.stripe_account_id is None


# --- branding: colours, texts and images ----------------------------------------------------------


def _png(name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#003366").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_clearing_the_logo_in_the_console_empties_the_field(operator_client, town_a, settings, tmp_path):
    """Ticking "Effacer" next to the logo empties the field, so an operator can remove a logo or hero image:
    the form gives ``False`` for a cleared file, stored through ``field.save_form_data`` (``FileField.pre_save``
    cannot take a bool)."""
    settings.MEDIA_ROOT = tmp_path
    assert operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png())).status_code == 302

    response = operator_client.post("/console/villes/ville-a/", _branding_data(**{"logo-clear": "on"}))

    assert response.status_code == 302
    town_a.refresh_from_db()
    assert town_a.logo.name == ""


def test_console_edit_refuses_css_injection_in_colours(operator_client, town_a, client_a):
    payload = "#003366;}</style><script>alert(1)</script>"
    response = operator_client.post("/console/villes/ville-a/", _branding_data(primary_color=payload))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert town_a.primary_color != payload
    assert "<script>alert(1)" not in client_a.get("/").content.decode()


def test_console_escapes_town_names_and_taglines(operator_client, town_a, client_a):
    evil = '<img src=x onerror="alert(1)">'
    assert operator_client.post("/console/villes/ville-a/", _branding_data(tagline=evil)).status_code == 302
    assert evil not in client_a.get("/").content.decode()
    assert evil not in operator_client.get("/console/").content.decode()


def test_console_refuses_a_logo_with_an_html_extension(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png("logo.html")))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.logo


def test_console_refuses_a_truncated_or_empty_image(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    broken = SimpleUploadedFile("hero.png", _png().read()[:40], content_type="image/png")
    empty = SimpleUploadedFile("hero.png", b"", content_type="image/png")
    for upload in (broken, empty):
        response = operator_client.post("/console/villes/ville-a/", _branding_data(hero_image=upload))
        assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.hero_image


def test_console_refuses_a_decompression_bomb_logo(operator_client, town_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # 400 Mpx, a few kB compressed
    bomb = SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")
    response = operator_client.post("/console/villes/ville-a/", _branding_data(logo=bomb))
    assert response.status_code == 200
    town_a.refresh_from_db()
    assert not town_a.logo


def test_uploaded_branding_is_served_sandboxed(operator_client, town_a, client_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    operator_client.post("/console/villes/ville-a/", _branding_data(logo=_png()))
    town_a.refresh_from_db()
    response = client_a.get(f"/media/public/{town_a.logo.name}")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_console_lists_towns_in_french_alphabetical_order(operator_client):
    Town.objects.filter(slug="ville-a").update(name="Fréthun")
    Town.objects.filter(slug="ville-b").update(name="Évreux")

    html = operator_client.get("/console/").content.decode()

    assert html.index("Évreux") < html.index("Fréthun")
