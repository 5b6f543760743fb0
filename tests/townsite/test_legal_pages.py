"""The town's legal pages: linked from every page, edited by the town's admins only, escaped on display."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from townsite.models import LegalPage

KINDS = ["mentions-legales", "cgv", "confidentialite", "accessibilite"]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _admin_client(town: object, host: str, email: str = "maire@ville-a.fr", **client_options: object) -> Client:
    client = Client(HTTP_HOST=host, **client_options)
    with town:
        client.force_login(User.objects.create_user(email=email, role=Role.TOWN_ADMIN))
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_links_to_the_legal_pages(client_a, kind):
    home = client_a.get("/").content.decode()
    assert f'href="/pages/{kind}/"' in home
    assert client_a.get(f"/pages/{kind}/").status_code == 200


def test_legal_notice_names_the_town_and_publisher(client_a):
    html = client_a.get("/pages/mentions-legales/").content.decode()
    assert "Commune de Ville A" in html
    assert "<h2>Directeur de la publication</h2>" in html
    assert "&amp;#x27;" not in html  # default texts are stored unescaped, escaped once on display
    assert "l&#x27;exploitant" in html


def test_cgv_carry_the_perishables_exception(client_a):
    html = client_a.get("/pages/cgv/").content.decode()
    assert "denrées périssables" in html
    assert "L221-28" in html


def test_town_admin_edits_a_legal_page(db, town_a, client_a):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", password="x" * 12, role=Role.TOWN_ADMIN)
        client_a.force_login(admin)

    response = client_a.post(
        "/gestion/pages/mentions-legales/", {"title": "Mentions légales", "body": "Texte A.\n\nSuite."}
    )

    assert response.status_code == 302
    html = client_a.get("/pages/mentions-legales/").content.decode()
    assert "<p>Texte A.</p>" in html
    assert "<p>Suite.</p>" in html


def test_other_roles_cannot_edit_legal_pages(db, town_a, client_a):
    with town_a:
        merchant = User.objects.create_user(email="boucher@ville-a.fr", password="x" * 12, role=Role.MERCHANT_STAFF)
        client_a.force_login(merchant)

    assert client_a.get("/gestion/pages/cgv/").status_code == 403
    assert client_a.post("/gestion/pages/cgv/", {"title": "Piraté", "body": "..."}).status_code == 403
    assert "Piraté" not in client_a.get("/pages/cgv/").content.decode()


def test_edit_in_one_town_does_not_change_the_other(db, town_a, client_a, client_b):
    with town_a:
        admin = User.objects.create_user(email="maire@ville-a.fr", password="x" * 12, role=Role.TOWN_ADMIN)
        client_a.force_login(admin)
    client_a.post("/gestion/pages/cgv/", {"title": "CGV de A", "body": "Propre à A."})

    assert "Propre à A." not in client_b.get("/pages/cgv/").content.decode()


def test_unknown_legal_page_is_a_404(client_a):
    assert client_a.get("/pages/inexistante/").status_code == 404


def test_legal_page_title_heading_and_body_are_escaped(db, town_a, client_a):
    admin = _admin_client(town_a, "ville-a.test")
    body = f"{XSS}\n{XSS}\n\n{XSS}"
    assert admin.post("/gestion/pages/accessibilite/", {"title": XSS, "body": body}).status_code == 302

    for client in (client_a, admin):
        for path in ("/pages/accessibilite/", "/gestion/", "/gestion/pages/accessibilite/"):
            html = client.get(path).content.decode()
            assert "<script>alert" not in html
            assert "<img src=x" not in html


def test_legal_pages_of_one_town_cannot_be_edited_with_an_admin_of_another(db, town_a, town_b, client_a):
    admin_b = _admin_client(town_b, "ville-b.test", email="maire@ville-b.fr")
    cookies = admin_b.cookies
    intruder = Client(HTTP_HOST="ville-a.test")
    intruder.cookies = cookies
    response = intruder.post("/gestion/pages/cgv/", {"title": "Piraté", "body": "..."})
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")
    assert "Piraté" not in client_a.get("/pages/cgv/").content.decode()


def test_legal_page_edit_needs_a_csrf_token(db, town_a, client_a):
    admin = _admin_client(town_a, "ville-a.test", enforce_csrf_checks=True)
    assert admin.post("/gestion/pages/cgv/", {"title": "Sans jeton", "body": "..."}).status_code == 403
    assert "Sans jeton" not in client_a.get("/pages/cgv/").content.decode()


def test_reading_the_editor_writes_nothing(db, town_a):
    admin = _admin_client(town_a, "ville-a.test")
    with town_a:
        before = {page.kind: (page.title, page.body, page.updated_at) for page in LegalPage.objects.all()}
    assert admin.get("/gestion/pages/cgv/?title=GET&body=GET").status_code == 200
    with town_a:
        assert {page.kind: (page.title, page.body, page.updated_at) for page in LegalPage.objects.all()} == before


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Titre\x00", "Texte"),
        ("Titre", "Texte\x00"),
        ("x" * 201, "Texte"),
        ("   ", "Texte"),
        ("Titre", "   \n\n  "),
    ],
)
def test_legal_page_editor_refuses_bad_input_with_a_form_error(db, town_a, title, body):
    admin = _admin_client(town_a, "ville-a.test")
    with town_a:
        before = LegalPage.objects.get(kind="cgv").body
    response = admin.post("/gestion/pages/cgv/", {"title": title, "body": body})
    assert response.status_code == 200
    with town_a:
        assert LegalPage.objects.get(kind="cgv").body == before


@pytest.mark.parametrize("kind", ["inconnue", "a" * 300, "CGV", "cgv-"])
def test_unknown_page_kinds_are_404_for_readers_and_editors(db, town_a, client_a, kind):
    admin = _admin_client(town_a, "ville-a.test")
    assert client_a.get(f"/pages/{kind}/").status_code == 404
    assert admin.get(f"/gestion/pages/{kind}/").status_code == 404
    assert admin.post(f"/gestion/pages/{kind}/", {"title": "T", "body": "B"}).status_code == 404


@pytest.mark.slow
def test_non_admin_roles_cannot_see_the_site_management(db, town_a):
    for role in (Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER, Role.TOWN_AGENT, Role.OPERATOR):
        client = Client(HTTP_HOST="ville-a.test")
        with town_a:
            client.force_login(User.objects.create_user(email=f"{role}@ville-a.fr", role=role, is_staff=True))
        assert client.get("/gestion/").status_code == 403, role


def test_a_disabled_admin_is_locked_out_of_site_management(db, town_a):
    admin = _admin_client(town_a, "ville-a.test")
    with town_a:
        User.objects.filter(email="maire@ville-a.fr").update(is_active=False)
    response = admin.get("/gestion/")
    assert response.status_code in (302, 403)
