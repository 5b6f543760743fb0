from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.actions import provision_town
from tenants.models import TownKind


def format_validation_error(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "\n".join(
            f"{field} : {message}" for field, errs in error.error_dict.items() for e in errs for message in e.messages
        )
    return "\n".join(error.messages)


class Command(BaseCommand):
    help = "Crée une ville (schéma, sous-domaine, premier administrateur) et affiche son adresse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="identifiant : minuscules, chiffres, tirets (ex. saint-omer)")
        parser.add_argument("--name", required=True, help="nom affiché de la ville")
        parser.add_argument("--kind", choices=[k.value for k in TownKind], default=TownKind.COMMUNE)
        parser.add_argument("--domain", dest="custom_domain", help="domaine personnalisé (non vérifié)")
        parser.add_argument("--admin-email", dest="admin_email", help="e-mail du premier administrateur")
        parser.add_argument("--primary-color", dest="primary_color", default=None)
        parser.add_argument("--secondary-color", dest="secondary_color", default=None)
        parser.add_argument("--tagline", default="")
        parser.add_argument(
            "--insee",
            dest="insee_codes",
            action="append",
            default=[],
            help="code INSEE d'une commune couverte (répétable)",
        )
        parser.add_argument(
            "--method",
            choices=["fast", "clone", "migrate"],
            default="fast",
            help="fast : réserve puis copie du modèle (défaut) ; migrate : lent, pour mesurer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kwargs = {
            key: options[key]
            for key in ("slug", "name", "kind", "custom_domain", "admin_email", "tagline", "insee_codes", "method")
        }
        for colour in ("primary_color", "secondary_color"):
            if options[colour]:
                kwargs[colour] = options[colour]
        verbose = options["verbosity"] >= 2
        try:
            result = provision_town(
                **kwargs, progress=(lambda m: self.stdout.write(m)) if verbose else (lambda m: None)
            )
        except ValidationError as error:
            raise CommandError(format_validation_error(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Ville « {result.town.name} » créée en {result.seconds:.2f} s ({result.method}) : {result.url}"
            )
        )
        if result.admin_email:
            self.stdout.write(f"Invitation envoyée à {result.admin_email}.")
