"""The people pages at /gestion/personnes/ through HTTP: who may open them, the list with its filters and
pinned query counts, the invite form, the person page's actions, the journal; and the merchant's staff
section of the catalogue back-office (one person, several merchants)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.actions import deactivate_person, invite_person
from accounts.models import AuditEntry, Invitation, Role, User
from catalog.models import MerchantMembership
from tests.catalog.factories import MerchantFactory

PASSWORD = "mot-de-passe-solide-42"


def signed_in(town, role: str, email: str) -> tuple[User, Client]:
    client = Client(HTTP_HOST=town.primary_host)
    with town:
        user = User.objects.create_user(email=email, password=PASSWORD, role=role)
        client.force_login(user)
    return user, client


@pytest.fixture
def admin(town_a) -> tuple[User, Client]:
    return signed_in(town_a, Role.TOWN_ADMIN, "maire@ville-a.fr")


@pytest.fixture
def agent(town_a) -> tuple[User, Client]:
    return signed_in(town_a, Role.TOWN_AGENT, "agent@ville-a.fr")


# Delivery coordinators see the couriers there: tests/logistics/test_coordinator_scope.py.
@pytest.mark.parametrize("role", [Role.MERCHANT_STAFF, Role.COURIER, Role.RESIDENT])
def test_people_pages_are_for_admins_and_agents_only(town_a, role):
    _user, client = signed_in(town_a, role, f"{role}@ville-a.fr")
    for path in ("/gestion/personnes/", "/gestion/personnes/inviter/", "/gestion/personnes/journal/"):
        assert client.get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get("/gestion/personnes/")
    assert response.status_code == 302
    assert response.url.startswith("/compte/login/")


def test_the_staff_menu_links_to_people_for_admins_and_agents(town_a, admin, agent):
    for _user, client in (admin, agent):
        assert '<a href="/gestion/personnes/">Personnes</a>' in client.get("/gestion/personnes/").content.decode()


def _many_people(town, count: int) -> None:
    with town:
        shops = [MerchantFactory() for _ in range(3)]
        for index in range(count):
            role = (Role.TOWN_AGENT, Role.COURIER, Role.MERCHANT_STAFF)[index % 3]
            user = User.objects.create_user(email=f"p{index}@ville-a.fr", password=PASSWORD, role=role)
            if role == Role.MERCHANT_STAFF:
                for shop in shops[: 1 + index % 3]:
                    MerchantMembership.objects.create(merchant=shop, user_id=user.pk)
        for index in range(count // 2):
            invite_person(actor=None, role=Role.COURIER, email=f"invite{index}@ville-a.fr")


def test_the_people_list_shows_role_merchants_last_login_and_open_invitations(town_a, admin):
    _user, client = admin
    with town_a:
        shop = MerchantFactory(name="Boulangerie Dupont")
        other = MerchantFactory(name="Épicerie du Port")
        baker = User.objects.create_user(
            email="boulanger@ville-a.fr",
            password=PASSWORD,
            role=Role.MERCHANT_STAFF,
            first_name="Paul",
            last_name="Dupont",
        )
        MerchantMembership.objects.create(merchant=shop, user_id=baker.pk)
        MerchantMembership.objects.create(merchant=other, user_id=baker.pk)
        User.objects.create_user(email="habitant@ville-a.fr", password=PASSWORD)
        invite_person(actor=None, role=Role.COURIER, phone="0612345678")

    html = client.get("/gestion/personnes/").content.decode()

    assert "Paul Dupont" in html
    assert "Boulangerie Dupont, Épicerie du Port" in html
    assert "habitant@ville-a.fr" not in html  # residents are not back-office people
    assert "+33612345678" in html
    assert "par SMS" in html
    assert "jamais" in html


def test_the_people_list_filters_by_role(town_a, admin):
    _user, client = admin
    with town_a:
        User.objects.create_user(email="livreur@ville-a.fr", password=PASSWORD, role=Role.COURIER)

    html = client.get("/gestion/personnes/?role=courier").content.decode()
    main = html[html.index('<main id="contenu"') :]

    assert "livreur@ville-a.fr" in main
    assert "maire@ville-a.fr" not in main
    assert "admin@ville-a.test" not in main  # the provisioning's admin invitation is not a courier's


def test_the_people_list_takes_the_same_number_of_queries_for_many_people(town_a, admin, django_assert_max_num_queries):
    _user, client = admin
    _many_people(town_a, 30)
    # the host (search path, domain, search path), session, user, the count of people, a page of them,
    # every merchant of every merchant staff in one query, invitations: 9, whatever the number of people
    with django_assert_max_num_queries(9):
        response = client.get("/gestion/personnes/")
    assert response.content.decode().count("/gestion/personnes/invitations/") >= 30


def test_the_people_list_shows_fifty_people_a_page_and_keeps_the_role_filter_from_page_to_page(town_a, admin):
    _user, client = admin
    with town_a:
        for index in range(55):
            User.objects.create_user(email=f"livreur{index:02d}@ville-a.fr", password=PASSWORD, role=Role.COURIER)

    first = client.get("/gestion/personnes/?role=courier").content.decode()
    second = client.get("/gestion/personnes/?role=courier&page=2").content.decode()

    assert "55 personnes" in first
    assert first.count('<th scope="row">') == 50
    assert second.count('<th scope="row">') == 5
    assert 'href="?role=courier&amp;page=2" rel="next"' in first
    assert 'href="?role=courier&amp;page=1" rel="prev"' in second


def test_the_journal_is_paginated_with_a_fixed_number_of_queries(town_a, admin, django_assert_max_num_queries):
    admin_user, client = admin
    with town_a:
        AuditEntry.objects.all().delete()
        AuditEntry.objects.bulk_create(
            AuditEntry(
                actor_id=admin_user.pk, actor_label=admin_user.email, action="invited", target_label=f"p{i}@ville-a.fr"
            )
            for i in range(70)
        )
    # the host (3), session, user, count, page: the same for 1 line or 50
    with django_assert_max_num_queries(7):
        first = client.get("/gestion/personnes/journal/").content.decode()
    second = client.get("/gestion/personnes/journal/?page=2").content.decode()

    assert (first.count("Invitation envoyée"), second.count("Invitation envoyée")) == (50, 20)
    assert "Page 1 sur 2" in first


def test_an_admin_invites_an_agent_from_the_form(town_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    _user, client = admin
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/gestion/personnes/inviter/", {"email": "nouvel-agent@ville-a.fr", "role": "town_agent"}
        )

    assert response.status_code == 302
    assert mailoutbox[0].to == ["nouvel-agent@ville-a.fr"]
    with town_a:
        assert Invitation.objects.get(email="nouvel-agent@ville-a.fr").role == Role.TOWN_AGENT


def test_the_agents_invite_form_offers_only_couriers(town_a, agent):
    _user, client = agent
    html = client.get("/gestion/personnes/inviter/").content.decode()
    select = re.search(r'<select name="role".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([a-z_]+)"', select)
    assert options == ["courier"]

    response = client.post("/gestion/personnes/inviter/", {"email": "x@ville-a.fr", "role": "town_admin"})
    assert response.status_code == 200
    with town_a:
        assert not Invitation.objects.filter(email="x@ville-a.fr").exists()


def test_resend_and_cancel_buttons_act_and_come_back(town_a, admin, mailoutbox, django_capture_on_commit_callbacks):
    _user, client = admin
    with town_a:
        invitation = invite_person(actor=None, role=Role.TOWN_AGENT, email="a@ville-a.fr")
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(
            f"/gestion/personnes/invitations/{invitation.pk}/renvoyer/", {"next": "/gestion/personnes/"}
        )
    cancelled = client.post(
        f"/gestion/personnes/invitations/{invitation.pk}/annuler/", {"next": "https://ailleurs.example/"}
    )

    assert (resent.url, cancelled.url) == ("/gestion/personnes/", "/gestion/personnes/")
    assert len(mailoutbox) == 1
    with town_a:
        invitation.refresh_from_db()
        assert invitation.cancelled_at is not None


def test_the_person_page_deactivates_and_changes_the_role(town_a, admin):
    _user, client = admin
    with town_a:
        courier = User.objects.create_user(email="livreur@ville-a.fr", password=PASSWORD, role=Role.COURIER)

    page = client.get(f"/gestion/personnes/{courier.pk}/").content.decode()
    assert "Désactiver le compte" in page
    client.post(f"/gestion/personnes/{courier.pk}/role/", {"role": "delivery_coordinator"})
    client.post(f"/gestion/personnes/{courier.pk}/activation/", {"active": "0"})

    with town_a:
        courier.refresh_from_db()
        assert (courier.role, courier.is_active) == (Role.DELIVERY_COORDINATOR, False)
        assert list(AuditEntry.objects.filter(target_user_id=courier.pk).values_list("action", flat=True)) == [
            "deactivated",
            "role_changed",
        ]


def test_an_agent_cannot_open_an_admins_page(town_a, admin, agent):
    admin_user, _client = admin
    _user, client = agent
    assert client.get(f"/gestion/personnes/{admin_user.pk}/").status_code == 404
    assert client.post(f"/gestion/personnes/{admin_user.pk}/activation/", {"active": "0"}).status_code == 404


def test_refusing_the_last_admin_shows_why(town_a, admin):
    admin_user, client = admin
    response = client.post(f"/gestion/personnes/{admin_user.pk}/role/", {"role": "town_agent"}, follow=True)
    assert "dernier administrateur actif" in response.content.decode()
    with town_a:
        admin_user.refresh_from_db()
        assert admin_user.role == Role.TOWN_ADMIN


# --- the merchant's people --------------------------------------------------------------------------


@pytest.fixture
def shops(town_a):
    with town_a:
        return MerchantFactory(name="Boulangerie Dupont", slug="boulangerie"), MerchantFactory(
            name="Fromagerie", slug="fromagerie"
        )


def test_an_agent_invites_a_merchants_staff_who_then_manages_that_merchant(
    town_a, agent, shops, mailoutbox, django_capture_on_commit_callbacks
):
    _user, client = agent
    bakery, _cheese = shops
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/gestion/catalogue/commercants/boulangerie/personnes/", {"personne-email": "paul@boulangerie.fr"}
        )
    assert response.status_code == 302
    path = re.search(r"(/invitation/[^/\s]+/)", mailoutbox[0].body).group(1)

    invited = Client(HTTP_HOST="ville-a.test")
    accepted = invited.post(
        path,
        {
            "first_name": "Paul",
            "last_name": "Dupont",
            "new_password1": "farine-et-levain-1",
            "new_password2": "farine-et-levain-1",
        },
    )

    assert accepted.status_code == 302
    with town_a:
        paul = User.objects.get(email="paul@boulangerie.fr")
        assert paul.role == Role.MERCHANT_STAFF
        assert list(MerchantMembership.objects.filter(user_id=paul.pk).values_list("merchant_id", flat=True)) == [
            bakery.pk
        ]
    assert invited.get("/gestion/catalogue/commercants/boulangerie/").status_code == 200
    assert invited.get("/gestion/catalogue/commercants/fromagerie/").status_code == 404


def test_a_person_of_one_merchant_invited_to_another_just_gains_it(town_a, agent, shops, mailoutbox):
    _user, client = agent
    bakery, cheese = shops
    with town_a:
        paul = User.objects.create_user(email="paul@boulangerie.fr", password=PASSWORD, role=Role.MERCHANT_STAFF)
        MerchantMembership.objects.create(merchant=bakery, user_id=paul.pk)

    response = client.post(
        "/gestion/catalogue/commercants/fromagerie/personnes/", {"personne-email": "Paul@Boulangerie.fr"}, follow=True
    )

    assert "peut maintenant gérer ce commerce aussi" in response.content.decode()
    assert mailoutbox == []
    with town_a:
        assert set(MerchantMembership.objects.filter(user_id=paul.pk).values_list("merchant_id", flat=True)) == {
            bakery.pk,
            cheese.pk,
        }
        assert AuditEntry.objects.filter(target_user_id=paul.pk, action="merchant_added").count() == 1
    page = client.get("/gestion/catalogue/commercants/fromagerie/").content.decode()
    assert "paul@boulangerie.fr" in page


def test_a_person_taken_off_one_merchant_keeps_the_other_and_loses_this_one_at_once(town_a, agent, shops):
    _user, client = agent
    bakery, cheese = shops
    paul, paul_client = signed_in(town_a, Role.MERCHANT_STAFF, "paul@boulangerie.fr")
    with town_a:
        for shop in (bakery, cheese):
            MerchantMembership.objects.create(merchant=shop, user_id=paul.pk)
    assert paul_client.get("/gestion/catalogue/commercants/fromagerie/").status_code == 200

    response = client.post("/gestion/catalogue/commercants/fromagerie/personnes/", {"retirer": paul.pk}, follow=True)

    assert "paul@boulangerie.fr ne gère plus ce commerce." in response.content.decode()
    with town_a:
        assert list(MerchantMembership.objects.filter(user_id=paul.pk).values_list("merchant_id", flat=True)) == [
            bakery.pk
        ]
        entry = AuditEntry.objects.get(target_user_id=paul.pk, action="merchant_removed")
        assert entry.details == {"merchant_ids": [cheese.pk]}
        paul.refresh_from_db()
        assert paul.is_active  # the account stays, with its other merchant
    assert paul_client.get("/gestion/catalogue/commercants/fromagerie/").status_code == 404
    assert paul_client.get("/gestion/catalogue/commercants/boulangerie/").status_code == 200


def test_taking_off_someone_who_does_not_work_for_the_merchant_changes_nothing(town_a, agent, shops):
    _user, client = agent
    bakery, _cheese = shops
    with town_a:
        paul = User.objects.create_user(email="paul@boulangerie.fr", password=PASSWORD, role=Role.MERCHANT_STAFF)
        MerchantMembership.objects.create(merchant=bakery, user_id=paul.pk)

    for value in (paul.pk, "abc"):
        response = client.post("/gestion/catalogue/commercants/fromagerie/personnes/", {"retirer": value}, follow=True)
        assert "ne travaille pas pour ce commerce" in response.content.decode()
    with town_a:
        assert MerchantMembership.objects.filter(user_id=paul.pk).count() == 1
        assert not AuditEntry.objects.filter(action="merchant_removed").exists()


def test_merchant_staff_cannot_take_a_colleague_off_their_merchant(town_a, shops):
    bakery, _cheese = shops
    baker, client = signed_in(town_a, Role.MERCHANT_STAFF, "paul@boulangerie.fr")
    with town_a:
        colleague = User.objects.create_user(email="anne@boulangerie.fr", password=PASSWORD, role=Role.MERCHANT_STAFF)
        for person in (baker, colleague):
            MerchantMembership.objects.create(merchant=bakery, user_id=person.pk)

    response = client.post("/gestion/catalogue/commercants/boulangerie/personnes/", {"retirer": colleague.pk})

    assert response.status_code == 403
    with town_a:
        assert MerchantMembership.objects.filter(user_id=colleague.pk).exists()


def test_a_pending_merchant_invitation_gains_a_second_merchant_and_is_sent_again(
    town_a, agent, shops, mailoutbox, django_capture_on_commit_callbacks
):
    _user, client = agent
    bakery, cheese = shops
    for slug in ("boulangerie", "fromagerie"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/gestion/catalogue/commercants/{slug}/personnes/", {"personne-email": "paul@boulangerie.fr"})
    with town_a:
        invitation = Invitation.objects.get(email="paul@boulangerie.fr")
        assert invitation.merchant_ids == sorted([bakery.pk, cheese.pk])
    first, second = (re.search(r"(/invitation/[^/\s]+/)", message.body).group(1) for message in mailoutbox)
    assert Client(HTTP_HOST="ville-a.test").get(first).status_code == 404  # the newer link replaced it
    assert Client(HTTP_HOST="ville-a.test").get(second).status_code == 200
    assert "Renvoyer" in client.get("/gestion/catalogue/commercants/fromagerie/").content.decode()


def test_a_town_agents_address_cannot_join_a_merchant(town_a, agent, shops):
    agent_user, client = agent
    response = client.post(
        "/gestion/catalogue/commercants/boulangerie/personnes/", {"personne-email": agent_user.email}
    )
    assert response.status_code == 200
    assert "ne peut pas travailler pour un commerce" in response.content.decode()
    with town_a:
        assert not MerchantMembership.objects.filter(user_id=agent_user.pk).exists()


def test_merchant_staff_see_no_people_section_and_cannot_invite(town_a, shops):
    bakery, _cheese = shops
    baker, client = signed_in(town_a, Role.MERCHANT_STAFF, "paul@boulangerie.fr")
    with town_a:
        MerchantMembership.objects.create(merchant=bakery, user_id=baker.pk)
    assert "Personnes du commerce" not in client.get("/gestion/catalogue/commercants/boulangerie/").content.decode()
    response = client.post("/gestion/catalogue/commercants/boulangerie/personnes/", {"personne-email": "x@y.fr"})
    assert response.status_code == 403


def test_a_deactivated_merchant_staff_is_shown_so_on_the_merchant_page(town_a, admin, shops):
    admin_user, client = admin
    bakery, _cheese = shops
    with town_a:
        paul = User.objects.create_user(email="paul@boulangerie.fr", password=PASSWORD, role=Role.MERCHANT_STAFF)
        MerchantMembership.objects.create(merchant=bakery, user_id=paul.pk)
        deactivate_person(actor=admin_user, person=paul)
    page = client.get("/gestion/catalogue/commercants/boulangerie/").content.decode()
    assert "paul@boulangerie.fr" in page
    assert "désactivé" in page


def test_an_agent_sees_buttons_and_links_only_for_the_people_they_may_manage(town_a, admin, agent):
    admin_user, _client = admin
    _user, client = agent
    with town_a:
        courier = User.objects.create_user(email="livreur@ville-a.fr", password=PASSWORD, role=Role.COURIER)
        agent_invitation = invite_person(actor=None, role=Role.TOWN_AGENT, email="futur-agent@ville-a.fr")
        courier_invitation = invite_person(actor=None, role=Role.COURIER, email="futur-livreur@ville-a.fr")

    html = client.get("/gestion/personnes/").content.decode()

    assert f"/gestion/personnes/{courier.pk}/" in html
    assert f"/gestion/personnes/{admin_user.pk}/" not in html
    assert f"/invitations/{courier_invitation.pk}/renvoyer/" in html
    assert f"/invitations/{agent_invitation.pk}/renvoyer/" not in html
    assert "futur-agent@ville-a.fr" in html  # listed all the same: the agent knows who is expected
