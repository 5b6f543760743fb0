"""Merchant statements (per batch, per month), the town's état de reversement: figures, PDF, CSV, access."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Role, User
from checkout.actions import Actor, accept_merchant_order, hand_over, mark_merchant_order_ready
from checkout.models import MerchantOrder, Order
from checkout.payments import confirm_payment_from_return, refund_merchant_order, start_payment
from payments.gateways import gateway_account_id, get_gateway
from settlement.ledger.models import SettlementPolicy
from settlement.payouts.models import MerchantPayoutAccount, PayoutBatch, PayoutBatchState
from settlement.payouts.runs import approve_batch, run_payout
from settlement.reports import statements
from tests.catalog.test_backoffice import sign_in
from tests.checkout.conftest import basket_with, make_shop, merchant_user, order_from
from tests.settlement.conftest import finance_url, payouts_url
from tests.settlement.payout_factories import (
    accept_current_agreement,
    french_iban,
    make_available,
    payable_merchant,
    set_treasury,
    town_user,
)

PARIS = ZoneInfo("Europe/Paris")
STAFF = Actor(kind="town_agent", user_id=1)
BAKERY_SIRET = "73282932000074"
BAKERY_IBAN = french_iban(424242)


def at(day: int, hour: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=PARIS)


def pay(town, order: Order, callbacks) -> Order:
    payment = start_payment(order=order)
    get_gateway(town).confirm_payment(account_id=gateway_account_id(town), intent_id=payment.intent_id)
    with callbacks(execute=True):
        confirm_payment_from_return(order=order)
    order.refresh_from_db()
    return order


def refund(merchant_order: MerchantOrder, cents: int, key: str, callbacks) -> None:
    with callbacks(execute=True):
        refund_merchant_order(
            merchant_order_id=merchant_order.pk, amount_cents=cents, reason="Abîmé", request_key=key, actor=STAFF
        )


def staff(email: str) -> User:
    return User.objects.create_user(email=email, password="mot-de-passe-solide-42", role=Role.TOWN_AGENT)


@pytest.fixture
def march(town_a, django_capture_on_commit_callbacks):
    """A bakery's March: 10,00 € sold, 2,50 € refunded, 5 % commission, paid 7,12 € on the 16th, 1,00 € refunded after.

    The grocer sold 8,90 € in the same order, not handed over yet (held, so never paid in March).
    """
    callbacks = django_capture_on_commit_callbacks
    with town_a:
        SettlementPolicy.objects.update_or_create(pk=1, defaults={"hold_days": 0, "commission_basis_points": 500})
        agent, second_agent = staff("prepare@ville-a.test"), staff("approuve@ville-a.test")
        with time_machine.travel(at(2, 10), tick=False):
            bakery = make_shop("Boulangerie Dupont", products=[("Éclair", 250, None)], siret=BAKERY_SIRET)
            grocer = make_shop("Épicerie du Port", products=[("Miel", 890, None)])
            MerchantPayoutAccount.objects.create(
                merchant=bakery["merchant"],
                holder_name="Dupont SARL",
                iban=BAKERY_IBAN,
                street="rue Royale",
                postcode="62100",
                town="Calais",
            )
            accept_current_agreement(bakery["merchant"], at=at(1))
            order = pay(
                town_a,
                order_from(basket_with([(bakery["variants"][0], 4), (grocer["variants"][0], 1)])),
                callbacks,
            )
            bakery_part = order.merchant_orders.get(merchant=bakery["merchant"])
            refund(bakery_part, 250, "before-release", callbacks)
        with time_machine.travel(at(3, 10), tick=False):
            accept_merchant_order(merchant_order_id=bakery_part.pk, actor=STAFF)
            mark_merchant_order_ready(merchant_order_id=bakery_part.pk, actor=STAFF)
            with callbacks(execute=True):  # hold of 0 days: released at handover, 5 % commission
                hand_over(merchant_order_id=bakery_part.pk, pickup_code=bakery_part.pickup_code, actor=STAFF)
        with time_machine.travel(at(16, 6), tick=False):
            first = run_payout(cut_off=at(16), actor=agent).batch
            approve_batch(batch=first, actor=second_agent)
        with time_machine.travel(at(20, 10), tick=False):
            refund(bakery_part, 100, "after-payout", callbacks)
        with time_machine.travel(at(1, 6, month=4), tick=False):
            second = run_payout(cut_off=at(1, month=4), actor=agent).batch
        yield {
            "bakery": bakery["merchant"],
            "grocer": grocer["merchant"],
            "order": order,
            "first": first,
            "second": second,
        }


def figures(statement: statements.MerchantStatement) -> dict[str, int]:
    return {
        "opening": statement.opening_cents,
        "sales": statement.sales_cents,
        "refunds": statement.refunds_cents,
        "fees": statement.fees_cents,
        "paid": statement.paid_cents,
        "closing_held": statement.closing_held_cents,
        "closing_available": statement.closing_available_cents,
    }


def test_a_batch_statement_lists_the_order_the_refund_the_commission_and_the_transfer(town_a, march):
    with town_a:
        statement = statements.merchant_statement(march["bakery"], march["first"])

    assert march["first"].line_count == 1
    assert figures(statement) == {
        "opening": 0,
        "sales": 1000,
        "refunds": 250,
        "fees": 38,  # 5 % of 7,50 €, the half cent to the commission (largest remainder, first part)
        "paid": 712,
        "closing_held": 0,
        "closing_available": 0,
    }
    number = march["order"].number
    assert [(line.date_text, line.label, line.amount_cents) for line in statement.lines] == [
        ("02/03/2026", f"Commande n° {number}", 1000),
        ("02/03/2026", f"Remboursement, commande n° {number}", -250),
        ("03/03/2026", f"Commission, commande n° {number}", -38),
        ("16/03/2026", f"Reversement {march['first'].reference}", -712),
    ]
    assert statement.transfer_cents == 712
    assert statement.transfer_iban.endswith(BAKERY_IBAN[-3:])
    assert statement.opening_cents + sum(line.amount_cents for line in statement.lines) == statement.closing_cents


def test_a_refund_after_payout_is_carried_forward_as_a_negative_balance(town_a, march):
    with town_a:
        second = march["second"]
        statement = statements.merchant_statement(march["bakery"], second)
        april = statements.monthly_statement(merchant=march["bakery"], year=2026, month=4)

    assert second.state == PayoutBatchState.EMPTY
    assert figures(statement) == {
        "opening": 0,  # the first batch's transfer belongs to the first statement
        "sales": 0,
        "refunds": 100,
        "fees": 0,
        "paid": 0,
        "closing_held": 0,
        "closing_available": -100,
    }
    assert statement.carried_forward_cents == -100
    assert statement.transfer_cents == 0
    assert statement.not_paid_reason == "Solde négatif, reporté"
    assert (april.opening_available_cents, april.carried_over_cents, april.lines) == (-100, -100, [])


def test_a_monthly_statement_adds_up_from_opening_to_closing(town_a, march):
    with town_a:
        statement = statements.monthly_statement(merchant=march["bakery"], year=2026, month=3)

    assert [line.amount_cents for line in statement.lines] == [1000, -250, -38, -712, -100]
    assert figures(statement)["closing_available"] == -100
    assert statement.opening_cents + sum(line.amount_cents for line in statement.lines) == statement.closing_cents
    assert (statement.start_text, statement.end_text) == ("01/03/2026", "31/03/2026")


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def bakery_client(town_a, client_a, march):
    with town_a:
        client_a.force_login(merchant_user(march["bakery"], "dupont@ville-a.test"))
    return client_a


def test_the_merchant_downloads_a_real_pdf_with_their_name_siret_town_and_total(town_a, march, bakery_client):
    slug, batch = march["bakery"].slug, march["first"]
    response = bakery_client.get(f"/gestion/finances/releves/{slug}/lot-{batch.pk}.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Boulangerie Dupont" in text
    assert f"SIRET {BAKERY_SIRET}" in text
    assert "Ville A" in text
    assert "7,12" in text
    assert "Page 1 sur 1" in text


def test_the_statement_csv_is_french_and_ends_with_the_balances(town_a, march, bakery_client):
    slug, batch = march["bakery"].slug, march["first"]
    rows = read_csv(bakery_client.get(f"/gestion/finances/releves/{slug}/lot-{batch.pk}.csv").content)

    number = march["order"].number
    assert rows[0] == ["date", "type", "libelle", "reference", "montant"]
    assert rows[2:6] == [
        ["02/03/2026", "Commande", f"Commande n° {number}", number, "10,00"],
        ["02/03/2026", "Remboursement", f"Remboursement, commande n° {number}", number, "-2,50"],
        ["03/03/2026", "Commission", f"Commission, commande n° {number}", number, "-0,38"],
        ["16/03/2026", "Virement", f"Reversement {batch.reference}", str(batch.pk), "-7,12"],
    ]
    assert rows[-3][4] == "0,00"


def test_a_merchant_with_one_shop_lands_on_their_statements(town_a, march, bakery_client):
    response = bakery_client.get("/gestion/finances/releves/")
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/finances/releves/{march['bakery'].slug}/"

    page = bakery_client.get(response["Location"])
    assert page.status_code == 200
    assert [batch.pk for batch in page.context["batches"]] == [march["second"].pk, march["first"].pk]
    assert page.context["months"] == [dt.date(2026, 3, 1)]
    assert f"lot-{march['first'].pk}.pdf" in page.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/gestion/finances/releves/{grocer}/",
        "/gestion/finances/releves/{grocer}/2026-3.pdf",
        "/gestion/finances/releves/{grocer}/2026-3.csv",
        "/gestion/finances/releves/{grocer}/lot-{batch}.pdf",
        "/gestion/finances/releves/{bakery}/lot-999999.pdf",
    ],
)
def test_a_merchant_never_sees_another_merchants_statement(town_a, march, bakery_client, path):
    url = path.format(grocer=march["grocer"].slug, bakery=march["bakery"].slug, batch=march["first"].pk)
    assert bakery_client.get(url).status_code == 404


def test_a_merchant_gets_no_statement_for_a_batch_they_were_not_in(town_a, client_a, march):
    with town_a:
        client_a.force_login(merchant_user(march["grocer"], "port@ville-a.test"))
    url = f"/gestion/finances/releves/{march['grocer'].slug}/lot-{march['first'].pk}.pdf"
    assert client_a.get(url).status_code == 404


def test_a_draft_batch_is_not_shown_to_merchants(town_a, march, bakery_client):
    with town_a:
        PayoutBatch.objects.filter(pk=march["first"].pk).update(state=PayoutBatchState.DRAFT)
    url = f"/gestion/finances/releves/{march['bakery'].slug}/lot-{march['first'].pk}.pdf"
    assert bakery_client.get(url).status_code == 404


def test_a_resident_has_no_statements(town_a, client_a):
    with town_a:
        client_a.force_login(User.objects.create_user(email="r@ville-a.test", password="x-solide-42"))
    assert client_a.get("/gestion/finances/releves/").status_code == 403


@pytest.mark.slow
def test_town_staff_choose_among_all_merchants(town_a, client_a, march):
    with town_a:
        client_a.force_login(staff("agent@ville-a.test"))
    response = client_a.get("/gestion/finances/releves/")
    assert response.status_code == 200
    assert [merchant.name for merchant in response.context["merchants"]] == ["Boulangerie Dupont", "Épicerie du Port"]
    url = f"/gestion/finances/releves/{march['grocer'].slug}/2026-3.pdf"
    assert "Épicerie du Port" in pdf_text(client_a.get(url).content)


# --- état de reversement ------------------------------------------------------------------------------
def test_the_payout_statement_pdf_has_one_line_per_merchant_masked_ibans_and_signatures(town_a, client_a, march):
    with town_a:
        client_a.force_login(staff("agent@ville-a.test"))
    response = client_a.get(f"/gestion/finances/reversements/{march['first'].pk}/etat.pdf")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Boulangerie Dupont" in text
    assert BAKERY_SIRET in text
    assert BAKERY_IBAN[-3:] in text
    assert BAKERY_IBAN not in text.replace(" ", "")
    assert "7,12" in text
    assert "Le régisseur" in text
    assert "L'ordonnateur" in text
    assert "Attention" not in text  # the lines add up to the batch's stored total


def test_the_payout_statement_csv_masks_the_iban_and_totals(town_a, client_a, march):
    with town_a:
        client_a.force_login(staff("agent@ville-a.test"))
        masked = statements.mask_iban(BAKERY_IBAN)
    batch = march["first"]
    rows = read_csv(client_a.get(f"/gestion/finances/reversements/{batch.pk}/etat.csv").content)

    with town_a:
        line = batch.lines.get()
    assert rows == [
        ["commercant", "siret", "titulaire", "iban", "reference_virement", "montant", "etat"],
        ["Boulangerie Dupont", BAKERY_SIRET, "Dupont SARL", masked, f"PL{line.pk}", "7,12", "En attente"],
        ["Total", "", "", "", "1", "7,12", ""],
    ]


def test_merchants_cannot_read_the_payout_statement(town_a, march, bakery_client):
    for suffix in ("pdf", "csv"):
        assert bakery_client.get(f"/gestion/finances/reversements/{march['first'].pk}/etat.{suffix}").status_code == 403


def test_an_unknown_batch_is_404_for_the_town(town_a, client_a):
    with town_a:
        client_a.force_login(staff("agent@ville-a.test"))
    assert client_a.get("/gestion/finances/reversements/999999/etat.pdf").status_code == 404


def test_a_merchant_reaches_neither_another_merchants_statements_nor_bank_details(client_a, town_a, exported_batch):
    with town_a:
        mine, other = (line.merchant for line in exported_batch.lines.order_by("pk"))
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=mine)
    assert (
        client_a.get(
            finance_url("batch_statement_csv", merchant_slug=mine.slug, batch_id=exported_batch.pk)
        ).status_code
        == 200
    )
    for path in (
        finance_url("statement_list", merchant_slug=other.slug),
        finance_url("monthly_statement_csv", merchant_slug=other.slug, year=2026, month=11),
        finance_url("monthly_statement_pdf", merchant_slug=other.slug, year=2026, month=11),
        finance_url("batch_statement_csv", merchant_slug=other.slug, batch_id=exported_batch.pk),
        finance_url("batch_statement_pdf", merchant_slug=other.slug, batch_id=exported_batch.pk),
        payouts_url("bank_details_edit", merchant_slug=other.slug),
    ):
        assert client_a.get(path).status_code == 404, path
    response = client_a.post(
        payouts_url("bank_details_edit", merchant_slug=other.slug),
        {
            "holder_name": "Pirate",
            "iban": french_iban(666),
            "street": "x",
            "postcode": "1",
            "town": "y",
            "country": "FR",
        },
    )
    assert response.status_code == 404
    for path in (
        finance_url("dashboard"),
        finance_url("journal_csv"),
        finance_url("payout_statement_csv", batch_id=exported_batch.pk),
        payouts_url("download_file", batch_id=exported_batch.pk),
    ):
        assert client_a.get(path).status_code == 403, path
    with town_a:
        assert MerchantPayoutAccount.objects.get(merchant=other).holder_name == "Fromagerie"


def test_monthly_statement_urls_with_impossible_months_are_404(client_a, town_a):
    with town_a:
        shop = payable_merchant("Boulangerie")
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    for year, month in ((2026, 0), (2026, 13), (1999, 5), (9999, 12)):
        path = finance_url("monthly_statement_csv", merchant_slug=shop.slug, year=year, month=month)
        assert client_a.get(path).status_code == 404, (year, month)


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_merchant_controlled_text_is_neutralised_in_the_payout_statement_csv(client_a, town_a, payload):
    with town_a:
        set_treasury()
        shop = payable_merchant("Boutique")
        MerchantPayoutAccount.objects.filter(merchant=shop).update(holder_name=payload)
        shop.name = payload
        shop.save(update_fields=["name"])
        make_available(shop, 1500)
        batch = run_payout(cut_off=timezone.now(), actor=town_user()).batch
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    content = client_a.get(finance_url("payout_statement_csv", batch_id=batch.pk)).content.decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[1][0] == "'" + payload
    assert rows[1][2] == "'" + payload
