"""Shared output of the catalogue commands: a text progress bar and the import report."""

from __future__ import annotations

from django.core.management.base import CommandError, OutputWrapper

from catalog.imports import ImportReport


class TextProgressBar:
    """``[#######-------]  45 % (4 500/10 000)`` redrawn in place on stderr (no dependency)."""

    width = 30

    def __init__(self, stream: OutputWrapper, label: str) -> None:
        self.stream, self.label, self.last_percent = stream, label, -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == self.last_percent:
            return
        self.last_percent = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d} % ({done}/{total})", ending="")
        if done >= total:
            self.stream.write("")
        self.stream.flush()


def finish_import(report: ImportReport, stdout: OutputWrapper, stderr: OutputWrapper) -> None:
    """Print the row-by-row report; a refused import (or a dry run with errors) exits non-zero."""
    for warning in report.warnings:
        stderr.write(f"Attention : {warning}")
    for error in report.errors:
        where = f"ligne {error['line']}" if error["line"] else "fichier"
        column = f", colonne {error['column']}" if error["column"] else ""
        stderr.write(f"{where}{column} : {error['message']}")
    if report.error_count > len(report.errors):
        stderr.write(f"… et {report.error_count - len(report.errors)} autres erreurs.")
    counts = f"{report.created} créé(s), {report.updated} mis à jour"
    if report.unpublished:
        counts += f", {report.unpublished} dépublié(s)"
    if report.photos:
        counts += f", {report.photos} photo(s)"
    if not report.is_valid:
        raise CommandError(
            f"{report.error_count} erreur(s) sur {report.total_rows} ligne(s) : rien n'a été enregistré."
        )
    if report.is_dry_run:
        stdout.write(f"Essai à blanc, {report.total_rows} ligne(s) valides, rien n'a été enregistré ({counts}).")
    else:
        stdout.write(f"Import terminé : {report.total_rows} ligne(s), {counts}.")
