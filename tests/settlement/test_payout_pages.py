"""Payout pages for town staff: list, detail, four eyes over HTTP, export and download, statements, settings."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from settlement.ledger.models import SettlementPolicy
from settlement.payouts.models import PayoutBatch, PayoutBatchState, StatementLine
from settlement.payouts.runs import run_payout
from tests.catalog.test_backoffice import sign_in
from tests.settlement.conftest import finance_url, payouts_url
from tests.settlement.payout_factories import TREASURY_IBAN, make_available, payable_merchant, set_treasury


def url(name: str, **kwargs: object) -> str:
    return reverse(f"payouts:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


@pytest.fixture
def owed(town_a):
    # Released before the latest scheduled cut-off (the 1st or 16th), which the page prepares
    with town_a, time_machine.travel(timezone.now() - dt.timedelta(days=20)):
        set_treasury()
        shops = [payable_merchant("Boulangerie"), payable_merchant("Sans convention", agreement=False)]
        make_available(shops[0], 4750)
        make_available(shops[1], 2000)
    return shops


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT_STAFF, Role.COURIER])
def test_only_town_staff_see_the_payout_pages(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)
    for name in ("batch_list", "statements", "settings"):
        assert client_a.get(url(name)).status_code == 403
    assert client_a.post(url("prepare_batch")).status_code == 403
    with town_a:
        assert PayoutBatch.objects.count() == 0


def test_the_settings_page_is_for_town_admins_only(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    assert client_a.get(url("settings")).status_code == 403


def test_a_town_admin_sets_the_treasury_account_and_schedule(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    response = client_a.post(
        url("settings"),
        {
            "treasury_holder_name": "Régie marketplace",
            "treasury_iban": "FR76 3000 1007 9412 3456 7890 185",
            "treasury_bic": "",
            "street": "place du Soldat Inconnu",
            "building_number": "1",
            "postcode": "62100",
            "town": "Calais",
            "country": "FR",
            "payout_schedule": "daily",
            "payout_cut_off_hour": "0",
            "minimum_payout_euros": "5,00",
            "sepa_version": "pain.001.001.03",
        },
    )
    assert response.status_code == 302
    with town_a:
        policy = SettlementPolicy.objects.get()
        assert (policy.treasury_iban, policy.payout_schedule, policy.minimum_payout_cents, policy.sepa_version) == (
            TREASURY_IBAN,
            "daily",
            500,
            "pain.001.001.03",
        )
    page = client_a.get(url("settings")).content.decode()
    assert "FR76 •••• •••• •••• •••• •••• 185" in page


def test_prepare_approve_export_download_and_execute_through_the_pages(client_a, client_b, town_a, town_b, owed):
    # An agent prepares the batch
    sign_in(client_a, town_a, role=Role.TOWN_AGENT, email="agent@ville-a.test")
    with town_a:
        cut_off = timezone.now()
    response = client_a.post(url("prepare_batch"))
    assert response.status_code == 302
    with town_a:
        batch = PayoutBatch.objects.get()
        assert batch.cut_off <= cut_off
    detail = client_a.get(url("batch_detail", batch_id=batch.pk)).content.decode()
    assert "Boulangerie" in detail
    assert "47,50\u00a0€" in detail
    assert "Sans convention" in detail
    assert "Convention avec la régie non acceptée" in detail
    assert "Vous avez préparé ce lot : une autre personne doit l’approuver." in detail
    # The preparer's approval is refused
    response = client_a.post(url("approve_batch", batch_id=batch.pk), follow=True)
    assert "Le lot doit être approuvé par une autre personne que celle qui l’a préparé." in response.content.decode()
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT

    # A second user approves and exports
    client_a.logout()
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN, email="regisseur@ville-a.test")
    client_a.post(url("approve_batch", batch_id=batch.pk))
    client_a.post(url("export_batch", batch_id=batch.pk))
    with town_a:
        batch.refresh_from_db()
    assert batch.state == PayoutBatchState.EXPORTED

    download = client_a.get(url("download_file", batch_id=batch.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="virements-{batch.reference}.xml"'
    assert hashlib.sha256(download.content).hexdigest() == batch.file_sha256
    # Staff of another town never reach it: their schema has no such batch
    sign_in(client_b, town_b, role=Role.TOWN_ADMIN)
    assert client_b.get(url("download_file", batch_id=batch.pk)).status_code == 404

    client_a.post(url("mark_executed", batch_id=batch.pk))
    with town_a:
        batch.refresh_from_db()
    assert batch.state == PayoutBatchState.SETTLED


def test_a_statement_uploaded_twice_is_applied_once(client_a, town_a, owed):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    csv = b"date;end_to_end_id;amount;status;reason\n21/11/2026;;250,00;executed;\n"

    for _ in range(2):
        response = client_a.post(
            url("statements"),
            {"statement": SimpleUploadedFile("releve.csv", csv, content_type="text/csv")},
            follow=True,
        )
        assert response.status_code == 200

    page = response.content.decode()
    assert "Ce relevé a déjà été importé : rien n’a changé." in page
    assert "250,00\u00a0€" in page
    with town_a:
        assert StatementLine.objects.count() == 1


def test_an_unreadable_statement_shows_the_reason(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    response = client_a.post(url("statements"), {"statement": SimpleUploadedFile("x.csv", b"a;b\n")})
    assert response.status_code == 200
    assert "5 colonnes attendues" in response.content.decode()


def queries_of(client, path: str) -> int:
    client.get(path)  # warm caches (session, town) so that both counts compare the page itself
    with CaptureQueriesContext(connection) as context:
        client.get(path)
    return len(context.captured_queries)


def test_the_batch_list_runs_the_same_queries_for_one_or_many_batches(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    with town_a:
        PayoutBatch.objects.create(period_key="2026-01-01", cut_off=timezone.now(), state="empty")
    one = queries_of(client_a, url("batch_list"))
    with town_a:
        for day in range(2, 12):
            PayoutBatch.objects.create(period_key=f"2026-01-{day:02d}", cut_off=timezone.now(), state="empty")
    assert queries_of(client_a, url("batch_list")) == one


def test_the_batch_detail_runs_the_same_queries_for_two_or_twelve_lines(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)

    def detail_queries(count: int) -> int:
        with town_a:
            PayoutBatch.objects.all().update(state="cancelled")
            for _ in range(count):
                make_available(payable_merchant(), 1000)
                make_available(payable_merchant(agreement=False), 1000)
            batch = run_payout(cut_off=timezone.now(), actor=None).batch
        return queries_of(client_a, url("batch_detail", batch_id=batch.pk))

    assert detail_queries(1) == detail_queries(6)


def test_merchant_staff_cannot_prepare_approve_export_or_cancel(client_a, town_a, draft_batch):
    batch, _preparer = draft_batch
    with town_a:
        shop = batch.lines.get().merchant
    sign_in(client_a, town_a, role=Role.MERCHANT_STAFF, merchant=shop)
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_a.post(payouts_url(name, batch_id=batch.pk)).status_code == 403
    assert client_a.get(payouts_url("batch_detail", batch_id=batch.pk)).status_code == 403
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


def test_state_changing_payout_urls_refuse_get(client_a, town_a, draft_batch):
    batch, _preparer = draft_batch
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    assert client_a.get(payouts_url("prepare_batch")).status_code == 405
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_a.get(payouts_url(name, batch_id=batch.pk)).status_code == 405
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


def test_payout_posts_without_a_csrf_token_are_refused(town_a, draft_batch):
    from django.test import Client

    batch, _preparer = draft_batch
    client = Client(HTTP_HOST=town_a.primary_host, enforce_csrf_checks=True)
    sign_in(client, town_a, role=Role.TOWN_ADMIN)
    assert client.post(payouts_url("approve_batch", batch_id=batch.pk)).status_code == 403
    assert client.post(payouts_url("prepare_batch")).status_code == 403
    with town_a:
        assert PayoutBatch.objects.get().state == PayoutBatchState.DRAFT


def test_town_b_staff_reach_none_of_town_a_batches_or_documents(client_b, town_b, exported_batch):
    sign_in(client_b, town_b, role=Role.TOWN_ADMIN)
    batch_id = exported_batch.pk
    for path in (
        payouts_url("batch_detail", batch_id=batch_id),
        payouts_url("download_file", batch_id=batch_id),
        finance_url("payout_statement_pdf", batch_id=batch_id),
        finance_url("payout_statement_csv", batch_id=batch_id),
    ):
        assert client_b.get(path).status_code == 404, path
    for name in ("approve_batch", "export_batch", "cancel_batch", "mark_executed"):
        assert client_b.post(payouts_url(name, batch_id=batch_id)).status_code == 404


@pytest.mark.parametrize("role", [Role.TOWN_ADMIN, Role.TOWN_AGENT])
def test_town_staff_reach_the_payouts_from_the_menu_and_the_finance_page(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)

    menu_page = client_a.get("/gestion/catalogue/").content.decode()
    finance_page = client_a.get("/gestion/finances/").content.decode()

    navigation = menu_page[menu_page.index('<nav aria-label="Navigation principale">') :]
    assert '<a href="/gestion/reversements/">Reversements</a>' in navigation[: navigation.index("</nav>")]
    assert '<a href="/gestion/reversements/">Préparer, approuver et suivre les virements' in finance_page


@pytest.mark.parametrize("role", [Role.MERCHANT_STAFF, Role.RESIDENT])
def test_the_payouts_are_linked_for_no_one_who_may_not_see_them(client_a, town_a, role):
    sign_in(client_a, town_a, role=role)

    assert 'href="/gestion/reversements/"' not in client_a.get("/").content.decode()
