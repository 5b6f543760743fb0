"""Attacks on the town admin pages: legal pages editor (review of townsite)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from townsite.models import LegalPage

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _admin_client(town: object, host: str, email: str = "maire@ville-a.fr", **client_options: object) -> Client:
    client = Client(HTTP_HOST=host, **client_options)
    with town:
        client.force_login(User.objects.create_user(email=email, role=Role.TOWN_ADMIN))
    return client


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
