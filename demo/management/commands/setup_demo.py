from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from demo.towns import set_up_demo_towns

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-comptoir-2026")


class Command(BaseCommand):
    help = "Prépare la démonstration : modèle de ville, deux villes de démo, comptes. Sans effet s'ils existent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="ne pas afficher les adresses et comptes")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not os.environ.get("ALLOW_DEMO"):
            self.stderr.write("setup_demo refuse de tourner avec DEBUG=false (définissez ALLOW_DEMO=1 pour forcer).")
            return
        lines = set_up_demo_towns(password=DEMO_PASSWORD)
        if options["quiet"]:
            return
        self.stdout.write(self.style.SUCCESS("Démonstration prête :"))
        for line in lines:
            self.stdout.write(line)
