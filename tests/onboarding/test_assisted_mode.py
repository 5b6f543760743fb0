"""Assisted mode: a town agent acts for one merchant of their town, on the merchant's own screens,
behind a banner, with every change recorded with both identities and readable by the merchant; never
for another town's merchant, never with a town admin's powers while acting."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.assisted import Assisted, act_for_merchant
from accounts.models import Role, User
from catalog.models import MerchantMembership, OpeningPeriod, Product
from checkout.models import MerchantOrderStatus
from demo.onboarding_assisted import seed_demo_assisted_history
from demo.people import demo_address
from onboarding.assisted.actions import IDLE_LIMIT, SESSION_KEY
from onboarding.assisted.models import AssistedChange, AssistedSession, ChangeKind, EndReason
from tenants.models import Town
from tests.catalog.factories import MerchantFactory, ProductFactory, VariantFactory
from tests.checkout.conftest import paid_order, shops  # noqa: F401  (fixture)
from tests.onboarding.factories import make_agent

BANNER = "Vous agissez pour le compte de"


def start_url(slug: str) -> str:
    return f"/gestion/accompagnement/assistance/pour-le-compte-de/{slug}/"


END_URL = "/gestion/accompagnement/assistance/terminer/"


def history_url(slug: str) -> str:
    return f"/gestion/accompagnement/assistance/historique/{slug}/"


def merchant_staff(merchant: object, email: str = "boulanger@ville-a.test") -> User:
    user = User.objects.create_user(email, "pw-merchant-2026", role=Role.MERCHANT_STAFF)
    MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
    return user


def start_acting(client: Client, slug: str, reason: str = "") -> None:
    response = client.post(start_url(slug), {"reason": reason})
    assert response.status_code == 302, response.content.decode()[:500]
    assert response["Location"] == f"/gestion/catalogue/commercants/{slug}/"


# --- starting, the banner, ending ------------------------------------------------------------------


def test_an_agent_starts_acting_and_the_banner_is_on_every_page_until_they_end(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        client_a.force_login(agent)

    start_acting(client_a, "boulangerie-dupont", reason="Au téléphone avec M. Dupont")

    with town_a:
        session = AssistedSession.objects.get()
        assert (session.agent_id, session.merchant_id, session.agent_label, session.agent_role, session.reason) == (
            agent.pk,
            merchant.pk,
            "agent@ville-a.test",
            Role.TOWN_AGENT,
            "Au téléphone avec M. Dupont",
        )
        assert session.ended_at is None
    assert client_a.session[SESSION_KEY] == session.pk
    for page in ("/gestion/catalogue/commercants/boulangerie-dupont/", "/gestion/mes-commandes/", "/"):
        html = client_a.get(page).content.decode()
        assert 'class="assisted-banner"' in html, page
        assert f"{BANNER} <strong>Boulangerie Dupont</strong>" in html, page
        assert f'action="{END_URL}"' in html, page

    ended = client_a.post(END_URL)

    assert ended.status_code == 302
    assert ended["Location"] == "/gestion/catalogue/commercants/boulangerie-dupont/"
    with town_a:
        session.refresh_from_db()
        assert (session.ended_by_id, session.end_reason) == (agent.pk, EndReason.BY_AGENT)
        assert session.ended_at is not None
    assert SESSION_KEY not in client_a.session
    for page in ("/gestion/catalogue/commercants/boulangerie-dupont/", "/gestion/mes-commandes/", "/"):
        assert BANNER not in client_a.get(page).content.decode(), page


def test_the_start_button_is_on_the_catalogue_merchant_page_for_town_staff_only(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        owner = merchant_staff(merchant)
        client_a.force_login(agent)
    page = "/gestion/catalogue/commercants/boulangerie-dupont/"

    assert f'action="{start_url("boulangerie-dupont")}"' in client_a.get(page).content.decode()
    with town_a:
        client_a.force_login(owner)
    assert 'id="mode-assiste"' not in client_a.get(page).content.decode()


def test_signing_out_ends_the_session(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        MerchantFactory(slug="boulangerie-dupont")
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")

    client_a.post("/compte/logout/")

    with town_a:
        session = AssistedSession.objects.get()
        assert (session.end_reason, session.ended_by_id) == (EndReason.LOGOUT, agent.pk)


def test_two_idle_hours_end_the_session_and_the_agent_is_themself_again(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        MerchantFactory(slug="boulangerie-dupont")
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + IDLE_LIMIT + dt.timedelta(minutes=1)):
        html = client_a.get("/gestion/accompagnement/").content.decode()

    assert BANNER not in html
    assert SESSION_KEY not in client_a.session
    with town_a:
        session = AssistedSession.objects.get()
        assert (session.end_reason, session.ended_by_id) == (EndReason.IDLE, None)


# --- who may start ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER, Role.DELIVERY_COORDINATOR])
def test_only_town_staff_may_start_acting(town_a: Town, client_a: Client, role: Role) -> None:
    with town_a:
        merchant = MerchantFactory(slug="boulangerie-dupont")
        user = User.objects.create_user(f"{role}@ville-a.test", "pw-someone-2026", role=role)
        MerchantMembership.objects.create(merchant=merchant, user_id=user.pk)
        client_a.force_login(user)

    response = client_a.post(start_url("boulangerie-dupont"))

    assert response.status_code == 403
    assert SESSION_KEY not in client_a.session
    with town_a:
        assert AssistedSession.objects.count() == 0


def test_starting_is_a_post_only(town_a: Town, client_a: Client) -> None:
    with town_a:
        MerchantFactory(slug="boulangerie-dupont")
        client_a.force_login(make_agent())

    assert client_a.get(start_url("boulangerie-dupont")).status_code == 405
    with town_a:
        assert AssistedSession.objects.count() == 0


def test_an_agent_of_town_a_cannot_act_for_a_merchant_of_town_b(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client
) -> None:
    with town_b:
        MerchantFactory(name="Fromagerie de B", slug="fromagerie-de-b")
        agent_b = make_agent("agent@ville-b.test")
        client_b.force_login(agent_b)
    with town_a:
        client_a.force_login(make_agent())

    # An agent of town A names town B's merchant on town A's site: not in this town.
    assert client_a.post(start_url("fromagerie-de-b")).status_code == 404
    # Town B's signed-in session replayed on town A's host is nobody there: sent to the login page.
    replay = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    replay.cookies = client_b.cookies
    forged = replay.post(start_url("fromagerie-de-b"))
    assert forged.status_code == 302
    assert "/compte/login/" in forged["Location"]

    with town_a:
        assert (AssistedSession.objects.count(), AssistedChange.objects.count()) == (0, 0)
    with town_b:
        assert (AssistedSession.objects.count(), AssistedChange.objects.count()) == (0, 0)


def test_a_session_of_town_b_carried_to_town_a_acts_for_nobody(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client
) -> None:
    """An acting agent's browser session of town B, its cookie replayed on town A: anonymous, no banner."""
    with town_b:
        MerchantFactory(name="Fromagerie de B", slug="fromagerie-de-b")
        client_b.force_login(make_agent("agent@ville-b.test"))
    start_acting(client_b, "fromagerie-de-b")
    replay = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    replay.cookies = client_b.cookies

    html = replay.get("/").content.decode()

    assert BANNER not in html
    assert replay.get("/gestion/mes-commandes/").status_code == 302


