"""The town's people: who may invite whom, one-use expiring links, resend and cancel, deactivation that
ends sessions at once, role changes, the last admin, and a journal line for every change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.actions import (
    PeopleError,
    accept_invitation,
    cancel_invitation,
    change_role,
    deactivate_person,
    find_invitation,
    invitation_sms_text,
    invite_person,
    reactivate_person,
    resend_invitation,
)
from accounts.models import AuditAction, AuditEntry, Invitation, Role, User
from accounts.sms import gsm7_length, is_gsm7
from accounts.sms.backends import locmem

PASSWORD = "mot-de-passe-solide-42"
NEW_PASSWORD = "un-autre-mot-de-passe-7"


def person(town, role: str, email: str | None = None, **extra: object) -> User:
    with town:
        return User.objects.create_user(
            email=email or f"{role}-{User.objects.count()}@ville-a.fr", password=PASSWORD, role=role, **extra
        )


@pytest.fixture(autouse=True)
def _empty_journal(town_a) -> None:
    """The test towns' journal starts with the invitation of their first admin (provisioning): set aside."""
    with town_a:
        AuditEntry.objects.all().delete()


@pytest.fixture
def admin(town_a) -> User:
    return person(town_a, Role.TOWN_ADMIN, "maire@ville-a.fr")


@pytest.fixture
def agent(town_a) -> User:
    return person(town_a, Role.TOWN_AGENT, "agent@ville-a.fr")


def invite_and_read_link(town, mailoutbox, capture, **kwargs: object) -> tuple[Invitation, str]:
    """Invites in ``town``; returns the invitation and the link's path as mailed."""
    with town, capture(execute=True):
        invitation = invite_person(**kwargs)
    path = re.search(r"https?://[^/\s]+(/invitation/[^/\s]+/)", mailoutbox[-1].body).group(1)
    return invitation, path


def accept_form(**extra: str) -> dict[str, str]:
    return {
        "first_name": "Claire",
        "last_name": "Martin",
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    } | extra


def journal(town) -> list[tuple[str, str, str]]:
    with town:
        return list(AuditEntry.objects.order_by("pk").values_list("actor_label", "action", "target_label"))


# --- who invites whom ------------------------------------------------------------------------------


def test_an_agent_cannot_invite_an_admin_nor_an_agent_nor_a_coordinator(town_a, agent, mailoutbox):
    for role in (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR):
        with town_a, pytest.raises(PeopleError, match="Vous ne pouvez pas inviter"):
            invite_person(actor=agent, role=role, email=f"{role}@ville-a.fr")
    with town_a:
        assert not Invitation.objects.filter(invited_by_id=agent.pk).exists()
        assert not AuditEntry.objects.exists()
    assert mailoutbox == []


def test_an_agent_invites_a_courier_and_an_admin_invites_a_coordinator(
    town_a, admin, agent, mailoutbox, django_capture_on_commit_callbacks
):
    with town_a, django_capture_on_commit_callbacks(execute=True):
        courier = invite_person(actor=agent, role=Role.COURIER, email="Livreur@Ville-A.fr")
        coordinator = invite_person(actor=admin, role=Role.DELIVERY_COORDINATOR, email="coord@ville-a.fr")

    assert (courier.email, courier.role, courier.invited_by_id) == ("livreur@ville-a.fr", Role.COURIER, agent.pk)
    assert coordinator.role == Role.DELIVERY_COORDINATOR
    assert [message.to for message in mailoutbox] == [["livreur@ville-a.fr"], ["coord@ville-a.fr"]]
    assert mailoutbox[0].subject == "Votre accès à la place de marché de Ville A"
    assert mailoutbox[0].from_email.startswith("Ville A <")
    assert "« Livreur »" in mailoutbox[0].body
    assert journal(town_a) == [
        ("agent@ville-a.fr", "invited", "livreur@ville-a.fr"),
        ("maire@ville-a.fr", "invited", "coord@ville-a.fr"),
    ]


def test_merchant_staff_are_invited_only_with_their_merchants(town_a, admin):
    with town_a, pytest.raises(PeopleError, match="depuis la page de ce commerce"):
        invite_person(actor=admin, role=Role.MERCHANT_STAFF, email="boutique@ville-a.fr")


