from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.imports import MAX_FILE_BYTES, import_products
from catalog.management import TextProgressBar, finish_import
from catalog.models import Merchant
from tenants.models import Town


def read_limited(path: str) -> bytes:
    """The file's bytes, refusing before reading anything larger than the import limit."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"Fichier introuvable : {path}")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise CommandError(f"Le fichier dépasse {MAX_FILE_BYTES // (1024 * 1024)} Mo : découpez-le.")
    return file.read_bytes()


def get_town(slug: str) -> Town:
    town = Town.objects.filter(slug=slug).first()
    if town is None:
        raise CommandError(f"Ville inconnue : {slug}")
    return town


class Command(BaseCommand):
    help = "Importe (ou met à jour par SKU) les produits d'un commerçant depuis un fichier CSV ou Excel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("town", help="identifiant de la ville (ex. calais)")
        parser.add_argument("merchant", help="identifiant du commerçant")
        parser.add_argument("file", help="fichier .csv ou .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="vérifie tout, n'enregistre rien")
        parser.add_argument(
            "--unpublish-missing", action="store_true", help="dépublie les produits dont le SKU est absent du fichier"
        )
        parser.add_argument("--images", help="archive ZIP des images citées dans la colonne images")

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_limited(options["file"])
        with get_town(options["town"]):
            merchant = Merchant.objects.filter(slug=options["merchant"]).first()
            if merchant is None:
                raise CommandError(f"Commerçant inconnu dans cette ville : {options['merchant']}")
            archive = Path(options["images"]).open("rb") if options["images"] else None  # noqa: SIM115
            try:
                report = import_products(
                    merchant=merchant,
                    data=data,
                    filename=options["file"],
                    images=archive,
                    dry_run=options["dry_run"],
                    unpublish_missing=options["unpublish_missing"],
                    progress=TextProgressBar(self.stderr, "Vérification"),
                )
            finally:
                if archive is not None:
                    archive.close()
            finish_import(report, self.stdout, self.stderr)
