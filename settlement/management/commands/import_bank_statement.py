"""``manage.py import_bank_statement <slug> <file>``: applies a camt.05x or CSV statement to a town's payouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.models import Town


class Command(BaseCommand):
    help = "Imports a bank statement (camt.052/053/054 or CSV) of a town's treasury account; a re-import is a no-op."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the town's slug")
        parser.add_argument("path", help="the statement file")

    def handle(self, *args: Any, slug: str, path: str, **options: Any) -> None:
        from settlement.payouts.bank_statements import BankStatementError
        from settlement.payouts.returns import import_bank_statement

        town = Town.objects.towns().filter(slug=slug).first()
        if town is None:
            raise CommandError(f"no town with slug {slug!r}")
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        with town:
            try:
                result = import_bank_statement(data=data, file_name=file.name, actor=None)
            except BankStatementError as error:
                raise CommandError(str(error)) from error
        if not result.created:
            self.stdout.write(f"{slug}: {file.name} was already imported; nothing changed")
            return
        self.stdout.write(
            f"{slug}: {result.executed} executed, {result.returned} returned, {result.already_applied} already applied, "
            f"{result.unmatched} unmatched (suspense), {result.duplicates} duplicates"
        )
