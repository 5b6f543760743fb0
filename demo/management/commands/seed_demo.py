"""Everything `make run` seeds, in one process: the demo towns and accounts, then each town's catalogue,
delivery and settlement data, then where to log in.

The steps are the demo's own commands, called in turn (``call_command``): the same actions, each seeder
still running once, and no Python start-up (Django, the apps, the embedded PostgreSQL) between two of
them. Each step's time is printed, so a slow first run says where its time went.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from demo.catalog_content import PROFILES
from demo.towns import DEMO_TOWNS

# The towns whose delivery partner's day is seeded (fleet, couriers, the day's planned rounds).
ROUNDS_TOWNS = frozenset({"calais"})
# The towns whose agents' onboarding is seeded (pipeline, information session, agreement, posters).
ONBOARDING_TOWNS = frozenset({"calais"})


def demo_steps(*, orders: int | None = None, products: int | None = None) -> list[tuple[str, list[str]]]:
    """The commands of the demo's set-up, in order, with their arguments."""
    steps: list[tuple[str, list[str]]] = [("setup_demo", ["--quiet"])]
    for town in DEMO_TOWNS:
        slug = town["slug"]
        catalogue = [slug, "--profile", slug if slug in PROFILES else "calais"]
        if products is not None:
            catalogue += ["--products", str(products), "--supermarket-products", str(products // 4)]
        steps.append(("seed_demo_catalog", catalogue))
        steps.append(("seed_demo_logistics", [slug]))
        steps.append(("seed_demo_payouts", [slug, *(["--orders", str(orders)] if orders is not None else [])]))
        if slug in ROUNDS_TOWNS:
            steps.append(("seed_demo_rounds", [slug, *(["--orders", str(orders)] if orders is not None else [])]))
        if slug in ONBOARDING_TOWNS:
            steps.append(("seed_demo_onboarding", [slug]))
    # Again at the end: the logins of the merchants seeded meanwhile, and where to log in.
    steps.append(("setup_demo", []))
    return steps


class Command(BaseCommand):
    help = (
        "Prépare toute la démonstration de `make run` en un seul processus : villes et comptes, puis le "
        "catalogue, la livraison et les reversements de chaque ville, chaque étape une fois ; affiche la "
        "durée de chaque étape."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=None, help="produits par ville (défaut du modèle)")
        parser.add_argument("--orders", type=int, default=None, help="commandes payées par ville (défaut : 40)")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        for name, arguments in demo_steps(orders=options["orders"], products=options["products"]):
            step_started = time.perf_counter()
            call_command(name, *arguments, stdout=self.stdout, stderr=self.stderr)
            self.stdout.write(f"  [{time.perf_counter() - step_started:5.1f} s] {name} {' '.join(arguments)}")
        self.stdout.write(f"Données de démonstration en place en {time.perf_counter() - started:.1f} s.")
