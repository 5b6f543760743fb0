from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.management.commands.setup_demo import DEMO_PASSWORD
from demo.rounds import seed_demo_rounds
from tenants.current import town_today
from tenants.models import Town


class Command(BaseCommand):
    help = (
        "Crée le dépôt, les vélos cargo, les voitures et les livreurs d'une ville de démonstration, puis les "
        "commandes livrées du jour et leurs tournées planifiées (une fois : relancée, elle ne refait rien)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant de la ville")
        parser.add_argument("--orders", type=int, default=40, help="commandes livrées du jour (défaut : 40)")

    def handle(self, *args: Any, slug: str, orders: int = 40, **options: Any) -> None:
        town = Town.objects.towns().filter(slug=slug).first()
        if town is None:
            raise CommandError(f"Aucune ville « {slug} ».")
        with town:
            result = seed_demo_rounds(town=town, password=DEMO_PASSWORD, today=town_today(), orders=orders)
        if result.orders:
            self.stdout.write(
                f"{slug} : {result.orders} commandes livrées le {result.day:%d/%m}, {result.served} planifiées en "
                f"tournées, {result.unassigned} non planifiées."
            )