def test_an_address_with_an_account_is_not_invited_again(town_a, admin, agent):
    with town_a, pytest.raises(PeopleError, match="Un compte existe déjà"):
        invite_person(actor=admin, role=Role.TOWN_AGENT, email="AGENT@ville-a.fr")


def test_a_second_open_invitation_for_the_same_address_is_refused(town_a, admin):
    with town_a:
        invite_person(actor=admin, role=Role.TOWN_AGENT, email="nouveau@ville-a.fr")
        with pytest.raises(PeopleError, match="déjà en attente"):
            invite_person(actor=admin, role=Role.COURIER, email="nouveau@ville-a.fr")
        assert Invitation.objects.filter(email="nouveau@ville-a.fr").count() == 1


# --- the link ----------------------------------------------------------------------------------------


def test_only_a_hash_of_the_token_is_stored(town_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )
    token = path.split("/")[2]
    assert len(token) >= 40
    assert token not in invitation.token_hash
    with town_a:
        assert find_invitation(token) == invitation


def test_the_invitee_sets_a_password_and_is_logged_in(
    town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks
):
    _invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )

    response = client_a.post(path, accept_form())

    assert response.status_code == 302
    with town_a:
        user = User.objects.get(email="a@ville-a.fr")
        assert (user.role, user.get_full_name(), user.check_password(NEW_PASSWORD)) == (
            Role.TOWN_AGENT,
            "Claire Martin",
            True,
        )
        assert Invitation.objects.get(email="a@ville-a.fr").user_id == user.pk
    assert int(client_a.session["_auth_user_id"]) == user.pk
    assert journal(town_a)[-1] == ("a@ville-a.fr", "accepted", "a@ville-a.fr")


def test_django_password_rules_apply_on_the_invitation_page(
    town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks
):
    _invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )

    response = client_a.post(path, accept_form(new_password1="court", new_password2="court"))

    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in response.content.decode()
    with town_a:
        assert not User.objects.filter(email="a@ville-a.fr").exists()


def test_another_towns_token_does_not_work_on_this_town(
    town_a, client_b, admin, mailoutbox, django_capture_on_commit_callbacks
):
    _invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )

    response = client_b.post(path, accept_form())

    assert response.status_code == 404
    assert "pas valable sur ce site" in response.content.decode()
    with town_a:
        assert not User.objects.filter(email="a@ville-a.fr").exists()


def test_reuse_of_a_used_link_is_refused(town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    _invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )
    client_a.post(path, accept_form())

    again = Client(HTTP_HOST="ville-a.test").post(path, accept_form(first_name="Intrus"))

    assert again.status_code == 410
    assert "déjà servi" in again.content.decode()
    with town_a:
        assert User.objects.get(email="a@ville-a.fr").first_name == "Claire"


def test_an_expired_link_is_refused(town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    _invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )

    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        response = client_a.post(path, accept_form())

    assert response.status_code == 410
    assert "a expiré" in response.content.decode()
    with town_a:
        assert not User.objects.filter(email="a@ville-a.fr").exists()


