from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.export import write_photos_zip, write_products_csv
from catalog.management.commands.import_products import get_town
from catalog.models import Merchant


class Command(BaseCommand):
    help = "Exporte le catalogue d'un commerçant en CSV (point-virgule, UTF-8 avec BOM), réimportable tel quel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("town", help="identifiant de la ville")
        parser.add_argument("merchant", help="identifiant du commerçant")
        parser.add_argument("-o", "--output", help="fichier de sortie (par défaut : la sortie standard)")
        parser.add_argument("--images", help="archive ZIP des photos à écrire, nommées comme dans la colonne images")

    def handle(self, *args: Any, **options: Any) -> None:
        with get_town(options["town"]):
            merchant = Merchant.objects.filter(slug=options["merchant"]).first()
            if merchant is None:
                raise CommandError(f"Commerçant inconnu dans cette ville : {options['merchant']}")
            if options["output"]:
                with Path(options["output"]).open("w", encoding="utf-8", newline="") as output:
                    count = write_products_csv(merchant=merchant, stream=output)
                self.stderr.write(f"{count} ligne(s) écrites dans {options['output']}.")
            else:
                buffer = io.StringIO(newline="")
                write_products_csv(merchant=merchant, stream=buffer)
                self.stdout.write(buffer.getvalue(), ending="")
            if options["images"]:
                with Path(options["images"]).open("wb") as archive:
                    count = write_photos_zip(merchant=merchant, stream=archive)
                self.stderr.write(f"{count} photo(s) écrites dans {options['images']}.")