# --- what the agent may do while acting --------------------------------------------------------------


ADMIN_PAGES = [
    "/gestion/",  # the site's settings and appearance
    "/gestion/finances/",
    "/gestion/reversements/",
    "/gestion/reversements/parametres/",
    "/gestion/personnes/",
    "/gestion/accompagnement/",
    "/gestion/commandes/en-attente/",
    "/gestion/livraisons/tableau/",
    "/gestion/catalogue/categories/",
    "/gestion/catalogue/nouveau-commercant/",
]


def test_a_town_admin_acting_is_refused_admin_pages_until_they_end(town_a: Town, client_a: Client) -> None:
    with town_a:
        admin = User.objects.create_user("admin@ville-a.test", "pw-admin-2026", role=Role.TOWN_ADMIN)
        MerchantFactory(slug="boulangerie-dupont")
        client_a.force_login(admin)
    before = {page: client_a.get(page).status_code for page in ADMIN_PAGES}
    assert set(before.values()) == {200}, before
    start_acting(client_a, "boulangerie-dupont")

    acting = {page: client_a.get(page).status_code for page in ADMIN_PAGES}

    assert set(acting.values()) == {403}, acting
    # Nor can an acting agent start a second session (for another merchant) from inside the first.
    assert client_a.post(start_url("boulangerie-dupont")).status_code == 403
    with town_a:
        admin.refresh_from_db()
        assert (admin.role, AssistedSession.objects.count()) == (Role.TOWN_ADMIN, 1)
    client_a.post(END_URL)
    assert {page: client_a.get(page).status_code for page in ADMIN_PAGES} == before


