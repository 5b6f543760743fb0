"""Demo settlement data for `make run`: the régie's treasury account, merchants' bank details and
agreements, and a few weeks of paid orders, so the finance pages and a payout run have something to show.
The made-up residents' names are data (``demo/data/residents.toml``).

Everything goes through the real actions (checkout's orders, settlement's postings and payout
settings); only the IBANs are generated — valid French ones, RIB key included, on made-up accounts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus, Variant
from checkout.actions import (
    GATEWAY,
    Actor,
    Contact,
    FulfilmentChoice,
    accept_merchant_order,
    hand_over,
    mark_merchant_order_ready,
    mark_order_paid,
    place_order,
)
from checkout.basket import add_to_basket, get_or_create_basket, sellable_variants
from checkout.models import Basket, Order
from checkout.outbox import deliver_event, pending_events
from demo.files import read_toml
from demo.onboarding_agreements import sign_demo_agreement
from settlement.ledger.rules import get_policy, release_due_merchant_orders
from settlement.payouts.bank_details import save_payout_account
from settlement.payouts.models import MerchantPayoutAccount
from settlement.payouts.treasury import update_payout_settings

_residents = read_toml("residents.toml")
FIRST_NAMES: tuple[str, ...] = tuple(_residents["first_names"])
LAST_NAMES: tuple[str, ...] = tuple(_residents["last_names"])


def french_iban(*, bank: int, branch: int, account: int) -> str:
    """A valid French IBAN (RIB key and IBAN check digits computed) for made-up account numbers."""
    rib_key = 97 - ((89 * bank + 15 * branch + 3 * account) % 97)
    bban = f"{bank:05d}{branch:05d}{account:011d}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, letters as numbers (F=15, R=27)
    return f"FR{check:02d}{bban}"


@dataclass(frozen=True)
class DemoPayouts:
    merchants_with_bank_details: int
    orders_paid: int
    orders_handed_over: int


def seed_demo_payouts(*, town_name: str, orders: int = 40, seed: int = 2026) -> DemoPayouts:
    """Treasury account, bank details for every live merchant, and `orders` paid orders over 3 weeks.

    Each part is seeded once: the treasury account while the town has none, bank details while no
    merchant has any, orders while the town has none. A re-run (every ``make run``) overwrites nothing
    the town changed and invents no bank details for the merchants it added since.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    admin = User.objects.filter(role=Role.TOWN_ADMIN).order_by("pk").first()
    if admin is None:
        raise RuntimeError("the town needs an administrator first (setup_demo)")
    treasury_iban = french_iban(bank=30001, branch=620, account=10_000_000_000 + rng.randrange(10**9))
    if not get_policy().treasury_iban:
        update_payout_settings(
            actor=admin,
            treasury_holder_name=f"Régie de recettes de {town_name}",
            treasury_iban=treasury_iban,
            treasury_street="Place du Soldat Inconnu",
            treasury_building_number="1",
            treasury_postcode="62100",
            treasury_town=town_name,
        )
    merchants = []
    if not MerchantPayoutAccount.objects.exists():
        merchants = list(Merchant.objects.filter(status=MerchantStatus.LIVE, sells_online=True).order_by("pk"))
    for index, merchant in enumerate(merchants):
        save_payout_account(
            merchant=merchant,
            actor=admin,
            holder_name=merchant.name[:70],
            iban=french_iban(bank=16_706, branch=50 + index % 40, account=2_000_000 + index),
            street=merchant.address_line or "Rue Royale",
            postcode=merchant.postcode or "62100",
            town=merchant.city or town_name,
        )
        sign_demo_agreement(merchant=merchant, actor=admin)
    paid = handed = 0
    if not Order.objects.exists():
        paid, handed = _paid_orders(rng=rng, count=orders)
    return DemoPayouts(len(merchants), paid, handed)


