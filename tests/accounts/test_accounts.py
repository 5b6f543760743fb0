"""Accounts of a town: invitations, login and lockouts, redirects that stay home, signup, password resets,
sessions. Every link and token works on its own town only; nothing tells whether an address has an account."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from tenants.actions import provision_town

PASSWORD = "le-bon-mot-de-passe"


@pytest.mark.slow
def test_invited_admin_sets_a_password_then_logs_in(db, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        result = provision_town(slug="audruicq", name="Audruicq", admin_email="admin@audruicq.fr")
    link = re.search(r"https://audruicq\.test(/invitation/\S+/)", mailoutbox[0].body).group(1)
    client = Client(HTTP_HOST="audruicq.test")

    form_page = client.get(link)
    assert form_page.status_code == 200
    assert "Créer votre accès" in form_page.content.decode()
    response = client.post(
        link,
        {
            "first_name": "Anne",
            "last_name": "Maire",
            "new_password1": "un-mot-de-passe-solide",
            "new_password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302

    # the link is single-use
    assert "déjà servi" in Client(HTTP_HOST="audruicq.test").get(link).content.decode()
    login = Client(HTTP_HOST="audruicq.test").post(
        "/compte/login/", {"login": "admin@audruicq.fr", "password": "un-mot-de-passe-solide"}
    )
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


def test_nobody_can_sign_up_on_the_operator_site(db):
    """The root domain serves no signup: public-schema users are operator staff (docs/architecture.md §2),
    created by the platform, never by self-service. A resident landing there would create an account that
    exists in no town, next to the operators, one ``is_staff`` flag away from the console."""
    response = Client(HTTP_HOST="test").post(
        "/compte/signup/", {"email": "inconnu@exemple.fr", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code in (403, 404)
    assert not User.objects.filter(email="inconnu@exemple.fr").exists()


def test_lockout_cannot_be_dodged_by_changing_the_case_of_the_email(db, town_a, client_a):
    """Five failures on one account, spread over spellings and IP addresses, still lock it."""
    with town_a:
        User.objects.create_user(email="cible@ville-a.fr", password=PASSWORD)
    spellings = ["cible@ville-a.fr", "Cible@ville-a.fr", "CIBLE@ville-a.fr", "cIble@ville-a.fr", "ciBle@ville-a.fr"]
    for number, login in enumerate(spellings):
        client_a.post("/compte/login/", {"login": login, "password": "mauvais"}, REMOTE_ADDR=f"10.1.0.{number}")

    response = client_a.post(
        "/compte/login/", {"login": "cible@ville-a.fr", "password": PASSWORD}, REMOTE_ADDR="10.1.0.99"
    )

    assert response.status_code == 429


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http://ville-b.test/",
        "http://test/console/",
        "javascript:alert(1)",
        "https:evil.example",
    ],
)
def test_login_next_never_leaves_the_town(db, town_a, client_a, next_url):
    with town_a:
        User.objects.create_user(email="habitant@ville-a.fr", password=PASSWORD)
    response = client_a.post(f"/compte/login/?next={next_url}", {"login": "habitant@ville-a.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "http://ville-a.test/"])
def test_logout_and_language_next_never_leave_the_host(db, town_a, client_a, next_url):
    with town_a:
        client_a.force_login(User.objects.create_user(email="habitant@ville-a.fr"))
    logout = client_a.post("/compte/logout/", {"next": next_url})
    assert logout.status_code == 302
    assert "evil" not in logout["Location"]
    assert logout["Location"].startswith(("/", "http://ville-a.test/"))
    language = client_a.post("/i18n/setlang/", {"language": "en", "next": next_url})
    assert "evil" not in language.get("Location", "")


def test_logout_by_get_does_not_log_out(db, town_a, client_a):
    with town_a:
        client_a.force_login(User.objects.create_user(email="habitant@ville-a.fr"))
    client_a.get("/compte/logout/")
    assert "habitant@ville-a.fr" in client_a.get("/").content.decode()


def test_login_with_nul_or_huge_input_is_a_form_error_not_a_500(db, client_a):
    for login, password in (("a\x00@b.fr", "x"), ("x" * 100_000 + "@b.fr", "y" * 100_000), ("a@b.fr", "\x00")):
        response = client_a.post("/compte/login/", {"login": login, "password": password})
        assert response.status_code in (200, 429)


def test_session_cookie_is_not_readable_by_scripts_and_rotates_on_login(db, town_a, client_a):
    with town_a:
        User.objects.create_user(email="habitant@ville-a.fr", password=PASSWORD)
    client_a.get("/compte/login/")
    client_a.cookies[settings.SESSION_COOKIE_NAME] = "fixe" * 8
    response = client_a.post("/compte/login/", {"login": "habitant@ville-a.fr", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value != "fixe" * 8
    assert cookie["httponly"] is True


def test_signup_in_a_town_makes_a_resident_whatever_is_posted(db, town_a, client_a):
    response = client_a.post(
        "/compte/signup/",
        {
            "email": "Nouveau@Ville-A.fr",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "role": Role.TOWN_ADMIN,
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    with town_a:
        user = User.objects.get(email__iexact="nouveau@ville-a.fr")
        assert (user.role, user.is_staff, user.is_superuser) == (Role.RESIDENT, False, False)
    connection.set_schema_to_public()
    assert not User.objects.filter(email__iexact="nouveau@ville-a.fr").exists()  # nothing in public


def test_signup_with_an_email_of_another_town_is_a_separate_account(db, town_a, town_b, client_b):
    with town_a:
        User.objects.create_user(email="meme@exemple.fr", password="autre-mot-de-passe-a")
    response = client_b.post(
        "/compte/signup/", {"email": "meme@exemple.fr", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    with town_a:
        assert User.objects.get(email="meme@exemple.fr").check_password("autre-mot-de-passe-a")


def test_password_reset_mails_only_accounts_of_this_town_with_a_link_to_this_town(db, town_a, town_b, mailoutbox):
    with town_b:
        User.objects.create_user(email="seulement-b@exemple.fr", password=PASSWORD)
    Client(HTTP_HOST="ville-a.test").post("/compte/password/reset/", {"email": "seulement-b@exemple.fr"})
    assert all("ville-b" not in message.body for message in mailoutbox)

    mailoutbox.clear()
    Client(HTTP_HOST="ville-b.test").post("/compte/password/reset/", {"email": "seulement-b@exemple.fr"})
    assert len(mailoutbox) == 1
    assert "https://ville-b.test/compte/password/reset/key/" in mailoutbox[0].body


def test_invitation_link_of_one_town_is_void_on_another(
    db, town_a, client_a, client_b, django_capture_on_commit_callbacks, mailoutbox
):
    from accounts.actions import invite_person

    with town_a, django_capture_on_commit_callbacks(execute=True):
        invite_person(actor=None, role=Role.TOWN_AGENT, email="invite@ville-a.fr")
    path = re.search(r"://ville-a\.test(/invitation/\S+/)", mailoutbox[0].body).group(1)

    on_b = client_b.get(path)
    assert on_b.status_code == 404
    assert 'name="new_password1"' not in on_b.content.decode()
    assert 'name="new_password1"' in client_a.get(path).content.decode()


def _same_account_in_both_towns(town_a, town_b, email: str) -> User:
    """One account, and its exact twin (id, address, password hash, last login) in the other town."""
    with town_a:
        account = User.objects.create_user(email=email, password=PASSWORD, role=Role.TOWN_ADMIN)
    with town_b:
        User.objects.filter(pk=account.pk).delete()
        User.objects.create(
            pk=account.pk, email=email, password=account.password, last_login=account.last_login, role=Role.TOWN_ADMIN
        )
    return account


def test_a_password_reset_link_mailed_by_one_town_is_refused_by_another(db, town_a, town_b, mailoutbox):
    _same_account_in_both_towns(town_a, town_b, "habitant@exemple.fr")
    Client(HTTP_HOST="ville-a.test").post("/compte/password/reset/", {"email": "habitant@exemple.fr"})
    path = re.search(r"://ville-a\.test(/compte/password/reset/key/\S+/)", mailoutbox[0].body).group(1)

    on_b = Client(HTTP_HOST="ville-b.test").get(path, follow=True).content.decode()
    on_a = Client(HTTP_HOST="ville-a.test").get(path, follow=True).content.decode()

    assert 'name="password1"' not in on_b
    assert 'name="password1"' in on_a


# --- nothing tells whether an address has an account (issue 9) ------------------------------------


def _signup(client: Client, email: str):
    return client.post("/compte/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}, follow=True)


def _page_without(response, email: str) -> str:
    """The page as a person reads it: the address typed, and the per-response secrets, blanked."""
    assert response.status_code == 200
    html = response.content.decode().replace(email, "ADRESSE")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


def test_signup_answers_the_same_for_a_new_and_a_taken_address_and_mails_the_owner(db, town_a, mailoutbox):
    """Signing up with a taken address (here a town agent's) answers exactly as for a new one; only the
    owner hears of it, by a mail pointing to the password reset."""
    with town_a:
        agent = User.objects.create_user(
            email="agent@ville-a.fr", password="le-mot-de-passe-de-l-agent", role=Role.TOWN_AGENT
        )

    new = _signup(Client(HTTP_HOST="ville-a.test"), "nouveau@exemple.fr")
    taken = _signup(Client(HTTP_HOST="ville-a.test"), "agent@ville-a.fr")

    assert new.redirect_chain == taken.redirect_chain == [("/compte/confirm-email/", 302)]
    assert _page_without(new, "nouveau@exemple.fr") == _page_without(taken, "agent@ville-a.fr")
    assert "déjà" not in taken.content.decode()
    to_new, to_owner = mailoutbox
    assert to_new.to == ["nouveau@exemple.fr"]
    assert "https://ville-a.test/compte/confirm-email/" in to_new.body
    assert to_owner.to == ["agent@ville-a.fr"]
    assert "https://ville-a.test/compte/password/reset/" in to_owner.body
    with town_a:
        assert list(User.objects.filter(email="agent@ville-a.fr")) == [agent]
        assert User.objects.get(email="agent@ville-a.fr").check_password("le-mot-de-passe-de-l-agent")


def test_a_new_account_logs_in_once_its_address_is_confirmed(db, town_a, mailoutbox):
    client = Client(HTTP_HOST="ville-a.test")
    _signup(client, "nouveau@exemple.fr")
    assert "nouveau@exemple.fr" not in client.get("/").content.decode()  # not logged in yet

    login = client.post("/compte/login/", {"login": "nouveau@exemple.fr", "password": PASSWORD})
    assert login["Location"] == "/compte/confirm-email/"

    key = re.search(r"https://ville-a\.test(/compte/confirm-email/[^/\s]+/)", mailoutbox[0].body).group(1)
    client.post(key)
    login = client.post("/compte/login/", {"login": "nouveau@exemple.fr", "password": PASSWORD})
    assert login["Location"] == "/"
    assert "nouveau@exemple.fr" in client.get("/").content.decode()


def test_password_reset_answers_the_same_for_a_known_and_an_unknown_address(db, town_a, mailoutbox):
    with town_a:
        User.objects.create_user(email="habitant@ville-a.fr", password=PASSWORD)

    known = Client(HTTP_HOST="ville-a.test").post(
        "/compte/password/reset/", {"email": "habitant@ville-a.fr"}, follow=True
    )
    unknown = Client(HTTP_HOST="ville-a.test").post(
        "/compte/password/reset/", {"email": "personne@exemple.fr"}, follow=True
    )

    assert known.redirect_chain == unknown.redirect_chain == [("/compte/password/reset/done/", 302)]
    assert _page_without(known, "habitant@ville-a.fr") == _page_without(unknown, "personne@exemple.fr")
    assert [message.to for message in mailoutbox] == [["habitant@ville-a.fr"], ["personne@exemple.fr"]]
    assert "/compte/password/reset/key/" in mailoutbox[0].body
    assert "/compte/password/reset/key/" not in mailoutbox[1].body


def test_the_signup_page_names_the_town_and_says_plainly_what_it_does(client_a):
    html = client_a.get("/compte/signup/").content.decode()

    assert "<title>Créer un compte — Ville A</title>" in html
    assert "<h1>Créer un compte</h1>" in html
    assert '<button type="submit">Créer mon compte</button>' in html
    assert '<label for="id_email">Adresse e-mail</label>' in html
    assert "Courriel" not in html
    assert "Création de compte" not in html


@pytest.mark.parametrize("path", ["/compte/login/", "/compte/signup/", "/compte/password/reset/"])
def test_the_login_and_signup_pages_keep_the_sites_navigation_and_name_the_town(client_a, path):
    html = client_a.get(path).content.decode()

    navigation = html[html.index('<nav aria-label="Navigation principale">') : html.index("</nav>")]
    assert '<a href="/commerces/">Commerces</a>' in navigation
    assert '<a href="/recherche/">Rechercher</a>' in navigation
    assert '<a href="/panier/">Panier</a>' in navigation
    assert re.search(r"<title>[^<]+ — Ville A</title>", html)
