"""``manage.py check_ledger [slug]``: checks the ledger invariants of one town or of every town.

Per town it prints ``<slug>: ok`` when the ledger is sound, followed by the events of checkout's
outbox still waiting to reach the ledger, if any: ``<slug>: ok, 2 event(s) waiting for the ledger
(oldest 40 s)``. Waiting is normal for a few seconds after a payment (or a minute or two after a
crash, until the sweep delivers again); an event still waiting after
``settlement.ledger.invariants.OUTBOX_ALERT_AFTER`` (15 minutes) is a problem like the others: written on
stderr, logged as an error, and the command exits with status 1.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Town

logger = logging.getLogger("settlement.check_ledger")


def _age(delta: dt.timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Command(BaseCommand):
    help = (
        "Checks that every town's ledger balances and says how many checkout events wait for it; "
        "exits with status 1 when a problem is found (including an event waiting for more than 15 minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="the town's slug (all towns when omitted)")

    def handle(self, *args: Any, slug: str | None = None, **options: Any) -> None:
        from settlement.ledger.invariants import check_invariants, ledger_backlog

        towns = Town.objects.towns().order_by("slug")
        if slug:
            towns = towns.filter(slug=slug)
            if not towns.exists():
                raise CommandError(f"no town with slug {slug!r}")
        broken = 0
        for town in towns:
            with schema_context(town.schema_name):
                problems = check_invariants()
                backlog = ledger_backlog()
            for problem in problems:
                logger.error("ledger invariant broken in %s: %s", town.slug, problem)
                self.stderr.write(f"{town.slug}: {problem}")
            if problems:
                broken += 1
            summary = [] if problems else ["ok"]
            if backlog.count and backlog.oldest_created_at is not None:
                age = _age(timezone.now() - backlog.oldest_created_at)
                summary.append(f"{backlog.count} event(s) waiting for the ledger (oldest {age})")
            if summary and options["verbosity"] > 0:
                self.stdout.write(f"{town.slug}: {', '.join(summary)}")
        if broken:
            raise CommandError(f"{broken} town ledger(s) with problems", returncode=1)