def test_the_agent_acting_reaches_only_that_merchants_catalogue(town_a: Town, client_a: Client) -> None:
    with town_a:
        MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        other = MerchantFactory(name="Épicerie du Port", slug="epicerie-du-port")
        other_product = ProductFactory(merchant=other, title="Miel de Calais")
        client_a.force_login(make_agent())
    start_acting(client_a, "boulangerie-dupont")

    listing = client_a.get("/gestion/catalogue/").content.decode()

    assert "Boulangerie Dupont" in listing
    assert "Épicerie du Port" not in listing
    assert client_a.get("/gestion/catalogue/commercants/epicerie-du-port/").status_code == 404
    assert client_a.get(f"/gestion/catalogue/produits/{other_product.pk}/").status_code == 404


def test_the_agent_acting_sees_only_that_merchants_orders(town_a: Town, client_a: Client, shops: dict) -> None:  # noqa: F811
    with town_a:
        bakery_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        grocer_order = paid_order(shops["grocer"]["variants"][0]).merchant_orders.get()
        client_a.force_login(make_agent())
    start_acting(client_a, shops["bakery"]["merchant"].slug)

    listing = client_a.get("/gestion/mes-commandes/").content.decode()

    assert bakery_order.order.number in listing
    assert grocer_order.order.number not in listing
    assert client_a.get(f"/gestion/mes-commandes/{grocer_order.pk}/").status_code == 404
    assert client_a.post(f"/gestion/mes-commandes/{grocer_order.pk}/accepter/").status_code == 404
    with town_a:
        grocer_order.refresh_from_db()
        assert grocer_order.status == MerchantOrderStatus.PAID
        assert AssistedChange.objects.count() == 0


# --- the log ------------------------------------------------------------------------------------------


def test_a_change_while_acting_is_logged_with_agent_and_merchant_and_the_merchant_reads_it(
    town_a: Town, client_a: Client
) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont", phone="0321000000")
        owner = merchant_staff(merchant)
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")

    saved = client_a.post(
        "/gestion/catalogue/commercants/boulangerie-dupont/",
        {
            "name": "Boulangerie Dupont",
            "kind": "shop",
            "description": "",
            "address_line": "",
            "postcode": "",
            "city": "Calais",
            "phone": "0321999999",
            "email": "",
            "website": "",
            "siret": "",
            "sells_online": "on",
            "click_and_collect": "on",
        },
    )

    assert saved.status_code == 302, saved.content.decode()[:3000]
    with town_a:
        session = AssistedSession.objects.get()
        change = AssistedChange.objects.get()
        assert (change.session_id, change.agent_id, change.merchant_id) == (session.pk, agent.pk, merchant.pk)
        assert (change.kind, change.model_label, change.object_id, change.object_label) == (
            ChangeKind.UPDATE,
            "catalog.merchant",
            str(merchant.pk),
            "Boulangerie Dupont",
        )
        assert change.changes == {"phone": ["0321000000", "0321999999"]}
        assert change.path == "/gestion/catalogue/commercants/boulangerie-dupont/"
    client_a.post(END_URL)

    with town_a:
        client_a.force_login(owner)
    history = client_a.get(history_url("boulangerie-dupont"))

    assert history.status_code == 200
    html = history.content.decode()
    assert "agent@ville-a.test" in html
    assert "Modification — Commerçant « Boulangerie Dupont »" in html
    assert "téléphone : 0321000000 → 0321999999" in html
    assert "Terminée par l’agent" in html


