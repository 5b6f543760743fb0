"""Four eyes on where the money goes: whoever typed a merchant's IBAN may not approve a batch paying
it, and the approver sees every first transfer to a new account with who typed it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from settlement.payouts.bank_details import save_payout_account
from settlement.payouts.guards import PayoutError
from settlement.payouts.models import MerchantPayoutAccount, PayoutBatchState
from settlement.payouts.returns import mark_batch_executed
from settlement.payouts.runs import approve_batch, export_batch, run_payout
from tests.catalog.test_backoffice import sign_in
from tests.settlement.payout_factories import french_iban, make_available, payable_merchant, set_treasury, town_user

ADDRESS = {"street": "rue Royale", "postcode": "62100", "town": "Calais"}


def url(name: str, **kwargs: object) -> str:
    return reverse(f"payouts:{name}", kwargs=kwargs or None, urlconf="config.urls_town")


@pytest.fixture
def in_town_a(town_a):
    with town_a:
        set_treasury()
        yield town_a


def _new_iban_typed_by(agent, merchant, number: int) -> str:
    iban = french_iban(number)
    save_payout_account(merchant=merchant, actor=agent, holder_name=merchant.name, iban=iban, **ADDRESS)
    return iban


def test_the_agent_who_typed_an_iban_cannot_approve_the_batch_that_pays_it(in_town_a):
    typist = town_user(email="saisie@ville-a.test")
    merchant = payable_merchant("Fleuriste")
    _new_iban_typed_by(typist, merchant, 900_001)
    make_available(merchant, 3000)
    batch = run_payout(cut_off=timezone.now(), actor=None).batch  # the scheduler prepared it

    with pytest.raises(PayoutError, match="Vous avez saisi l’IBAN de Fleuriste"):
        approve_batch(batch=batch, actor=typist)
    batch.refresh_from_db()
    assert batch.state == PayoutBatchState.DRAFT

    assert approve_batch(batch=batch, actor=town_user(Role.TOWN_ADMIN)).state == PayoutBatchState.APPROVED


def test_typing_an_iban_that_another_agent_then_replaced_does_not_bar_approval(in_town_a):
    first, second = town_user(), town_user()
    merchant = payable_merchant("Cordonnier")
    _new_iban_typed_by(first, merchant, 900_002)
    _new_iban_typed_by(second, merchant, 900_003)
    make_available(merchant, 1500)
    batch = run_payout(cut_off=timezone.now(), actor=None).batch

    with pytest.raises(PayoutError):
        approve_batch(batch=batch, actor=second)
    assert approve_batch(batch=batch, actor=first).state == PayoutBatchState.APPROVED


def test_resaving_the_same_iban_does_not_change_who_typed_it(in_town_a):
    typist, other = town_user(), town_user()
    merchant = payable_merchant("Librairie")
    iban = _new_iban_typed_by(typist, merchant, 900_004)
    save_payout_account(merchant=merchant, actor=other, holder_name="Librairie SARL", iban=iban, **ADDRESS)

    account = MerchantPayoutAccount.objects.get(merchant=merchant)
    assert account.iban_changed_by_id == typist.pk
    assert account.updated_by_id == other.pk


def test_the_approver_is_shown_first_transfers_to_a_new_account_and_who_typed_it(client_a, in_town_a):
    typist = town_user(email="saisie@ville-a.test")
    known = payable_merchant("Boucherie")
    preparer, approver = town_user(), town_user(Role.TOWN_ADMIN)
    with time_machine.travel(timezone.now() - dt.timedelta(days=16)):
        make_available(known, 1000)
        first_batch = run_payout(cut_off=timezone.now(), actor=preparer).batch
        approve_batch(batch=first_batch, actor=approver)
        export_batch(batch=first_batch, actor=approver)
        mark_batch_executed(batch=first_batch, actor=approver)

    make_available(known, 2000)
    changed = payable_merchant("Primeur")
    _new_iban_typed_by(typist, changed, 900_005)
    make_available(changed, 2500)
    second_batch = run_payout(cut_off=timezone.now(), actor=preparer).batch

    sign_in(client_a, in_town_a, role=Role.TOWN_ADMIN)
    page = client_a.get(url("batch_detail", batch_id=second_batch.pk)).content.decode()
    rows = {name: page[page.index(f">{name}<") :].split("</tr>")[0] for name in ("Boucherie", "Primeur")}
    assert "Premier virement vers ce compte." not in rows["Boucherie"]  # paid there already
    assert "Premier virement vers ce compte." in rows["Primeur"]
    assert "Saisi par saisie@ville-a.test le" in rows["Primeur"]
