"""Demo settlement data for a demo town: treasury account, merchants' bank details, paid orders."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import override_settings

from tenants.models import Town


class Command(BaseCommand):
    help = (
        "Compte de la régie, coordonnées bancaires des commerçants et commandes payées de démonstration, "
        "une fois : relancée, elle ne change rien de ce que la ville a déjà."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("town_slug")
        parser.add_argument("--orders", type=int, default=40)

    def handle(self, *args: Any, town_slug: str, orders: int, **options: Any) -> None:
        from demo.payouts import seed_demo_payouts

        town = Town.objects.towns().filter(slug=town_slug).first()
        if town is None:
            raise CommandError(f"Ville inconnue : {town_slug}")
        # The demo's residents are made up: their confirmation e-mails and SMS go nowhere.
        quiet = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="accounts.sms.backends.locmem.SmsBackend",
        )
        # Each order runs a dozen eager tasks: their "succeeded" lines would drown the summary.
        trace_logger = logging.getLogger("celery.app.trace")
        level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)
        try:
            with town, quiet:
                result = seed_demo_payouts(town_name=town.name, orders=orders)
        finally:
            trace_logger.setLevel(level)
        self.stdout.write(
            f"{town.name} : {result.merchants_with_bank_details} commerçants ont reçu des coordonnées bancaires, "
            f"{result.orders_paid} commandes payées ({result.orders_handed_over} retirées)."
        )
