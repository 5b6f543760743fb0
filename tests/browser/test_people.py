"""Inviting a town agent end to end in Chromium: the admin invites, the invitee opens the link and
chooses a password, the admin finds them in the list; axe on every page of the walk."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from accounts.actions import resend_invitation
from accounts.models import AuditEntry, Invitation, Role, User
from tenants.models import Town
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations, watch_csp_violations

PASSWORD = "mot-de-passe-de-la-mairie"
INVITEE = "nouvelle-agente@ville-a.fr"


@pytest.fixture
def town_admin(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[tuple[Town, User]]:
    """Committed (the server is another process): an admin; afterwards, whatever the walk created."""
    with django_db_blocker.unblock():
        town = Town.objects.get(slug="ville-a")
        with town:
            admin = User.objects.create_user(
                email="maire-personnes@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN
            )
        yield town, admin
        with town:
            User.objects.filter(email__in=[admin.email, INVITEE]).delete()
            Invitation.objects.filter(email=INVITEE).delete()
            AuditEntry.objects.filter(target_label=INVITEE).delete()


@pytest.mark.browser
def test_an_admin_invites_an_agent_who_sets_a_password_and_appears_in_the_list(
    browser, server_port, town_admin, django_db_blocker, mailoutbox
):
    town, admin = town_admin
    base = f"http://ville-a.test:{server_port}"
    admin_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")  # a desktop
    invitee_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")  # a phone
    violations = [watch_csp_violations(admin_context), watch_csp_violations(invitee_context)]
    admin_page = admin_context.new_page()
    log_in(admin_page, base, admin.email, PASSWORD)

    # the admin invites from the people page
    admin_page.goto(f"{base}/gestion/personnes/")
    assert serious_accessibility_violations(admin_page) == []
    with admin_page.expect_navigation():  # axe needs the page the link leads to, loaded
        admin_page.click("text=Inviter une personne")
    assert serious_accessibility_violations(admin_page) == []
    admin_page.fill("#id_email", INVITEE)
    admin_page.select_option("#id_role", "town_agent")
    admin_page.click("main button[type=submit]")
    admin_page.wait_for_load_state()
    screenshot(admin_page, "people-invited")
    assert f"Invitation envoyée à {INVITEE}" in admin_page.content()

    # The server mails through its own (console) backend, in another process: the test asks for a
    # fresh link here, through the same resend action as the page's button, and reads it.
    with django_db_blocker.unblock(), town:
        resend_invitation(actor=admin, invitation=Invitation.objects.get(email=INVITEE))
    path = re.search(r"(/invitation/[A-Za-z0-9_-]+/)", mailoutbox[-1].body).group(1)

    invitee = invitee_context.new_page()
    invitee.goto(base + path)
    assert serious_accessibility_violations(invitee) == []
    invitee.fill("#id_first_name", "Nadia")
    invitee.fill("#id_last_name", "Lefebvre")
    invitee.fill("#id_new_password1", "un-mot-de-passe-bien-long")
    invitee.fill("#id_new_password2", "un-mot-de-passe-bien-long")
    invitee.click("main button[type=submit]")
    invitee.wait_for_load_state()
    screenshot(invitee, "people-invitation-accepted")
    assert "Bienvenue" in invitee.content()
    assert INVITEE in invitee.content()  # logged in: the header names them

    admin_page.goto(f"{base}/gestion/personnes/")
    screenshot(admin_page, "people-list")
    row = admin_page.locator("tr", has_text="Nadia Lefebvre")
    assert "Agent de la ville" in row.inner_text()
    assert serious_accessibility_violations(admin_page) == []
    admin_page.goto(f"{base}/gestion/personnes/journal/")
    assert serious_accessibility_violations(admin_page) == []
    invitee_context.close()
    admin_context.close()
    assert violations == [[], []]
