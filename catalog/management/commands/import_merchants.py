from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from catalog.imports import import_merchants
from catalog.management import TextProgressBar, finish_import
from catalog.management.commands.import_products import get_town, read_limited


class Command(BaseCommand):
    help = "Importe (ou met à jour par SIRET ou nom) les commerçants d'une ville depuis un fichier CSV ou Excel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("town", help="identifiant de la ville (ex. calais)")
        parser.add_argument("file", help="fichier .csv ou .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="vérifie tout, n'enregistre rien")

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_limited(options["file"])
        with get_town(options["town"]):
            report = import_merchants(
                data=data,
                filename=options["file"],
                dry_run=options["dry_run"],
                progress=TextProgressBar(self.stderr, "Vérification"),
            )
            finish_import(report, self.stdout, self.stderr)