def test_a_change_made_through_a_bulk_update_is_logged_as_the_form_sent(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(slug="boulangerie-dupont")
        variant = VariantFactory(product=ProductFactory(merchant=merchant), stock=10)
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")

    response = client_a.post(f"/gestion/catalogue/declinaisons/{variant.pk}/stock/", {"stock": "4"})

    assert response.status_code == 302
    with town_a:
        variant.refresh_from_db()
        assert variant.stock == 4
        change = AssistedChange.objects.get()
        assert (change.kind, change.agent_id, change.merchant_id, change.object_id, change.object_label) == (
            ChangeKind.REQUEST,
            agent.pk,
            merchant.pk,
            str(variant.pk),
            "backoffice:variant_stock",
        )
        assert change.changes == {"stock": "4"}
        client_a.post(END_URL)
        client_a.force_login(merchant_staff(merchant))
    html = client_a.get(history_url("boulangerie-dupont")).content.decode()
    assert f"Action — Stock d’une déclinaison (/gestion/catalogue/declinaisons/{variant.pk}/stock/)" in html
    assert "<li>stock : 4</li>" in html


def test_changes_outside_assisted_mode_are_not_logged(town_a: Town, client_a: Client) -> None:
    with town_a:
        merchant = MerchantFactory(slug="boulangerie-dupont")
        product = ProductFactory(merchant=merchant, title="Éclair")
        client_a.force_login(make_agent())

    client_a.post(f"/gestion/catalogue/produits/{product.pk}/publication/", {"is_published": ""})
    with town_a:
        Product.objects.filter(pk=product.pk).update(title="Éclair au café")
        product.refresh_from_db()
        product.title = "Éclair au chocolat"
        product.save()
        assert AssistedChange.objects.count() == 0


def test_town_staff_read_each_merchants_history_and_other_merchants_do_not(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        other_owner = merchant_staff(MerchantFactory(slug="epicerie-du-port"), "epicier@ville-a.test")
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont", reason="Mise en ligne")
    client_a.post(END_URL)

    assert "Mise en ligne" in client_a.get(history_url("boulangerie-dupont")).content.decode()
    with town_a:
        client_a.force_login(other_owner)
    assert client_a.get(history_url("boulangerie-dupont")).status_code == 404


def test_the_history_page_reads_in_a_fixed_number_of_queries(
    town_a: Town, client_a: Client, django_assert_num_queries: object
) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(slug="boulangerie-dupont")
        for number in range(3):
            session = AssistedSession.objects.create(
                merchant=merchant,
                agent_id=agent.pk,
                agent_label=agent.email,
                agent_role=agent.role,
                ended_at=dt.datetime(2026, 12, 1, 10, number, tzinfo=dt.UTC),
                end_reason=EndReason.BY_AGENT,
            )
            for index in range(4):
                AssistedChange.objects.create(
                    session=session,
                    merchant=merchant,
                    agent_id=agent.pk,
                    kind=ChangeKind.UPDATE,
                    model_label="catalog.product",
                    object_id=str(index),
                    object_label=f"Produit {index}",
                    changes={"title": ["avant", "après"]},
                )
        client_a.force_login(merchant_staff(merchant))
    client_a.get(history_url("boulangerie-dupont"))  # warm the caches a page may fill once

    with django_assert_num_queries(6):
        response = client_a.get(history_url("boulangerie-dupont"))

    assert response.content.decode().count("titre : avant → après") == 12


def test_saving_the_acting_agent_keeps_their_own_role_in_the_database(town_a: Town) -> None:
    with town_a:
        admin = User.objects.create_user("admin@ville-a.test", "pw-admin-2026", role=Role.TOWN_ADMIN)
        merchant = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        act_for_merchant(
            admin,
            Assisted(
                session_id=1,
                merchant_id=merchant.pk,
                merchant_name=merchant.name,
                merchant_slug=merchant.slug,
                agent_id=admin.pk,
                agent_email=admin.email,
                agent_role=admin.role,
                agent_is_staff=False,
                agent_is_superuser=False,
            ),
        )
        admin.first_name = "Claire"

        admin.save()

        assert admin.role == Role.MERCHANT_STAFF  # this request's instance still acts
        stored = User.objects.get(pk=admin.pk)
        assert (stored.role, stored.first_name) == (Role.TOWN_ADMIN, "Claire")


def test_opening_hours_replaced_while_acting_log_the_old_rows_deleted_and_the_form_sent(
    town_a: Town, client_a: Client
) -> None:
    with town_a:
        agent = make_agent()
        merchant = MerchantFactory(slug="boulangerie-dupont")
        old = OpeningPeriod.objects.create(merchant=merchant, weekday=0, opens_at="08:00", closes_at="12:00")
        client_a.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")
    form = {
        "plages-TOTAL_FORMS": "1",
        "plages-INITIAL_FORMS": "0",
        "plages-0-weekday": "1",
        "plages-0-opens_at": "09:30",
        "plages-0-closes_at": "12:30",
    }

    response = client_a.post("/gestion/catalogue/commercants/boulangerie-dupont/horaires/", form)

    assert response.status_code == 302
    with town_a:
        logged = list(AssistedChange.objects.values_list("kind", "model_label", "object_id", "agent_id"))
        assert logged == [
            (ChangeKind.DELETE, "catalog.openingperiod", str(old.pk), agent.pk),
            (ChangeKind.REQUEST, "", "boulangerie-dupont", agent.pk),
        ]
        assert AssistedChange.objects.get(kind=ChangeKind.REQUEST).changes == form


def test_an_order_accepted_while_acting_is_logged_with_its_status_change(
    town_a: Town,
    client_a: Client,
    shops: dict,  # noqa: F811
) -> None:
    with town_a:
        agent = make_agent()
        merchant_order = paid_order(shops["bakery"]["variants"][0]).merchant_orders.get()
        client_a.force_login(agent)
    start_acting(client_a, shops["bakery"]["merchant"].slug)

    response = client_a.post(f"/gestion/mes-commandes/{merchant_order.pk}/accepter/")

    assert response.status_code == 302
    with town_a:
        merchant_order.refresh_from_db()
        assert merchant_order.status == MerchantOrderStatus.ACCEPTED
        logged = {
            (change.kind, change.model_label): change.changes
            for change in AssistedChange.objects.filter(agent_id=agent.pk, merchant=shops["bakery"]["merchant"])
        }
        assert logged[(ChangeKind.UPDATE, "checkout.merchantorder")]["status"] == ["paid", "accepted"]
        assert logged[(ChangeKind.CREATE, "checkout.statuschange")]["to_status"] == [None, "accepted"]
        assert "pickup_code" not in logged[(ChangeKind.UPDATE, "checkout.merchantorder")]


def test_the_agent_acting_sees_only_that_merchants_bank_details(town_a: Town, client_a: Client) -> None:
    with town_a:
        MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        MerchantFactory(name="Épicerie du Port", slug="epicerie-du-port")
        client_a.force_login(make_agent())
    start_acting(client_a, "boulangerie-dupont")

    listing = client_a.get("/gestion/reversements/coordonnees-bancaires/")

    assert listing.status_code == 200
    assert "Boulangerie Dupont" in listing.content.decode()
    assert "Épicerie du Port" not in listing.content.decode()
    assert client_a.get("/gestion/reversements/coordonnees-bancaires/epicerie-du-port/").status_code == 404


def test_a_signed_in_agent_not_acting_pays_no_query_for_assisted_mode(town_a: Town, client_a: Client) -> None:
    with town_a:
        MerchantFactory(slug="boulangerie-dupont")
        client_a.force_login(make_agent())

    with CaptureQueriesContext(connection) as queries:
        client_a.get("/gestion/catalogue/commercants/boulangerie-dupont/")

    assert [query["sql"] for query in queries if "assisted" in query["sql"]] == []


def test_the_demo_history_is_seeded_once_and_reads_on_the_merchants_tab(town_a: Town, client_a: Client) -> None:
    with town_a:
        User.objects.create_user(demo_address(town_a, "agent"), "pw-agent-2026", role=Role.TOWN_AGENT)
        merchant = MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont", phone="0321000000")
        ProductFactory(merchant=merchant, title="Éclair", price_cents=250)

        first = seed_demo_assisted_history(town=town_a)
        again = seed_demo_assisted_history(town=town_a)

        assert (
            first
            == "  mode assisté : une session passée de l’agent pour « Boulangerie Dupont » (onglet « Mode assisté »)"
        )
        assert again == ""
        assert (AssistedSession.objects.count(), AssistedChange.objects.count()) == (1, 2)
        client_a.force_login(merchant_staff(merchant))
    html = client_a.get(history_url("boulangerie-dupont")).content.decode()
    assert "prix TTC : 2,70\xa0€ → 2,50\xa0€" in html
    assert "Mise à jour par téléphone" in html


def test_ending_when_not_acting_sends_town_staff_back_and_refuses_anyone_else(town_a: Town, client_a: Client) -> None:
    with town_a:
        client_a.force_login(make_agent())
    assert client_a.post(END_URL)["Location"] == "/gestion/catalogue/"
    with town_a:
        client_a.force_login(merchant_staff(MerchantFactory()))
    assert client_a.post(END_URL).status_code == 403


def test_starting_in_a_second_browser_ends_the_first_session(town_a: Town, client_a: Client) -> None:
    with town_a:
        agent = make_agent()
        MerchantFactory(name="Boulangerie Dupont", slug="boulangerie-dupont")
        MerchantFactory(name="Épicerie du Port", slug="epicerie-du-port")
        client_a.force_login(agent)
        other_browser = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
        other_browser.force_login(agent)
    start_acting(client_a, "boulangerie-dupont")

    start_acting(other_browser, "epicerie-du-port")

    with town_a:
        first, second = AssistedSession.objects.order_by("pk")
        assert (first.end_reason, first.ended_by_id, second.ended_at) == (EndReason.REPLACED, None, None)
    assert BANNER not in client_a.get("/").content.decode()
    assert f"{BANNER} <strong>Épicerie du Port</strong>" in other_browser.get("/").content.decode()
