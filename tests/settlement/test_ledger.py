"""post_entry / reverse_entry / balances: what the ledger accepts, refuses and replays."""

from __future__ import annotations

import pytest

from settlement.ledger.accounts import LedgerError
from settlement.ledger.actions import ensure_accounts, post_entry, reverse_entry
from settlement.ledger.models import Account, JournalEntry, Posting
from settlement.ledger.queries import balance, merchant_balances
from tests.settlement.factories import merchants

SALE = [("psp_clearing", 1000), ("delivery_fees", -1000)]


def test_a_balanced_entry_posts_and_moves_stored_balances(town_a):
    with town_a:
        entry = post_entry(source="test", external_id="1", description="Vente", lines=SALE)

        assert entry is not None
        assert list(entry.postings.values_list("account__code", "amount_cents")) == [
            ("psp_clearing", 1000),
            ("delivery_fees", -1000),
        ]
        assert balance("psp_clearing") == 1000
        assert balance("delivery_fees") == 1000  # a revenue reads positive on its credit side
        assert dict(Account.objects.values_list("code", "balance_cents")) == {
            "psp_clearing": 1000,
            "delivery_fees": -1000,
        }


def test_the_same_event_posted_twice_posts_once(town_a):
    with town_a:
        first = post_entry(source="test", external_id="1", description="Vente", lines=SALE)
        replay = post_entry(source="test", external_id="1", description="Vente", lines=SALE)

        assert first is not None
        assert replay is None
        assert JournalEntry.objects.count() == 1
        assert Posting.objects.count() == 2
        assert balance("psp_clearing") == 1000


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([("psp_clearing", 1000), ("delivery_fees", -999)], "does not balance"),
        ([("psp_clearing", 0), ("delivery_fees", 0)], "zero posting"),
        ([("psp_clearing", 1000)], "at least two"),
        ([], "at least two"),
        ([("psp_clearing", 10.0), ("delivery_fees", -10.0)], "integer cents"),
        ([("nowhere", 1000), ("delivery_fees", -1000)], "unknown account"),
        ([("merchant:0:held", 1000), ("delivery_fees", -1000)], "unknown account"),
    ],
)
def test_an_invalid_entry_is_refused_and_nothing_is_written(town_a, lines, message):
    with town_a:
        with pytest.raises(LedgerError, match=message):
            post_entry(source="test", external_id="1", description="Vente", lines=lines)

        assert JournalEntry.objects.count() == 0
        assert Account.objects.count() == 0


def test_a_reversal_mirrors_the_entry_once_and_leaves_it_in_place(town_a):
    with town_a:
        entry = post_entry(source="test", external_id="1", description="Vente", lines=SALE)

        reversal = reverse_entry(entry=entry)
        again = reverse_entry(entry=entry)

        assert reversal.reverses == entry
        assert (reversal.source, reversal.external_id) == ("reversal", str(entry.pk))
        assert list(reversal.postings.values_list("account__code", "amount_cents")) == [
            ("psp_clearing", -1000),
            ("delivery_fees", 1000),
        ]
        assert again is None
        assert balance("psp_clearing") == 0
        assert Posting.objects.count() == 4


def test_merchant_accounts_are_created_on_demand_and_read_as_owed(town_a):
    with town_a:
        (shop,) = merchants(1)
        assert merchant_balances(shop.pk) == (0, 0)

        post_entry(
            source="test",
            external_id="1",
            description="Vente",
            lines=[("psp_clearing", 700), (f"merchant:{shop.pk}:held", -500), (f"merchant:{shop.pk}:available", -200)],
        )

        assert merchant_balances(shop.pk) == (500, 200)
        held = Account.objects.get(code=f"merchant:{shop.pk}:held")
        assert (held.merchant_id, held.kind, held.normal_side, held.balance_cents) == (
            shop.pk,
            "liability",
            "credit",
            -500,
        )


def test_ensure_accounts_returns_existing_rows_without_duplicates(town_a):
    with town_a:
        first = ensure_accounts(["psp_clearing", "bank"])
        second = ensure_accounts(["bank", "psp_clearing", "suspense"])

        assert first["bank"].pk == second["bank"].pk
        assert sorted(Account.objects.values_list("code", flat=True)) == ["bank", "psp_clearing", "suspense"]
