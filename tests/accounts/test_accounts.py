from __future__ import annotations

import re

from django.test import Client

from accounts.models import Role, User
from tenants.actions import provision_town


def test_invited_admin_sets_a_password_then_logs_in(db, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        result = provision_town(slug="audruicq", name="Audruicq", admin_email="admin@audruicq.fr")
    link = re.search(r"https://audruicq\.test(/compte/invitation/\S+/)", mailoutbox[0].body).group(1)
    client = Client(HTTP_HOST="audruicq.test")

    # the token in the link is swapped for a session-held one, as Django does for password resets
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choisir votre mot de passe" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "un-mot-de-passe-solide", "new_password2": "un-mot-de-passe-solide"},
    )
    assert response.status_code == 302

    # the link is single-use
    assert "plus valable" in Client(HTTP_HOST="audruicq.test").get(link, follow=True).content.decode()
    login = client.post("/compte/login/", {"login": "admin@audruicq.fr", "password": "un-mot-de-passe-solide"})
    assert login.status_code == 302
    with result.town:
        assert User.objects.get(email="admin@audruicq.fr").role == Role.TOWN_ADMIN


def test_repeated_bad_passwords_lock_the_account_out(db, town_a, client_a):
    with town_a:
        User.objects.create_user(email="cible@ville-a.fr", password="le-bon-mot-de-passe")

    statuses = [
        client_a.post("/compte/login/", {"login": "cible@ville-a.fr", "password": "mauvais"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    locked = client_a.post("/compte/login/", {"login": "cible@ville-a.fr", "password": "le-bon-mot-de-passe"})

    assert locked.status_code == 429
    assert "temporairement bloquée" in locked.content.decode()


def test_lockout_in_one_town_does_not_lock_the_same_email_in_another(db, town_a, town_b, client_a, client_b):
    for town in (town_a, town_b):
        with town:
            User.objects.create_user(email="meme@exemple.fr", password="le-bon-mot-de-passe")
    for _ in range(6):
        client_a.post("/compte/login/", {"login": "meme@exemple.fr", "password": "mauvais"})

    response = client_b.post(
        "/compte/login/", {"login": "meme@exemple.fr", "password": "le-bon-mot-de-passe"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302


def test_login_page_is_french_with_labelled_fields(client_a):
    html = client_a.get("/compte/login/").content.decode()
    assert '<label for="id_login">Adresse e-mail</label>' in html
    assert '<label for="id_password">Mot de passe</label>' in html


def test_english_is_available(client_a):
    client_a.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client_a.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Log in" in html


def test_an_english_browser_still_gets_french_until_the_visitor_chooses(client_a):
    html = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html
    assert "Aller au contenu" in html
