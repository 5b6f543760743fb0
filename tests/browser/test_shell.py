"""The site shell as people see it: axe in headless Chromium, keyboard, login per town."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Role, User
from tenants.models import Town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations, watch_csp_violations

PASSWORD = "mot-de-passe-du-test-navigateur"

# Makes pytest-django build the test database even when only browser tests are selected.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def people(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    """Committed accounts (the server is another process): an operator and a town admin of ville-a."""
    with django_db_blocker.unblock():
        operator = User.objects.create_user(
            email="operateur-navigateur@test.fr", password=PASSWORD, role=Role.OPERATOR, is_staff=True
        )
        town_a = Town.objects.get(slug="ville-a")
        with town_a:
            admin = User.objects.create_user(
                email="maire-navigateur@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN
            )
        yield
        with town_a:
            admin.delete()
        operator.delete()


PUBLIC_PAGES = [
    ("operator-home", "test", "/"),
    ("town-home", "ville-a.test", "/"),
    ("town-legal-notice", "ville-a.test", "/pages/mentions-legales/"),
    ("town-accessibility", "ville-a.test", "/pages/accessibilite/"),
    ("town-login", "ville-a.test", "/compte/login/"),
    ("unknown-host", "inconnue.test", "/"),
]


@pytest.mark.browser
@pytest.mark.parametrize(("name", "host", "path"), PUBLIC_PAGES, ids=[p[0] for p in PUBLIC_PAGES])
def test_public_pages_have_no_serious_accessibility_violations(page, server_port, name, host, path):
    page.goto(f"http://{host}:{server_port}{path}")
    screenshot(page, name)

    assert serious_accessibility_violations(page) == []


@pytest.mark.browser
def test_console_and_legal_editor_have_no_serious_accessibility_violations(page, server_port, people):
    log_in(page, f"http://test:{server_port}", "operateur-navigateur@test.fr", PASSWORD)
    page.goto(f"http://test:{server_port}/console/villes/nouvelle/")
    page.fill("#id_name", "Pas Valide")
    page.fill("#id_slug", "Pas Valide")
    page.click("main button[type=submit]")
    screenshot(page, "console-create-errors")
    assert "n’est pas valide" in page.content() or "n'est pas valide" in page.content()
    assert serious_accessibility_violations(page) == []
    page.goto(f"http://test:{server_port}/console/")
    screenshot(page, "console-towns")
    assert serious_accessibility_violations(page) == []

    town = f"http://ville-a.test:{server_port}"
    log_in(page, town, "maire-navigateur@ville-a.fr", PASSWORD)
    page.goto(f"{town}/gestion/pages/cgv/")
    screenshot(page, "town-legal-editor")
    assert page.locator("#id_body").input_value().startswith("Objet")
    assert serious_accessibility_violations(page) == []


@pytest.mark.browser
def test_skip_link_is_the_first_tab_stop_and_is_visible(page, server_port):
    page.goto(f"http://ville-a.test:{server_port}/")
    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.textContent.trim()")
    box = page.evaluate("JSON.stringify(document.activeElement.getBoundingClientRect())")
    assert focused == "Aller au contenu"
    assert '"top":' in box
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


@pytest.mark.browser
def test_login_in_one_town_does_not_log_in_the_other(page, server_port, people):
    town_a = f"http://ville-a.test:{server_port}"
    log_in(page, town_a, "maire-navigateur@ville-a.fr", PASSWORD)
    assert "maire-navigateur@ville-a.fr" in page.content()
    screenshot(page, "town-home-logged-in")

    page.goto(f"http://ville-b.test:{server_port}/")
    assert "maire-navigateur@ville-a.fr" not in page.content()
    assert "Se connecter" in page.content()
    cookies = {cookie["name"]: cookie["domain"] for cookie in page.context.cookies()}
    assert cookies["sessionid"] == "ville-a.test"  # host-only: never sent to ville-b.test


@pytest.fixture
def newcomer(django_db_blocker: pytest.FixtureRequest) -> Iterator[str]:
    """The address a test signs up with in ville-a; the committed account is removed afterwards."""
    email = "nouvelle-habitante@exemple.fr"
    yield email
    with django_db_blocker.unblock(), Town.objects.get(slug="ville-a"):
        User.objects.filter(email=email).delete()


@pytest.mark.browser
def test_account_pages_and_a_signup_break_no_content_security_policy(page, server_port, newcomer):
    """The page fixture fails the test on any CSP violation; here over allauth's own pages."""
    town = f"http://ville-a.test:{server_port}"
    for path in ("/compte/signup/", "/compte/password/reset/", "/compte/confirm-email/"):
        assert page.goto(town + path).status == 200, path
    page.goto(f"{town}/compte/signup/")
    page.fill("#id_email", newcomer)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/compte/confirm-email/")
    screenshot(page, "town-signup-confirm-email")


@pytest.mark.browser
@pytest.mark.parametrize(("width", "max_height"), [(1366, 80), (390, 64)])
def test_the_town_staff_header_is_one_line_on_a_desktop_and_a_menu_button_on_a_phone(
    browser, server_port, people, width, max_height
):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    violations = watch_csp_violations(context)
    page = context.new_page()
    try:
        town = f"http://ville-a.test:{server_port}"
        log_in(page, town, "maire-navigateur@ville-a.fr", PASSWORD)
        page.goto(f"{town}/gestion/catalogue/")
        screenshot(page, f"staff-header-{width}")

        header_height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        assert header_height <= max_height
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        payouts = page.get_by_role("link", name="Reversements")
        if width > 1000:
            assert payouts.is_visible()  # every link in sight, no button to press
            assert not page.locator(".site-menu > summary").is_visible()
        else:
            assert not payouts.is_visible()
            page.locator(".site-menu > summary").click()  # the disclosure opens over the page
            assert payouts.is_visible()
            screenshot(page, f"staff-header-{width}-open")
            height_open = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
            assert height_open == header_height  # the panel lies over the page: the header does not grow
        assert serious_accessibility_violations(page) == []
    finally:
        context.close()
    assert violations == [], violations
