"""The town's impact dashboard: sales reconciled with the finance dashboard, the pipeline replayed month by month."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from accounts.models import Role, User
from catalog.models import MerchantKind, MerchantStatus
from checkout.models import Fulfilment, MerchantOrder, Order
from onboarding.impact.queries import impact_dashboard, repeat_buyers, twelve_months
from onboarding.models import Step
from onboarding.pipeline import enrol_merchant, move_prospect
from settlement.ledger.rules import post_payment_captured, post_refund
from settlement.reports import dashboard
from tenants.models import Town
from tests.catalog.factories import MerchantFactory
from tests.onboarding.factories import make_agent
from tests.settlement.factories import paid_order, refund

PARIS = ZoneInfo("Europe/Paris")
TODAY = dt.date(2026, 12, 8)
NOW = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def paid_at(
    moment: dt.datetime, shares: list, *, user_id: int | None, email: str = "jeanne@exemple.fr", fee: int = 0
) -> Order:
    """An order paid and posted to the ledger at ``moment``."""
    with time_machine.travel(moment, tick=False):
        order = paid_order(shares, delivery_fee_cents=fee)
        Order.objects.filter(pk=order.pk).update(user_id=user_id, email=email)
        post_payment_captured(order_id=order.pk)
    return order


@pytest.fixture
def sales(town_a: Town) -> dict[str, object]:
    """October to December in Paris time, two orders straddling midnight at a month's end, one refund."""
    with town_a:
        bakery = MerchantFactory(name="Boulangerie", kind=MerchantKind.SHOP)
        bistro = MerchantFactory(name="Bistrot", kind=MerchantKind.RESTAURANT)
        # 22:30 UTC on 31 October is 23:30 in Paris: October.
        paid_at(utc(2026, 10, 31, 22, 30), [(bakery, 900)], user_id=8)
        # 23:30 UTC on 31 October is already 1 November in Paris.
        paid_at(utc(2026, 10, 31, 23, 30), [(bakery, 1200)], user_id=7)
        delivered = paid_at(utc(2026, 11, 15, 10, 0), [(bakery, 800), (bistro, 2500)], user_id=7, fee=350)
        bistro_part = MerchantOrder.objects.get(order=delivered, merchant=bistro)
        MerchantOrder.objects.filter(pk=bistro_part.pk).update(fulfilment=Fulfilment.DELIVERY)
        with time_machine.travel(utc(2026, 11, 20, 9, 0), tick=False):
            post_refund(refund_id=refund(bistro_part, 500).pk)
        # 23:30 UTC on 30 November is 1 December in Paris; a guest, known by e-mail only.
        paid_at(utc(2026, 11, 30, 23, 30), [(bistro, 1500)], user_id=None, email="Paul@Exemple.fr")
    return {"bakery": bakery, "bistro": bistro}


def test_monthly_sales_equal_the_finance_dashboard_for_the_same_month(town_a: Town, sales: dict) -> None:
    november = dashboard.Period(first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30), zone=PARIS)
    with town_a, time_machine.travel(NOW, tick=False):
        board = impact_dashboard(today=TODAY, zone=PARIS)
        finance = dashboard.finance_dashboard(period=november, granularity=dashboard.Granularity.DAY)
        by_month = dashboard.sales_by_period(board.period, dashboard.Granularity.MONTH)
    monthly = next(table for table in board.tables if table.slug == "ventes-par-mois")
    rows = {row[0]: row for row in monthly.display_rows}
    assert rows["10/2026"] == ["10/2026", "1", "9,00\u00a0€", "0,00\u00a0€", "9,00\u00a0€"]
    assert rows["11/2026"] == ["11/2026", "2", "45,00\u00a0€", "5,00\u00a0€", "40,00\u00a0€"]
    assert rows["12/2026"] == ["12/2026", "1", "15,00\u00a0€", "0,00\u00a0€", "15,00\u00a0€"]
    # The finance dashboard's November, by day and by merchant, says the same.
    november_row = next(row for row in by_month if row.starts_on == dt.date(2026, 11, 1))
    assert finance.period_total == dashboard.Sales(label="Total", order_count=2, items_cents=4500, refunds_cents=500)
    assert (november_row.sales.order_count, november_row.sales.items_cents, november_row.sales.refunds_cents) == (
        finance.period_total.order_count,
        finance.period_total.items_cents,
        finance.period_total.refunds_cents,
    )
    assert finance.merchant_total.turnover_cents == 4000
    assert board.sales_total.turnover_cents == 900 + 4000 + 1500


def test_sales_by_sector_and_by_mode_add_up_to_the_total(town_a: Town, sales: dict) -> None:
    with town_a, time_machine.travel(NOW, tick=False):
        board = impact_dashboard(today=TODAY, zone=PARIS)
    tables = {table.slug: table.display_rows for table in board.tables}
    assert tables["ventes-par-secteur"] == [
        ["Commerce", "3", "29,00\u00a0€", "0,00\u00a0€", "29,00\u00a0€"],
        ["Restaurant", "2", "40,00\u00a0€", "5,00\u00a0€", "35,00\u00a0€"],
        ["Total", "5", "69,00\u00a0€", "5,00\u00a0€", "64,00\u00a0€"],
    ]
    assert tables["ventes-par-mode"] == [
        ["Retrait en boutique", "4", "44,00\u00a0€", "0,00\u00a0€", "44,00\u00a0€"],
        ["Livraison à domicile", "1", "25,00\u00a0€", "5,00\u00a0€", "20,00\u00a0€"],
        ["Total", "5", "69,00\u00a0€", "5,00\u00a0€", "64,00\u00a0€"],
    ]


