"""``manage.py run_payouts <slug> [--cut-off ISO]``: prepares a town's payout batch for a cut-off, once.

Without ``--cut-off`` the latest scheduled cut-off is used (what the beat task does). Rerunning a
period prints the existing batch. ``--pause-after-lines N`` exists for the crash test: it sleeps
inside the run's transaction after writing N lines, so the test can kill the process there.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tenants.models import Town


class Command(BaseCommand):
    help = "Prepares the payout batch of a town for a cut-off (idempotent per period)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the town's slug")
        parser.add_argument("--cut-off", help="ISO 8601 date-time with offset (default: the latest scheduled one)")
        parser.add_argument("--pause-after-lines", type=int, default=None, help=argparse_hidden())

    def handle(self, *args: Any, slug: str, cut_off: str | None = None, **options: Any) -> None:
        from settlement.ledger.rules import get_policy
        from settlement.payouts.guards import PayoutError
        from settlement.payouts.runs import latest_cut_off, run_payout
        from tenants.current import town_zone

        town = Town.objects.towns().filter(slug=slug).first()
        if town is None:
            raise CommandError(f"no town with slug {slug!r}")
        pause_after = options.get("pause_after_lines")

        def after_line(count: int) -> None:
            if pause_after is not None and count == pause_after:
                sys.stdout.write(f"paused after {count} lines\n")
                sys.stdout.flush()
                time.sleep(600)

        with town:
            if cut_off:
                moment = dt.datetime.fromisoformat(cut_off)
                if timezone.is_naive(moment):
                    raise CommandError("--cut-off needs a time zone offset")
            else:
                moment = latest_cut_off(now=timezone.now(), policy=get_policy(), time_zone=town_zone())
            try:
                run = run_payout(cut_off=moment, actor=None, after_line=after_line if pause_after else None)
            except PayoutError as error:
                raise CommandError(str(error)) from error
        batch = run.batch
        verb = "created" if run.created else "already existed"
        self.stdout.write(
            f"{slug}: batch {batch.reference} {verb}: {batch.line_count} lines, {batch.total_cents} cents, {batch.state}"
        )


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS
