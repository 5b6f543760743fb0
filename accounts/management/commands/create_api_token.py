from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.tokens import issue_api_token


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un compte (opérateur, ou compte d'une ville avec --schema v_<ville>)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--schema", default="public", help="schéma de la ville (ex. v_calais) ; public par défaut")
        parser.add_argument("--name", default="", help="à quoi sert ce jeton")

    def handle(self, *args: Any, **options: Any) -> None:
        with schema_context(options["schema"]):
            user = User.objects.filter(email=options["email"].lower()).first()
            if user is None:
                raise CommandError(f"Aucun compte « {options['email']} » dans {options['schema']}.")
            key = issue_api_token(user=user, name=options["name"])
        self.stdout.write("Jeton créé (il ne sera plus affiché) :")
        self.stdout.write(key)
