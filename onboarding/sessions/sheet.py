"""The attendance sheet of an occurrence (PDF, A4): the town, the session, one row per registered
business with its contact and a box to sign, and blank rows for those who come unannounced."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from onboarding.sessions.messages import occurrence_context
from onboarding.sessions.models import SessionOccurrence
from onboarding.sessions.queries import registrations_of

BLANK_ROWS = 5


def attendance_sheet_html(occurrence: SessionOccurrence) -> str:
    with translation.override("fr"):
        context = occurrence_context(occurrence)
        context.update(
            {
                "occurrence": occurrence,
                "registrations": list(registrations_of(occurrence)),
                "blank_rows": range(BLANK_ROWS),
            }
        )
        return render_to_string("onboarding/sessions/attendance_sheet_pdf.html", context)


def attendance_sheet_pdf(occurrence: SessionOccurrence) -> bytes:
    """The sheet as PDF bytes (WeasyPrint; nothing is fetched from the network)."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it

    return HTML(string=attendance_sheet_html(occurrence)).write_pdf()