def test_repeat_buyers_are_residents_with_two_paid_orders_among_those_with_one(town_a: Town, sales: dict) -> None:
    with town_a, time_machine.travel(NOW, tick=False):
        figures = repeat_buyers(twelve_months(TODAY, PARIS))
        november_only = repeat_buyers(
            dashboard.Period(first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30), zone=PARIS)
        )
    assert (figures.buyers, figures.repeat_buyers, figures.share_percent) == (3, 1, "33,3")
    assert (november_only.buyers, november_only.repeat_buyers) == (1, 1)


def test_the_pipeline_is_counted_at_each_month_end_in_town_time(town_a: Town) -> None:
    with town_a:
        agent = make_agent()
        with time_machine.travel(utc(2026, 9, 10, 8, 0), tick=False):
            first = enrol_merchant(merchant=MerchantFactory(status=MerchantStatus.DRAFT))
        with time_machine.travel(utc(2026, 10, 5, 8, 0), tick=False):
            second = enrol_merchant(merchant=MerchantFactory(status=MerchantStatus.DRAFT))
            move_prospect(prospect=second, to_step=Step.CONTACTED, actor=agent)
        # 23:30 UTC on 31 October: 1 November in Paris.
        with time_machine.travel(utc(2026, 10, 31, 23, 30), tick=False):
            move_prospect(prospect=first, to_step=Step.LIVE, actor=agent)
        with time_machine.travel(utc(2026, 12, 2, 8, 0), tick=False):
            move_prospect(prospect=second, to_step=Step.DECLINED, actor=agent, reason="Pas intéressé")
        with time_machine.travel(NOW, tick=False):
            board = impact_dashboard(today=TODAY, zone=PARIS)
    tables = {table.slug: table.rows for table in board.tables}
    steps = {row[0]: row[1:] for row in tables["etapes"]}
    # Columns: the path (to contact … live), then paused, declined.
    assert steps["08/2026"] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert steps["09/2026"] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert steps["10/2026"] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert steps["11/2026"] == [0, 1, 0, 0, 0, 0, 0, 1, 0, 0]
    assert steps["12/2026"] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 1]
    live = {row[0]: row[1:] for row in tables["commerces-en-ligne"]}
    assert (live["10/2026"], live["11/2026"], live["12/2026"]) == ([0, 0], [1, 1], [1, 0])
    assert len(tables["etapes"]) == 12
    assert tables["etapes"][0][0] == "01/2026"


def test_the_dashboard_page_shows_every_table_in_a_fixed_number_of_queries(
    town_a: Town, client_a: Client, sales: dict, django_assert_num_queries: object
) -> None:
    with town_a:
        client_a.force_login(make_agent())
    # town routing (3), session and user (2), then moves, sales by month, repeat buyers, by sector, by mode
    with time_machine.travel(NOW, tick=False), django_assert_num_queries(10):
        response = client_a.get("/gestion/accompagnement/tableau-de-bord/")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<caption") == 6
    assert page.count('<svg role="img"') == 6
    assert '<th scope="row">11/2026</th>' in page
    assert "33,3 % de clients fidèles" in page
    assert 'href="/gestion/accompagnement/tableau-de-bord/ventes-par-mois.csv"' in page
    assert 'aria-current="page">Tableau de bord des élus<' in page


def test_each_table_exports_as_french_csv(town_a: Town, client_a: Client, sales: dict) -> None:
    with town_a:
        client_a.force_login(make_agent())
    with time_machine.travel(NOW, tick=False):
        response = client_a.get("/gestion/accompagnement/tableau-de-bord/ventes-par-mode.csv")
        missing = client_a.get("/gestion/accompagnement/tableau-de-bord/inconnu.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ventes-par-mode-2026-01-01-2026-12-08.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["mode", "commandes", "ventes_articles", "remboursements", "chiffre_affaires"],
        ["Retrait en boutique", "4", "44,00", "0,00", "44,00"],
        ["Livraison à domicile", "1", "25,00", "5,00", "20,00"],
        ["Total", "5", "69,00", "5,00", "64,00"],
    ]
    assert missing.status_code == 404


def test_the_dashboard_is_for_town_staff_only(town_a: Town, client_a: Client) -> None:
    with town_a:
        merchant_user = User.objects.create_user("boutique@ville-a.test", "pw-boutique-2026", role=Role.MERCHANT_STAFF)
        client_a.force_login(merchant_user)
    assert client_a.get("/gestion/accompagnement/tableau-de-bord/").status_code == 403
    assert client_a.get("/gestion/accompagnement/tableau-de-bord/etapes.csv").status_code == 403
    client_a.logout()
    assert client_a.get("/gestion/accompagnement/tableau-de-bord/").status_code == 302