def random_basket(
    rng: random.Random, shops: list[list[Variant]], *, quantities: tuple[int, ...]
) -> tuple[Basket, set[int]]:
    """A new basket with a few products of one or two of ``shops``, and its merchants (none: deleted)."""
    basket = get_or_create_basket(token=None, user_id=None)
    for shop in rng.sample(shops, k=min(len(shops), rng.choice((1, 1, 1, 2)))):
        for variant in rng.sample(shop, k=min(len(shop), rng.choice((1, 2)))):
            # Earlier demo orders may have sold the last units: a real buyer would pick another.
            with contextlib.suppress(ValidationError):
                add_to_basket(basket=basket, variant_id=variant.pk, quantity=rng.choice(quantities))
    merchant_ids = set(basket.lines.values_list("variant__merchant_id", flat=True))
    if not merchant_ids:
        basket.delete()
    return basket, merchant_ids


def random_contact(rng: random.Random, *, email: str) -> Contact:
    return Contact(
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        email=email,
        phone=f"06{rng.randrange(10**8):08d}",
    )


def _paid_orders(*, rng: random.Random, count: int) -> tuple[int, int]:
    # A few products of every shop (the supermarket alone has thousands), so orders spread over shops.
    by_merchant: dict[int, list[Variant]] = {}
    for variant in (
        sellable_variants().filter(merchant__click_and_collect=True).exclude(stock=0).order_by("merchant_id", "pk")
    ):
        if len(by_merchant.setdefault(variant.merchant_id, [])) < 4:
            by_merchant[variant.merchant_id].append(variant)
    shops = list(by_merchant.values())
    variants = [variant for shop in shops for variant in shop]
    if not variants:
        return 0, 0
    # Demo only (`make run` installs the dev extras): orders are placed "in the past" so the finance
    # pages show three weeks of sales.
    import time_machine

    real_now = dt.datetime.now(dt.UTC)  # inside time_machine.travel, now() is the travelled moment
    start = real_now - dt.timedelta(days=21)
    paid = handed = 0
    for index in range(count):
        # Spread over three weeks of opening hours, each order placed "at its time".
        moment = start + dt.timedelta(hours=index * 21 * 24 / count, minutes=rng.randrange(60))
        with time_machine.travel(moment, tick=False), transaction.atomic():
            basket, merchant_ids = random_basket(rng, shops, quantities=(1, 1, 2))
            if not merchant_ids:
                continue
            # Residents come back: about one order in three is from someone who ordered before.
            resident = index if index < 3 or rng.random() < 0.65 else rng.randrange(index)
            contact = random_contact(rng, email=f"habitant{resident}@exemple.fr")
            order = place_order(
                basket=basket,
                contact=contact,
                fulfilments={merchant_id: FulfilmentChoice(kind="collect") for merchant_id in merchant_ids},
                terms_accepted=True,
                actor=Actor(kind="resident"),
                now=moment,
            )
            mark_order_paid(order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=GATEWAY)
            paid += 1
            if moment < real_now - dt.timedelta(days=3):
                for merchant_order in order.merchant_orders.all():
                    staff = Actor(kind="town_agent")
                    accept_merchant_order(merchant_order_id=merchant_order.pk, actor=staff)
                    mark_merchant_order_ready(merchant_order_id=merchant_order.pk, actor=staff)
                    hand_over(merchant_order_id=merchant_order.pk, pickup_code=merchant_order.pickup_code, actor=staff)
                handed += 1
    # Checkout's events reach the ledger right after each order's commit. Inside an outer transaction
    # (the tests) nothing commits: deliver those still pending, each at the moment it was written.
    for event in pending_events():
        with time_machine.travel(event.created_at, tick=False):
            deliver_event(event_id=event.pk)
    # Release day by day, as the periodic task would have, so each release is dated when it happened
    # and a payout run at a past cut-off finds what was available then.
    for day in range(22):
        moment = start + dt.timedelta(days=day)
        with time_machine.travel(moment, tick=False):
            release_due_merchant_orders(moment)
    release_due_merchant_orders(real_now)
    return paid, handed
