"""The demo town's onboarding: a pipeline of businesses at every step, with months of history.

Every merchant the catalogue seeded is already live: each gets its prospect at « En ligne » and a
history of moves over the last year (so the impact dashboard has months to show). About sixty more
businesses of the town — named like the catalogue's, with valid SIRETs and NAF codes — stand at
every other step, a few of them stalled. The town's NAF table files the town-centre trades into
its categories. Seeded once: a town that already has prospects is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from catalog.actions import save_merchant
from catalog.models import Category, Merchant, MerchantStatus
from demo.catalog import _merchant_name, _phone, siret
from demo.catalog_content import PROFILES, TRADES
from onboarding.models import PATH, NafRule, Prospect, ProspectMove, ProspectSource, Step
from onboarding.naf import normalise_naf

# The NAF code (rév. 2) of each of the demo's trades.
TRADE_NAF = {
    "bakery": "10.71C", "butcher": "47.22Z", "fish": "47.23Z", "greengrocer": "47.21Z", "cheese": "47.29Z",
    "grocery": "47.11C", "wine": "47.25Z", "chocolate": "10.82Z", "clothes_women": "47.71Z",
    "clothes_men": "47.71Z", "kids": "47.71Z", "shoes": "47.72A", "leather": "47.72B", "jewellery": "47.77Z",
    "lace": "47.51Z", "decoration": "47.59B", "hardware": "47.52A", "florist": "47.76Z", "beauty": "47.75Z",
    "hairdresser": "96.02A", "institute": "96.02B", "optician": "47.78A", "books": "47.61Z", "toys": "47.65Z",
    "sport": "47.64Z", "music": "47.59B", "crafts": "47.51Z", "restaurant": "56.10A", "takeaway": "56.10C",
    "caterer": "56.21Z", "cafe": "56.30Z", "estate": "68.31Z", "repair": "95.23Z", "pressing": "96.01B",
    "services": "88.10A", "building": "43.22A", "potter": "23.41Z", "carpenter": "31.09B",
    "association": "94.99Z", "market_veg": "47.81Z", "beekeeper": "47.81Z", "farm_cheese": "47.81Z",
}  # fmt: skip
# How many new businesses stand at each step off « En ligne » (sixty in all).
NEW_AT_STEP = {
    Step.TO_CONTACT: 14,
    Step.CONTACTED: 10,
    Step.INFO_SESSION: 8,
    Step.AGREEMENT: 7,
    Step.BANK_DETAILS: 6,
    Step.CATALOGUE: 5,
    Step.PHOTOS: 4,
    Step.PAUSED: 3,
    Step.DECLINED: 3,
}
REASONS = {
    Step.PAUSED: (
        "Fermeture pour travaux jusqu’au printemps",
        "Changement de gérant en cours",
        "Rappeler après les fêtes",
    ),
    Step.DECLINED: ("Ne souhaite pas vendre en ligne", "Départ à la retraite prévu", "Déjà sur une autre plateforme"),
}
CONTACTS = ("Mme Lefebvre", "M. Caron", "Mme Delattre", "M. Fournier", "Mme Vasseur", "M. Duhamel", "")


@dataclass(frozen=True)
class PipelineSeeded:
    live: int
    new: int
    rules: int


def _history(
    rng: random.Random, *, last_step: Step, ends_at: dt.datetime, started_at: dt.datetime
) -> list[tuple[Step, dt.datetime]]:
    """The steps a business went through, on the path to ``last_step`` (or off it at the end), with dates."""
    off_path = last_step not in PATH
    on_path = PATH[: rng.randrange(1, 4)] if off_path else PATH[: PATH.index(last_step) + 1]
    steps = [*on_path, last_step] if off_path else list(on_path)
    span = max((ends_at - started_at).total_seconds(), 3600.0)
    marks = sorted(rng.uniform(0, span) for _ in steps[1:])
    return [(steps[0], started_at)] + [
        (step, started_at + dt.timedelta(seconds=mark)) for step, mark in zip(steps[1:], marks, strict=True)
    ]


def seed_demo_pipeline(*, profile_key: str = "calais", seed: int = 13) -> PipelineSeeded:
    """The town's pipeline: its live merchants with a year of history, sixty businesses at the other steps."""
    if Prospect.objects.filter(source__in=[ProspectSource.IMPORT, ProspectSource.APPLICATION]).exists():
        return PipelineSeeded(live=0, new=0, rules=0)
    rng = random.Random(seed)  # noqa: S311 - demo content, not secrets
    profile = PROFILES[profile_key]
    now = timezone.now()
    categories = dict(Category.objects.values_list("slug", "pk"))
    with transaction.atomic():
        rules = 0
        for key, naf in TRADE_NAF.items():
            code = normalise_naf(naf)
            category_id = categories.get(TRADES[key].category)
            if category_id is not None and not NafRule.objects.filter(code=code).exists():
                NafRule.objects.create(
                    code=code, kind=TRADES[key].kind, category_id=category_id, label=TRADES[key].names[0].split(" {")[0]
                )
                rules += 1
        histories: list[tuple[Merchant, Step, str, str, list[tuple[Step, dt.datetime]]]] = []
        # The catalogue's seeding enrolled its merchants as it went (each save moves a prospect on), with
        # the seeding's minutes as their history: a demo town gets a year of it instead.
        steps_now = dict(Prospect.objects.values_list("merchant_id", "step"))
        Prospect.objects.all().delete()
        live = list(Merchant.objects.filter(status=MerchantStatus.LIVE).order_by("pk"))
        for merchant in live:
            went_live = now - dt.timedelta(days=rng.randrange(20, 360))
            started = went_live - dt.timedelta(days=rng.randrange(20, 80))
            history = _history(rng, last_step=Step.LIVE, ends_at=went_live, started_at=started)
            histories.append((merchant, Step.LIVE, ProspectSource.EXISTING, "", history))
        for merchant in Merchant.objects.exclude(status=MerchantStatus.LIVE).order_by("pk"):
            reached = Step(steps_now.get(merchant.pk, Step.TO_CONTACT))
            last_step = Step.PHOTOS if reached in (Step.LIVE, Step.PAUSED, Step.DECLINED) else reached
            ends_at = now - dt.timedelta(days=rng.randrange(1, 10))
            history = _history(rng, last_step=last_step, ends_at=ends_at, started_at=ends_at - dt.timedelta(days=30))
            histories.append((merchant, last_step, ProspectSource.EXISTING, "", history))
        taken = set(Merchant.objects.values_list("name", flat=True))
        trades = list(TRADE_NAF)
        for step, count in NEW_AT_STEP.items():
            for _n in range(count):
                key = rng.choice(trades)
                trade = TRADES[key]
                merchant = Merchant(
                    name=_merchant_name(rng, trade, profile, taken),
                    kind=trade.kind,
                    status=MerchantStatus.DRAFT,
                    address_line=f"{rng.randrange(1, 120)} {rng.choice(profile.streets)}",
                    postcode=profile.postcode,
                    city=profile.city,
                    insee_code=profile.insee_code,
                    phone=_phone(rng, profile, mobile=rng.random() < 0.5),
                    siret=siret(rng),
                    sells_online=True,
                )
                save_merchant(merchant=merchant)
                if (category_id := categories.get(trade.category)) is not None:
                    merchant.categories.add(category_id)
                # A few are stalled: no move for three weeks or more (the town flags 14 days).
                quiet_days = rng.randrange(21, 45) if rng.random() < 0.2 else rng.randrange(0, 12)
                ends_at = now - dt.timedelta(days=quiet_days, hours=rng.randrange(0, 10))
                started = ends_at - dt.timedelta(days=rng.randrange(5, 70))
                history = _history(rng, last_step=step, ends_at=ends_at, started_at=started)
                source: str = rng.choice(
                    (ProspectSource.IMPORT, ProspectSource.IMPORT, ProspectSource.APPLICATION, ProspectSource.MANUAL)
                )
                histories.append((merchant, step, source, TRADE_NAF[key], history))
        for merchant, step, source, naf, history in histories:
            last_at = history[-1][1]
            prospect = Prospect.objects.create(
                merchant=merchant,
                step=step,
                step_changed_at=last_at,
                reason=rng.choice(REASONS[step]) if step in REASONS else "",
                source=source,
                naf_code=normalise_naf(naf),
                contact_name=rng.choice(CONTACTS),
            )
            Prospect.objects.filter(pk=prospect.pk).update(created_at=history[0][1])
            previous = ""
            moves = []
            for to_step, moved_at in history:
                reason = prospect.reason if to_step == step and step in REASONS else ""
                moves.append(
                    ProspectMove(
                        prospect=prospect, from_step=previous, to_step=to_step, moved_at=moved_at, reason=reason
                    )
                )
                previous = to_step
            ProspectMove.objects.bulk_create(moves)
    return PipelineSeeded(live=len(live), new=sum(NEW_AT_STEP.values()), rules=rules)
