from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.actions import record_verified_email
from accounts.models import Role, User
from tenants.actions import ensure_template, provision_town, town_url
from tenants.models import Town

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-comptoir-2026")

DEMO_TOWNS = [
    {
        "slug": "calais",
        "name": "Calais",
        "tagline": "Mon shopping, c'est Calais !",
        "primary_color": "#00558c",
        "secondary_color": "#8c1d40",
        "insee_codes": ["62193"],
        "publisher": {
            "publisher_name": "Ville de Calais (démonstration)",
            "publisher_address": "Place du Soldat Inconnu, 62100 Calais",
            "publication_director": "Le maire de Calais",
        },
    },
    {
        "slug": "luzy",
        "name": "Luzy",
        "tagline": "Les commerces du Morvan, à deux pas de chez vous",
        "primary_color": "#2e6b30",
        "secondary_color": "#6b3d12",
        "insee_codes": ["58149"],
        "publisher": {
            "publisher_name": "Commune de Luzy (démonstration)",
            "publisher_address": "Place de l'Hôtel de Ville, 58170 Luzy",
            "publication_director": "Le maire de Luzy",
        },
    },
]


class Command(BaseCommand):
    help = "Prépare la démonstration : modèle de ville, deux villes de démo, comptes. Sans effet s'ils existent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="ne pas afficher les adresses et comptes")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not os.environ.get("ALLOW_DEMO"):
            self.stderr.write("setup_demo refuse de tourner avec DEBUG=false (définissez ALLOW_DEMO=1 pour forcer).")
            return
        ensure_template()
        operator_email = f"operateur@{settings.PLATFORM_DOMAIN}"
        with transaction.atomic():
            operator, created = User.objects.get_or_create(
                email=operator_email, defaults={"role": Role.OPERATOR, "is_staff": True, "is_superuser": True}
            )
            if created:
                operator.set_password(DEMO_PASSWORD)
                operator.save()
            record_verified_email(user=operator)
        lines = [
            f"Site opérateur : http://{settings.PLATFORM_DOMAIN}:8000/  (console : /console/)",
            f"  opérateur : {operator_email} / {DEMO_PASSWORD}",
        ]
        for spec in DEMO_TOWNS:
            town = Town.objects.filter(slug=spec["slug"]).first()
            if town is None:
                result = provision_town(
                    slug=spec["slug"],
                    name=spec["name"],
                    tagline=spec["tagline"],
                    primary_color=spec["primary_color"],
                    secondary_color=spec["secondary_color"],
                    insee_codes=spec["insee_codes"],
                )
                town = result.town
                for field, value in spec["publisher"].items():
                    setattr(town, field, value)
                town.save()
            admin_email = f"admin@{town.slug}.{settings.PLATFORM_DOMAIN}"
            with town, transaction.atomic():
                admin, created = User.objects.get_or_create(email=admin_email, defaults={"role": Role.TOWN_ADMIN})
                if created:
                    admin.set_password(DEMO_PASSWORD)
                    admin.save()
                record_verified_email(user=admin)
            lines.append(f"{town.name} : {town_url(town)}")
            lines.append(f"  administrateur : {admin_email} / {DEMO_PASSWORD}")
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS("Démonstration prête :"))
        for line in lines:
            self.stdout.write(line)
