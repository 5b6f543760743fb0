from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.onboarding import seed_demo_pipeline
from tenants.models import Town


class Command(BaseCommand):
    help = (
        "Crée l'accompagnement des commerçants d'une ville de démonstration : une soixantaine de commerces à "
        "chaque étape, l'historique des commerces en ligne, la table NAF (une fois : relancée, elle ne refait rien)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant de la ville")

    def handle(self, *args: Any, slug: str, **options: Any) -> None:
        town = Town.objects.towns().filter(slug=slug).first()
        if town is None:
            raise CommandError(f"Aucune ville « {slug} ».")
        with town:
            pipeline = seed_demo_pipeline(profile_key=slug if slug in ("calais",) else "calais")
        if pipeline.new:
            self.stdout.write(
                f"{slug} : {pipeline.live} commerces en ligne et {pipeline.new} à accompagner, "
                f"{pipeline.rules} correspondances NAF."
            )
