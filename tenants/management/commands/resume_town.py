from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.actions import resume_town
from tenants.management.commands._town_command import get_town


class Command(BaseCommand):
    help = "Remet en ligne une ville suspendue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            town = resume_town(town=get_town(options["slug"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"{town.name} : remise en ligne."))
