"""The town's finance dashboard: exact figures from orders paid and refunded through checkout's actions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Role, User
from checkout.actions import Actor, FulfilmentChoice
from checkout.models import Fulfilment, Order
from checkout.payments import confirm_payment_from_return, refund_merchant_order, start_payment
from payments.gateways import gateway_account_id, get_gateway
from settlement.ledger.models import JournalEntry, Posting, SettlementPolicy
from settlement.ledger.rules import post_payment_captured
from settlement.reports import dashboard
from settlement.reports.statements import Amount, csv_cell, format_amount
from tests.catalog.test_backoffice import sign_in
from tests.checkout.conftest import basket_with, make_shop, merchant_user, order_from
from tests.delivery.factories import CargoBikeZoneFactory, LocalAddressFactory
from tests.settlement.conftest import finance_url
from tests.settlement.factories import merchants, paid_order
from tests.settlement.payout_factories import make_available, payable_merchant

PARIS = ZoneInfo("Europe/Paris")
# A Friday morning in Calais, before the delivery cut-off; the next payout is on 1 December.
FRIDAY_MORNING = dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC)
NOVEMBER = {"du": "2026-11-01", "au": "2026-11-30", "par": "jour"}
STAFF = Actor(kind="town_agent", user_id=1)


def pay(town, order: Order, callbacks) -> Order:
    """Paid through the town's gateway, as a resident's browser return does; the ledger posts on commit."""
    payment = start_payment(order=order)
    get_gateway(town).confirm_payment(account_id=gateway_account_id(town), intent_id=payment.intent_id)
    with callbacks(execute=True):
        confirm_payment_from_return(order=order)
    order.refresh_from_db()
    return order


def user(role: str, email: str) -> User:
    return User.objects.create_user(email=email, password="mot-de-passe-solide-42", role=role)


@pytest.fixture
def november_sales(town_a, django_capture_on_commit_callbacks):
    """A delivered order (4 éclairs + honey + 3,50 € delivery), a collected one (2 jams), 2,50 € refunded."""
    with time_machine.travel(FRIDAY_MORNING, tick=False), town_a:
        CargoBikeZoneFactory()
        LocalAddressFactory()  # 12 Rue Royale, in the cargo-bike zone
        bakery = make_shop("Boulangerie Dupont", products=[("Éclair", 250, None)], delivery_eligible=True)
        grocer = make_shop(
            "Épicerie du Port", products=[("Miel", 890, None), ("Confiture", 620, None)], delivery_eligible=True
        )
        eclair, (honey, jam) = bakery["variants"][0], grocer["variants"]
        basket = basket_with([(eclair, 4), (honey, 1)])
        delivered = order_from(
            basket,
            fulfilments={
                merchant.pk: FulfilmentChoice(kind=Fulfilment.DELIVERY)
                for merchant in (bakery["merchant"], grocer["merchant"])
            },
            address_text="12 Rue Royale 62100 Calais",
        )
        assert (delivered.items_total_cents, delivered.delivery_fee_cents) == (1890, 350)
        pay(town_a, delivered, django_capture_on_commit_callbacks)
        collected = pay(town_a, order_from(basket_with([(jam, 2)])), django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            refund_merchant_order(
                merchant_order_id=delivered.merchant_orders.get(merchant=bakery["merchant"]).pk,
                amount_cents=250,
                reason="Éclair écrasé",
                request_key="refund-1",
                actor=STAFF,
            )
        # Money already released to other merchants: one payable, one without an IBAN, one in debt.
        make_available(payable_merchant("Fromagerie"), 4750)
        make_available(payable_merchant("Sans IBAN", account=False), 1000)
        make_available(payable_merchant("En négatif"), -300)
        yield {"bakery": bakery["merchant"], "grocer": grocer["merchant"], "orders": (delivered, collected)}


@pytest.fixture
def agent_client(town_a, client_a):
    with town_a:
        client_a.force_login(user(Role.TOWN_AGENT, "agent@ville-a.test"))
    return client_a


def test_the_dashboard_shows_exact_figures_from_the_ledger(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        response = agent_client.get("/gestion/finances/", NOVEMBER)

    assert response.status_code == 200
    board = response.context["board"]
    assert board.collected == dashboard.Collected(
        collected_cents=2240 + 1240, refunded_cents=250, delivery_fees_cents=350
    )
    assert board.owed == dashboard.OwedToMerchants(
        held_cents=(1000 - 250) + (890 + 1240), available_cents=4750 + 1000 - 300, negative_cents=300
    )
    assert board.next_payout == dashboard.NextPayout(
        at=dt.datetime(2026, 12, 1, 0, 0, tzinfo=PARIS),
        amount_cents=4750,
        merchant_count=1,
        blocked_cents=1000,
        blocked_count=1,
        minimum_cents=100,
    )


def test_turnover_per_merchant_excludes_delivery_fees_and_subtracts_refunds(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        board = agent_client.get("/gestion/finances/", NOVEMBER).context["board"]

    assert [
        (row.label, row.order_count, row.items_cents, row.refunds_cents, row.turnover_cents)
        for row in board.by_merchant
    ] == [
        ("Boulangerie Dupont", 1, 1000, 250, 750),
        ("Épicerie du Port", 2, 890 + 1240, 0, 2130),
    ]
    # Turnover + delivery fees + refunds = what was collected, to the cent.
    total = board.merchant_total
    assert (
        total.turnover_cents + board.collected.delivery_fees_cents + total.refunds_cents
        == board.collected.collected_cents
    )


def test_sales_per_period_fill_empty_days_and_agree_with_the_per_merchant_total(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        board = agent_client.get("/gestion/finances/", NOVEMBER).context["board"]
        weekly = agent_client.get("/gestion/finances/", {**NOVEMBER, "par": "semaine"}).context["board"]

    assert len(board.by_period) == 30
    friday = next(row for row in board.by_period if row.starts_on == dt.date(2026, 11, 27))
    assert (friday.sales.order_count, friday.sales.items_cents, friday.sales.refunds_cents) == (2, 3130, 250)
    assert sum(row.sales.turnover_cents for row in board.by_period) == board.merchant_total.turnover_cents == 2880
    # ISO weeks: the one of Monday 23 November holds everything; the month spans six weeks.
    assert weekly.by_period[0].starts_on == dt.date(2026, 10, 26)
    assert [(row.starts_on, row.sales.turnover_cents) for row in weekly.by_period if row.sales.order_count] == [
        (dt.date(2026, 11, 23), 2880)
    ]


def test_the_chart_is_an_accessible_inline_svg_with_the_same_figures_in_a_table(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        html = agent_client.get("/gestion/finances/", NOVEMBER).content.decode()

    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in html
    assert "<title>27/11/2026 : 28,80\u00a0€</title>" in html
    # The chart needs no JavaScript (the staff menu in the header has its own).
    assert "<script" not in html[html.index("<main") : html.index("</main>")]
    assert '<caption id="period-table-caption">' in html
    first_bar = html.split('<rect class="bar"', 1)[1].split(">", 1)[0]
    assert ' x="' in first_bar
    assert "," not in first_bar  # SVG coordinates, not localised numbers


def test_a_period_outside_the_sales_shows_nothing_sold(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        board = agent_client.get("/gestion/finances/", {"du": "2026-10-01", "au": "2026-10-31", "par": "mois"}).context[
            "board"
        ]

    assert board.collected == dashboard.Collected(0, 0, 0)
    assert board.by_merchant == []
    assert [(row.starts_on, row.sales.turnover_cents) for row in board.by_period] == [(dt.date(2026, 10, 1), 0)]


def test_the_period_fields_show_the_dates_in_the_form_date_inputs_read(town_a, agent_client):
    # <input type="date"> shows nothing (and blocks the form) for a value that is not ISO.
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        default = agent_client.get("/gestion/finances/").content.decode()
        chosen = agent_client.get("/gestion/finances/", {"du": "2026-10-01", "au": "2026-10-31"}).content.decode()

    assert 'type="date" name="du" value="2026-11-01"' in default
    assert 'type="date" name="du" value="2026-10-01"' in chosen
    assert 'type="date" name="au" value="2026-10-31"' in chosen


def test_an_invalid_period_falls_back_to_month_to_date_with_an_error(town_a, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        response = agent_client.get("/gestion/finances/", {"du": "2026-11-30", "au": "2026-11-01", "par": "jour"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["board"].period.first_day == dt.date(2026, 11, 1)
    assert response.context["board"].period.last_day == dt.date(2026, 11, 27)


@pytest.mark.parametrize(
    ("schedule", "now", "expected"),
    [
        ("twice_monthly", dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=PARIS)),
        ("twice_monthly", dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), dt.datetime(2026, 12, 16, tzinfo=PARIS)),
        # 23:30 UTC on 31 December is already 1 January in Paris: the cut-off at 00:00 has passed.
        ("twice_monthly", dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), dt.datetime(2027, 1, 16, tzinfo=PARIS)),
        ("daily", dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC), dt.datetime(2026, 3, 30, tzinfo=PARIS)),
    ],
)
def test_the_next_payout_date_follows_the_schedule_in_paris_time(schedule, now, expected):
    policy = SettlementPolicy(payout_schedule=schedule, payout_cut_off_hour=0)
    assert dashboard.next_payout_at(now, policy, PARIS) == expected


# --- exports ----------------------------------------------------------------------------------------
def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def cents(text: str) -> int:
    return int(Decimal(text.replace(",", ".")) * 100) if text else 0


def test_the_per_merchant_csv_is_french_excel_csv(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        response = agent_client.get("/gestion/finances/ventes-par-commercant.csv", NOVEMBER)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ventes-par-commercant-2026-11-01-2026-11-30.csv"' in response["Content-Disposition"]
    assert b"\r\n" in response.content
    assert read_csv(response.content) == [
        ["commercant", "siret", "commandes", "ventes_articles", "remboursements", "chiffre_affaires"],
        ["Boulangerie Dupont", "", "1", "10,00", "2,50", "7,50"],
        ["Épicerie du Port", "", "2", "21,30", "0,00", "21,30"],
        ["Total", "", "3", "31,30", "2,50", "28,80"],
    ]


def test_the_per_period_csv_has_one_line_per_period_and_a_total(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        response = agent_client.get("/gestion/finances/ventes-par-periode.csv", {**NOVEMBER, "par": "mois"})

    assert read_csv(response.content) == [
        ["debut_periode", "commandes", "ventes_articles", "remboursements", "chiffre_affaires"],
        ["01/11/2026", "2", "31,30", "2,50", "28,80"],
        ["Total", "2", "31,30", "2,50", "28,80"],
    ]


def test_a_merchant_name_that_looks_like_a_formula_is_neutralised_in_the_csv(town_a, agent_client):
    with town_a:
        (merchant,) = merchants(1)
        merchant.name = '=HYPERLINK("http://x.test";"clic")'
        merchant.save()
        post_payment_captured(order_id=paid_order([(merchant, 1234)]).pk)
        today = f"{dt.datetime.now(tz=PARIS).date():%Y-%m-%d}"

    content = agent_client.get("/gestion/finances/ventes-par-commercant.csv", {"du": today, "au": today}).content

    assert read_csv(content)[1] == ['\'=HYPERLINK("http://x.test";"clic")', "", "1", "12,34", "0,00", "12,34"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(Amount(-150), "-1,50"), (Amount(5), "0,05"), (Amount(123456), "1234,56"), ("-2+3", "'-2+3"), ("@SUM", "'@SUM")],
)
def test_csv_cells_keep_negative_amounts_as_numbers_and_neutralise_text(value, text):
    assert csv_cell(value) == text


def test_format_amount_never_rounds_a_negative_the_wrong_way():
    assert [format_amount(value) for value in (-1, -99, -100, -101)] == ["-0,01", "-0,99", "-1,00", "-1,01"]


def test_the_journal_csv_lists_every_posting_and_each_entry_balances(town_a, november_sales, agent_client):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        response = agent_client.get("/gestion/finances/journal.csv", NOVEMBER)
    rows = read_csv(b"".join(response.streaming_content))

    assert rows[0] == ["date", "ecriture", "source", "reference_externe", "libelle", "compte", "debit", "credit"]
    with town_a:
        assert len(rows) - 1 == Posting.objects.count() == 4 + 2 + 2 + 3 * 2  # two orders, a refund, three balances
        order_paid = JournalEntry.objects.get(source="order_paid", external_id=str(november_sales["orders"][0].pk))
    debits, credits = defaultdict(int), defaultdict(int)
    for row in rows[1:]:
        assert bool(row[6]) != bool(row[7]), "a posting is a debit or a credit, never both"
        debits[row[1]] += cents(row[6])
        credits[row[1]] += cents(row[7])
    assert debits == credits
    assert [row[5:] for row in rows[1:] if row[1] == str(order_paid.pk)] == [
        ["psp_clearing", "22,40", ""],
        [f"merchant:{november_sales['bakery'].pk}:held", "", "10,00"],
        [f"merchant:{november_sales['grocer'].pk}:held", "", "8,90"],
        ["delivery_fees", "", "3,50"],
    ]
    assert rows[1][0] == "27/11/2026 09:30"  # town time


# --- who may see it -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    ["/gestion/finances/", "/gestion/finances/ventes-par-commercant.csv", "/gestion/finances/journal.csv"],
)
@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_only_town_staff_see_the_town_finances(town_a, client_a, role, path):
    with town_a:
        client_a.force_login(user(role, f"{role}@ville-a.test"))
    assert client_a.get(path).status_code == 403


def test_a_merchant_of_the_town_gets_403_on_the_dashboard(town_a, client_a):
    with town_a:
        (merchant,) = merchants(1)
        client_a.force_login(merchant_user(merchant, "commercant@ville-a.test"))
    assert client_a.get("/gestion/finances/").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client_a):
    response = client_a.get("/gestion/finances/")
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]


def test_a_town_admin_sees_the_dashboard(town_a, client_a):
    with town_a:
        client_a.force_login(user(Role.TOWN_ADMIN, "admin2@ville-a.test"))
    assert client_a.get("/gestion/finances/").status_code == 200


# --- query count ----------------------------------------------------------------------------------
def _sales_for(count: int) -> None:
    for merchant in merchants(count):
        post_payment_captured(order_id=paid_order([(merchant, 1000)]).pk)
        make_available(merchant, 500)


@pytest.mark.parametrize("count", [2, 10])
def test_the_dashboard_query_count_does_not_grow_with_the_merchants(town_a, count, django_assert_num_queries):
    with town_a:
        SettlementPolicy.objects.update_or_create(pk=1)
        _sales_for(count)
        zone = PARIS
        period = dashboard.month_to_date(dt.datetime.now(tz=zone), zone)
        # policy, collected, owed, next payout (balances, bank details), per merchant, per period
        with django_assert_num_queries(7):
            board = dashboard.finance_dashboard(period=period, granularity=dashboard.Granularity.DAY)
    assert len(board.by_merchant) == count


def test_a_period_at_the_end_of_the_calendar_is_refused_not_a_500(client_a, town_a):
    """A period ending on the calendar's last day (``?du=9999-12-31&au=9999-12-31``: a typo in the year, a
    crafted link) gets a page on the dashboard and in every CSV export, never a 500: the period ends a day
    after its last date (OverflowError)."""
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    client_a.raise_request_exception = False
    query = {"du": "9999-12-31", "au": "9999-12-31", "par": "jour"}
    for name in ("dashboard", "merchant_sales_csv", "period_sales_csv", "journal_csv"):
        assert client_a.get(finance_url(name), query).status_code == 200, name
    assert client_a.get(finance_url("dashboard"), {**query, "du": "9999-12-01", "par": "mois"}).status_code == 200
