"""The demo settlement data of `make run` goes through the real actions and leaves a clean ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from schwifty import IBAN

from accounts.models import Role, User
from checkout.models import MerchantOrderStatus, Order, OrderStatus
from demo.payouts import french_iban, seed_demo_payouts
from settlement.agreements.models import AgreementAcceptance
from settlement.ledger.invariants import check_invariants
from settlement.ledger.models import Release, SettlementPolicy
from settlement.payouts.models import MerchantPayoutAccount
from settlement.payouts.runs import run_payout
from settlement.payouts.treasury import update_payout_settings
from tests.checkout.conftest import make_shop

TOWN_IBAN = french_iban(bank=30004, branch=1234, account=98_765_432_100)


def test_generated_ibans_pass_the_french_rib_key_check():
    for account in (0, 1, 2_000_123, 99_999_999_999):
        IBAN(french_iban(bank=16706, branch=50, account=account), validate_bban=True)


@pytest.mark.slow
def test_demo_payouts_fill_a_town_through_the_real_actions(town_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with town_a:
        User.objects.create_user(email="admin-demo@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_ADMIN)
        make_shop("Boulangerie Démo", products=[("Baguette", 120, None), ("Tarte", 1800, None)])
        make_shop("Fleuriste Démo", products=[("Bouquet", 2500, None)])

        result = seed_demo_payouts(town_name="Ville A", orders=12)
        again = seed_demo_payouts(town_name="Ville A", orders=12)

        assert (result.merchants_with_bank_details, result.orders_paid) == (2, 12)
        assert 0 < result.orders_handed_over < 12
        assert again.orders_paid == 0  # idempotent: a second run adds no orders
        assert Order.objects.filter(status=OrderStatus.PAID).count() == 12
        assert AgreementAcceptance.objects.filter(version__number=1, method="paper").count() == 2
        assert SettlementPolicy.objects.get().treasury_iban.startswith("FR")
        handed = Order.objects.filter(merchant_orders__status=MerchantOrderStatus.COLLECTED).distinct().count()
        assert handed == result.orders_handed_over
        assert Release.objects.exists()
        assert check_invariants() == []
        # Releases are dated when they happened: a payout at a cut-off a week ago already has lines.
        run = run_payout(
            cut_off=timezone.now() - dt.timedelta(days=7), actor=User.objects.get(email="admin-demo@ville-a.fr")
        )
        assert run.batch.line_count > 0


@pytest.mark.slow
def test_demo_payouts_go_on_when_earlier_demo_orders_sold_the_last_units(town_a, settings):
    # `make run` once stopped on Luzy: a demo order wanted the last unit another demo order had taken.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with town_a:
        User.objects.create_user(email="admin-demo@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_ADMIN)
        make_shop("Ébéniste Démo", products=[("Tabouret en chêne", 9000, 1), ("Plateau", 4000, 2)])
        make_shop("Fleuriste Démo", products=[("Bouquet", 2500, None)])

        result = seed_demo_payouts(town_name="Ville A", orders=12)

        assert 0 < result.orders_paid <= 12
        assert Order.objects.filter(status=OrderStatus.PAID).count() == result.orders_paid
        assert check_invariants() == []


def test_a_rerun_keeps_the_towns_treasury_and_invents_no_bank_details(town_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with town_a:
        admin = User.objects.create_user(
            email="admin-demo@ville-a.fr", password="mot-de-passe-42", role=Role.TOWN_ADMIN
        )
        make_shop("Boulangerie Démo", products=[("Baguette", 120, None)])
        first = seed_demo_payouts(town_name="Ville A", orders=0)
        update_payout_settings(actor=admin, treasury_holder_name="Trésorerie municipale", treasury_iban=TOWN_IBAN)
        added_since = make_shop("Fleuriste ouvert depuis", products=[("Bouquet", 2500, None)])["merchant"]

        again = seed_demo_payouts(town_name="Ville A", orders=0)

        policy = SettlementPolicy.objects.get()
        assert (first.merchants_with_bank_details, again.merchants_with_bank_details) == (1, 0)
        assert (policy.treasury_holder_name, policy.treasury_iban) == ("Trésorerie municipale", TOWN_IBAN)
        assert not MerchantPayoutAccount.objects.filter(merchant=added_since).exists()
        assert MerchantPayoutAccount.objects.count() == 1
