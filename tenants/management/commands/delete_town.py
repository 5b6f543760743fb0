from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.actions import delete_town
from tenants.management.commands._town_command import get_town


class Command(BaseCommand):
    help = "Supprime définitivement une ville et toutes ses données (schéma compris)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--yes", action="store_true", help="confirme la suppression définitive")

    def handle(self, *args: Any, **options: Any) -> None:
        town = get_town(options["slug"])
        if not options["yes"]:
            raise CommandError(
                f"Suppression définitive de « {town.name} » et de toutes ses données : relancez avec --yes."
            )
        delete_town(town=town)
        self.stdout.write(self.style.SUCCESS(f"{town.name} est supprimée."))
