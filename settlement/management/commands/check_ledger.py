"""``manage.py check_ledger [slug]``: checks the ledger invariants of one town or of every town."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from tenants.models import Town

logger = logging.getLogger("settlement.check_ledger")


class Command(BaseCommand):
    help = "Checks that every town's ledger balances; exits with status 1 when a problem is found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="the town's slug (all towns when omitted)")

    def handle(self, *args: Any, slug: str | None = None, **options: Any) -> None:
        from settlement.invariants import check_invariants

        towns = Town.objects.towns().order_by("slug")
        if slug:
            towns = towns.filter(slug=slug)
            if not towns.exists():
                raise CommandError(f"no town with slug {slug!r}")
        broken = 0
        for town in towns:
            with schema_context(town.schema_name):
                problems = check_invariants()
            for problem in problems:
                logger.error("ledger invariant broken in %s: %s", town.slug, problem)
                self.stderr.write(f"{town.slug}: {problem}")
            if problems:
                broken += 1
            elif options["verbosity"] > 0:
                self.stdout.write(f"{town.slug}: ok")
        if broken:
            raise CommandError(f"{broken} town ledger(s) with problems", returncode=1)
