"""`make run` seeds the demo with one command: the demo towns, then each town's catalogue, delivery and
settlement data, each step once and timed, the logins last; run again, it adds nothing."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import Merchant, Product
from checkout.models import Order
from delivery.models import DeliveryZone
from demo.management.commands.seed_demo import demo_steps
from logistics.models import Delivery
from tenants.models import Town

SMALL = ["--products", "40", "--orders", "2"]


def test_the_steps_are_the_demo_commands_town_by_town_with_the_logins_last():
    assert demo_steps() == [
        ("setup_demo", ["--quiet"]),
        ("seed_demo_catalog", ["calais", "--profile", "calais"]),
        ("seed_demo_logistics", ["calais"]),
        ("seed_demo_payouts", ["calais"]),
        ("seed_demo_rounds", ["calais"]),
        ("seed_demo_onboarding", ["calais"]),
        ("seed_demo_catalog", ["luzy", "--profile", "luzy"]),
        ("seed_demo_logistics", ["luzy"]),
        ("seed_demo_payouts", ["luzy"]),
        ("setup_demo", []),
    ]


@pytest.mark.slow
def test_seed_demo_fills_both_towns_once_and_prints_each_step_time_then_the_logins(db, settings, isolated_media):
    settings.DEBUG = True  # setup_demo refuses to run otherwise
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first, second = StringIO(), StringIO()

    call_command("seed_demo", *SMALL, stdout=first)
    counts = {}
    for town in Town.objects.filter(slug__in=["calais", "luzy"]).order_by("slug"):
        with town:
            # Calais also has the day's delivery orders of its demo rounds.
            delivered = Delivery.objects.count()
            counts[town.slug] = (
                Product.objects.count(),
                DeliveryZone.objects.exists(),
                Order.objects.count() - delivered,
            )
    call_command("seed_demo", *SMALL, stdout=second)

    # Calais' 40 products and the 3 drafts of its agent's photo shoot (seed_demo_onboarding).
    assert counts == {"calais": (43, True, 2), "luzy": (40, True, 2)}
    output = first.getvalue()
    timed = re.findall(r"^  \[\s*[\d.]+ s\] (\S+ ?\S*)", output, re.MULTILINE)
    assert timed == [
        "setup_demo --quiet",
        "seed_demo_catalog calais",
        "seed_demo_logistics calais",
        "seed_demo_payouts calais",
        "seed_demo_rounds calais",
        "seed_demo_onboarding calais",
        "seed_demo_catalog luzy",
        "seed_demo_logistics luzy",
        "seed_demo_payouts luzy",
        "setup_demo ",
    ]
    assert re.search(r"Données de démonstration en place en [\d.]+ s\.\n$", output)
    logins = output.split("Démonstration prête :")[1]  # the last step's lines
    assert "administrateur : admin@calais.test / demo-comptoir-2026" in logins
    assert "administrateur : admin@luzy.test / demo-comptoir-2026" in logins
    # The second run finds everything in place.
    assert second.getvalue().count("rien à faire") == 2
    for town in Town.objects.filter(slug__in=["calais", "luzy"]):
        with town:
            assert (Merchant.objects.count() > 0, Product.objects.count(), Order.objects.count()) == (
                True,
                43 if town.slug == "calais" else 40,
                2 + Delivery.objects.count(),
            )