def test_a_cancelled_link_is_refused(town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    invitation, path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )
    with town_a:
        cancel_invitation(actor=admin, invitation=invitation)

    response = client_a.get(path)

    assert response.status_code == 410
    assert "annulée" in response.content.decode()
    assert journal(town_a)[-1] == ("maire@ville-a.fr", "cancelled", "a@ville-a.fr")
    with town_a:  # the address may be invited again
        invite_person(actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr")


def test_resend_issues_a_new_token_and_kills_the_old_one(
    town_a, client_a, admin, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old_path = invite_and_read_link(
        town_a, mailoutbox, django_capture_on_commit_callbacks, actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr"
    )
    with town_a, django_capture_on_commit_callbacks(execute=True):
        resend_invitation(actor=admin, invitation=invitation)
    new_path = re.search(r"(/invitation/[^/\s]+/)", mailoutbox[-1].body).group(1)

    assert new_path != old_path
    assert client_a.get(old_path).status_code == 404
    assert client_a.post(new_path, accept_form()).status_code == 302
    assert [action for _actor, action, _target in journal(town_a)] == ["invited", "resent", "accepted"]


def test_resend_gives_an_expired_invitation_seven_more_days(town_a, admin, django_capture_on_commit_callbacks):
    with town_a:
        invitation = invite_person(actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr")
    later = timezone.now() + dt.timedelta(days=10)
    with time_machine.travel(later), town_a:
        assert invitation.status == "expired"
        resend_invitation(actor=admin, invitation=invitation)
        invitation.refresh_from_db()
        assert invitation.status == "pending"
        assert invitation.expires_at > later + dt.timedelta(days=6)


def test_an_agent_cannot_resend_or_cancel_an_agents_invitation(town_a, admin, agent):
    with town_a:
        invitation = invite_person(actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr")
        with pytest.raises(PeopleError):
            cancel_invitation(actor=agent, invitation=invitation)
        with pytest.raises(PeopleError):
            resend_invitation(actor=agent, invitation=invitation)
        invitation.refresh_from_db()
        assert invitation.cancelled_at is None


# --- SMS when only a phone number is known --------------------------------------------------------


def test_an_invitation_with_only_a_phone_goes_by_sms_in_gsm7_with_the_whole_link(
    town_a, client_a, agent, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "accounts.sms.backends.locmem.SmsBackend"
    locmem.outbox.clear()
    with town_a, django_capture_on_commit_callbacks(execute=True):
        invitation = invite_person(actor=agent, role=Role.COURIER, phone="06 12 34 56 78")

    assert invitation.phone == "+33612345678"
    [sms] = locmem.outbox
    assert sms.to == "+33612345678"
    assert is_gsm7(sms.text)
    assert gsm7_length(sms.text) <= 160
    assert sms.text.startswith(
        "Ville A : invitation comme livreur. Créez votre accès (lien valable 7 jours) : https://"
    )
    path = re.search(r"https://ville-a\.test(/invitation/[A-Za-z0-9_-]{43}/)$", sms.text).group(1)

    # their e-mail becomes their login, to be confirmed at the next login (not proven by the link)
    response = client_a.post(path, accept_form(email="livreur@exemple.fr"))
    assert response.status_code == 302
    with town_a:
        courier = User.objects.get(email="livreur@exemple.fr")
        assert (courier.role, courier.phone) == (Role.COURIER, "+33612345678")
        assert not courier.emailaddress_set.get().verified


def test_the_sms_keeps_the_whole_link_when_the_town_name_is_long():
    link = "https://saint-remy-de-provence.monshopping.example.fr/invitation/" + "x" * 43 + "/"
    text = invitation_sms_text(town_name="Saint-Rémy-de-Provence " * 3, role=Role.COURIER, link=link)
    assert text.endswith(" " + link)
    assert gsm7_length(text) <= 160


def test_a_landline_is_refused_for_an_sms_invitation(town_a, agent):
    with town_a, pytest.raises(PeopleError, match="mobile"):
        invite_person(actor=agent, role=Role.COURIER, phone="03 21 46 62 00")


# --- deactivation ---------------------------------------------------------------------------------


def test_deactivation_ends_the_persons_sessions_at_once(town_a, admin, agent):
    victim = Client(HTTP_HOST="ville-a.test")
    assert victim.post("/compte/login/", {"login": "agent@ville-a.fr", "password": PASSWORD}).status_code == 302
    assert victim.get("/gestion/catalogue/").status_code == 200

    with town_a:
        deactivate_person(actor=admin, person=agent)

    assert victim.get("/gestion/catalogue/").status_code == 302  # to the login page
    with town_a:
        from django.contrib.sessions.models import Session

        assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(agent.pk)]
    assert journal(town_a)[-1] == ("maire@ville-a.fr", "deactivated", "agent@ville-a.fr")
    again = Client(HTTP_HOST="ville-a.test")
    login = again.post("/compte/login/", {"login": "agent@ville-a.fr", "password": PASSWORD})
    assert login.url == "/compte/inactive/"
    assert "_auth_user_id" not in again.session


def test_reactivation_lets_the_person_log_in_again(town_a, admin, agent):
    with town_a:
        deactivate_person(actor=admin, person=agent)
        reactivate_person(actor=admin, person=agent)
    again = Client(HTTP_HOST="ville-a.test")
    login = again.post("/compte/login/", {"login": "agent@ville-a.fr", "password": PASSWORD})
    assert login.url == "/"
    assert int(again.session["_auth_user_id"]) == agent.pk
    assert [action for _a, action, _t in journal(town_a)] == ["deactivated", "reactivated"]


def test_an_agent_deactivates_a_courier_but_not_an_admin(town_a, admin, agent):
    courier = person(town_a, Role.COURIER)
    with town_a:
        deactivate_person(actor=agent, person=courier)
        with pytest.raises(PeopleError):
            deactivate_person(actor=agent, person=admin)
        admin.refresh_from_db()
        assert admin.is_active


def test_nobody_deactivates_their_own_account(town_a, admin):
    with town_a, pytest.raises(PeopleError, match="propre compte"):
        deactivate_person(actor=admin, person=admin)


# --- roles and the last admin ---------------------------------------------------------------------


def test_the_last_active_admin_cannot_be_deactivated_or_demoted(town_a, admin):
    other = person(town_a, Role.TOWN_ADMIN, "adjoint@ville-a.fr")
    with town_a:
        deactivate_person(actor=admin, person=other)
        # admin is now the last active admin; another admin account exists but is deactivated
        with pytest.raises(PeopleError, match="dernier administrateur actif"):
            change_role(actor=admin, person=admin, role=Role.TOWN_AGENT)
        reactivate_person(actor=admin, person=other)
        change_role(actor=other, person=admin, role=Role.TOWN_AGENT)
        with pytest.raises(PeopleError, match="dernier administrateur actif"):
            change_role(actor=other, person=other, role=Role.TOWN_AGENT)
        admin.refresh_from_db()
        other.refresh_from_db()
        assert (admin.role, other.role, other.is_active) == (Role.TOWN_AGENT, Role.TOWN_ADMIN, True)


def test_the_last_admin_cannot_be_deactivated_by_another_admin_who_is_deactivated_first(town_a, admin):
    other = person(town_a, Role.TOWN_ADMIN, "adjoint@ville-a.fr")
    with town_a:
        deactivate_person(actor=other, person=admin)
        with pytest.raises(PeopleError, match="dernier administrateur actif"):
            change_role(actor=other, person=other, role=Role.COURIER)


def test_nobody_raises_their_own_role(town_a, agent):
    with town_a:
        with pytest.raises(PeopleError, match="élever votre propre rôle"):
            change_role(actor=agent, person=agent, role=Role.TOWN_ADMIN)
        agent.refresh_from_db()
        assert agent.role == Role.TOWN_AGENT
        assert not AuditEntry.objects.exists()


def test_an_agent_cannot_promote_a_courier_to_agent(town_a, agent):
    courier = person(town_a, Role.COURIER)
    with town_a, pytest.raises(PeopleError, match="Seul un administrateur"):
        change_role(actor=agent, person=courier, role=Role.TOWN_AGENT)


def test_a_role_change_is_in_the_journal_with_both_roles(town_a, admin, agent):
    with town_a:
        change_role(actor=admin, person=agent, role=Role.TOWN_ADMIN)
        entry = AuditEntry.objects.get()
    assert (entry.actor_id, entry.action, entry.target_user_id) == (admin.pk, AuditAction.ROLE_CHANGED, agent.pk)
    assert entry.role_change == "Agent de la ville → Administrateur de la ville"


def test_a_rolled_back_change_leaves_no_journal_line(town_a, admin, monkeypatch):
    import accounts.actions

    def broken_send(**kwargs: object) -> None:
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(accounts.actions, "_send_after_commit", broken_send)
    with town_a, pytest.raises(RuntimeError):
        invite_person(actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr")
    with town_a:
        assert not Invitation.objects.filter(email="a@ville-a.fr").exists()
        assert not AuditEntry.objects.exists()


def test_accepting_an_invitation_someone_else_used_meanwhile_is_refused(town_a, admin):
    with town_a:
        invitation = invite_person(actor=admin, role=Role.TOWN_AGENT, email="a@ville-a.fr")
        accept_invitation(invitation=invitation, first_name="A", last_name="B", password=NEW_PASSWORD)
        with pytest.raises(PeopleError, match="déjà servi"):
            accept_invitation(invitation=invitation, first_name="C", last_name="D", password=NEW_PASSWORD)
        assert User.objects.filter(email="a@ville-a.fr").count() == 1
