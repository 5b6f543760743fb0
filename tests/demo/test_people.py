"""The demo's people: a second town staff member (four-eyes payout approval) and a login for every
merchant, seeded once and never overwriting what the town changed."""

from __future__ import annotations

from django.test import Client

from accounts.actions import deactivate_person
from accounts.models import Role, User
from catalog.models import MerchantMembership, MerchantStatus
from demo.people import seed_demo_people
from tests.catalog.factories import MerchantFactory

PASSWORD = "demo-mot-de-passe-1"


def test_demo_people_are_an_agent_and_a_login_per_merchant_that_can_log_in(town_a):
    with town_a:
        bakery = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont", sells_online=True)
        MerchantFactory(name="Atelier fermé", slug="atelier", status=MerchantStatus.DRAFT)
        for name in ("Bijouterie", "Cordonnerie", "Droguerie"):
            MerchantFactory(name=name, slug=name.lower(), sells_online=False)

        lines = seed_demo_people(town=town_a, password=PASSWORD)

        agent = User.objects.get(email="agent@ville-a.test")
        assert agent.role == Role.TOWN_AGENT
        baker = User.objects.get(email="boulangerie-dupont@ville-a.test")
        assert (
            baker.role,
            list(MerchantMembership.objects.filter(user_id=baker.pk).values_list("merchant", flat=True)),
        ) == (
            Role.MERCHANT_STAFF,
            [bakery.pk],
        )
        assert User.objects.filter(email="atelier@ville-a.test").exists()
    assert lines == [
        f"  agent de la ville : agent@ville-a.test / {PASSWORD}",
        f"  commerçant « Boulangerie Dupont » : boulangerie-dupont@ville-a.test / {PASSWORD}",  # sells online: first
        f"  commerçant « Atelier fermé » : atelier@ville-a.test / {PASSWORD}",
        f"  commerçant « Bijouterie » : bijouterie@ville-a.test / {PASSWORD}",
        "  … et 2 autres commerçants : <identifiant du commerce>@ville-a.test (même mot de passe)",
    ]
    client = Client(HTTP_HOST="ville-a.test")
    client.post("/compte/login/", {"login": "boulangerie-dupont@ville-a.test", "password": PASSWORD})
    assert client.get("/gestion/catalogue/commercants/boulangerie-dupont/").status_code == 200


def test_demo_people_are_seeded_once_and_keep_what_the_town_changed(town_a):
    with town_a:
        MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        admin = User.objects.create_user(email="maire@ville-a.fr", password=PASSWORD, role=Role.TOWN_ADMIN)
        seed_demo_people(town=town_a, password=PASSWORD)
        agent = User.objects.get(email="agent@ville-a.test")
        agent.set_password("changé-par-la-ville-1")
        agent.save()
        deactivate_person(actor=admin, person=agent)
        MerchantFactory(name="Nouvelle boutique", slug="nouvelle")

        seed_demo_people(town=town_a, password=PASSWORD)

        agent.refresh_from_db()
        assert (agent.check_password("changé-par-la-ville-1"), agent.is_active) == (True, False)
        assert not User.objects.filter(email="nouvelle@ville-a.test").exists()
        assert User.objects.filter(role=Role.MERCHANT_STAFF).count() == 1
