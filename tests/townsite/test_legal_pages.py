from __future__ import annotations

import pytest

from accounts.models import Role, User

KINDS = ["mentions-legales", "cgv", "confidentialite", "accessibilite"]


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
