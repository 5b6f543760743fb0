"""Property test (docs/money.md §12, scenario 18/39): random baskets, refunds and releases keep the books exact."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import Release, SettlementPolicy
from settlement.ledger.queries import balance, merchant_balances
from settlement.ledger.rules import post_payment_captured, post_psp_fee, post_refund, release_merchant_order
from tests.settlement.factories import hand_over, merchants, paid_order, refund

# Hypothesis posts and checks a hundred random sets of books.
pytestmark = pytest.mark.slow

NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)
AMOUNTS = st.one_of(st.just(1), st.integers(min_value=1, max_value=99), st.integers(min_value=1, max_value=500_000))


@dataclass(frozen=True)
class Share:
    merchant_index: int
    items_cents: int
    refund_before_ratio: float  # of the share, before release
    is_released: bool
    refund_after_ratio: float  # of what is left, after release


@dataclass(frozen=True)
class Basket:
    shares: list[Share]
    delivery_fee_cents: int
    psp_fee_cents: int


RATIOS = st.sampled_from([0.0, 0.0, 0.01, 0.5, 1.0])
SHARES = st.lists(
    st.builds(Share, st.integers(min_value=0, max_value=4), AMOUNTS, RATIOS, st.booleans(), RATIOS),
    min_size=1,
    max_size=5,
    unique_by=lambda share: share.merchant_index,
)
BASKETS = st.lists(
    st.builds(Basket, SHARES, st.sampled_from([0, 0, 1, 490, 990]), st.integers(min_value=0, max_value=300)),
    min_size=1,
    max_size=3,
)


def test_random_baskets_refunds_and_releases_keep_every_cent_accounted_for(town_a):
    with town_a:
        shops = merchants(5)

        @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(baskets=BASKETS, commission_basis_points=st.sampled_from([0, 1, 250, 500, 10_000]))
        def scenario(baskets: list[Basket], commission_basis_points: int) -> None:
            with transaction.atomic():
                SettlementPolicy.objects.update_or_create(
                    pk=1, defaults={"commission_basis_points": commission_basis_points}
                )
                collected = refunded = fees = 0
                owed = {shop.pk: 0 for shop in shops}
                commission = 0
                for number, basket in enumerate(baskets):
                    order = paid_order(
                        [(shops[s.merchant_index], s.items_cents) for s in basket.shares],
                        delivery_fee_cents=basket.delivery_fee_cents,
                    )
                    post_payment_captured(order_id=order.pk)
                    collected += order.total_cents
                    if basket.psp_fee_cents:
                        post_psp_fee(order_id=order.pk, fee_cents=basket.psp_fee_cents, external_id=f"txn_{number}")
                        fees += basket.psp_fee_cents
                    for share in basket.shares:
                        merchant = shops[share.merchant_index]
                        merchant_order = order.merchant_orders.get(merchant=merchant)
                        before = int(share.items_cents * share.refund_before_ratio)
                        if before:
                            post_refund(refund_id=refund(merchant_order, before).pk)
                        kept = share.items_cents - before
                        if share.is_released:
                            hand_over(merchant_order, NOW)
                            release = release_merchant_order(
                                merchant_order_id=merchant_order.pk, now=NOW + dt.timedelta(days=2)
                            )
                            assert release.amount_cents == kept
                            exact = kept * commission_basis_points
                            assert exact // 10_000 <= release.commission_cents <= -(-exact // 10_000)
                            commission += release.commission_cents
                            after = int(kept * share.refund_after_ratio)
                            if after:
                                post_refund(refund_id=refund(merchant_order, after).pk)
                            before += after
                        refunded += before
                        owed[merchant.pk] += share.items_cents - before

                assert check_invariants() == []
                merchants_total = 0
                for shop in shops:
                    held, available = merchant_balances(shop.pk)
                    merchants_total += held + available
                    taken = sum(r.commission_cents for r in Release.objects.filter(merchant=shop))
                    assert held + available == owed[shop.pk] - taken
                delivery = sum(basket.delivery_fee_cents for basket in baskets)
                assert balance("commission") == commission
                assert merchants_total + commission + balance("delivery_fees") + refunded == collected
                assert balance("delivery_fees") == delivery
                assert balance("psp_clearing") == collected - refunded - fees
                assert balance("psp_fees") == fees
                transaction.set_rollback(True)

        scenario()
