from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.delivery import DEMO_ZONES, seed_demo_logistics
from tenants.models import Town


class Command(BaseCommand):
    help = (
        "Crée les zones de livraison et le carnet d'adresses local d'une ville de démonstration "
        "(calais ou luzy), une fois : relancée, elle ne touche pas aux zones que la ville a déjà."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant de la ville (calais ou luzy)")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["slug"]
        if slug not in DEMO_ZONES:
            raise CommandError(f"Pas de livraison de démonstration pour « {slug} » (villes prévues : calais, luzy).")
        town = Town.objects.towns().filter(slug=slug).first()
        if town is None:
            raise CommandError(f"Aucune ville « {slug} ».")
        with town:
            result = seed_demo_logistics(town_slug=slug)
        self.stdout.write(
            self.style.SUCCESS(
                f"{town.name} : {result.zones_created} zone(s) créée(s), {result.zones_kept} déjà en place "
                f"laissée(s) telle(s) quelle(s), {result.addresses_created} adresse(s) ajoutée(s)."
            )
        )
