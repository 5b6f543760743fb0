from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, User
from demo.onboarding import seed_demo_pipeline
from demo.onboarding_agreements import seed_demo_agreements
from demo.onboarding_assisted import seed_demo_assisted_history
from demo.onboarding_photos import seed_photo_shoot_drafts
from demo.onboarding_posters import seed_demo_posters
from demo.onboarding_sessions import seed_sessions
from onboarding.models import Prospect, Step
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
            agent = User.objects.filter(role=Role.TOWN_AGENT, is_active=True).order_by("pk").first()
            admin = User.objects.filter(role=Role.TOWN_ADMIN, is_active=True).order_by("pk").first()
            if admin is not None:
                seed_demo_agreements(admin=admin)
            # The weekly session's guests: businesses contacted or still to contact.
            guests = Prospect.objects.filter(step__in=[Step.TO_CONTACT, Step.CONTACTED]).order_by("pk")[:7]
            series = seed_sessions(prospects=list(guests), agent=agent)
            drafts = seed_photo_shoot_drafts()
            posters = seed_demo_posters()
            assisted = seed_demo_assisted_history(town=town)
        if pipeline.new:
            self.stdout.write(
                f"{slug} : {pipeline.live} commerces en ligne et {pipeline.new} à accompagner, "
                f"{pipeline.rules} correspondances NAF ; réunion « {series.title} » ; {drafts} produits à "
                f"compléter ; affiches : {len(posters.merchant_ids) if posters else 0} commerces."
            )
        if assisted:
            self.stdout.write(f"{slug} : {assisted}")
