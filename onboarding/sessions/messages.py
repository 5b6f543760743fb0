"""What the town tells merchants about sessions: invitations, reminders, cancellations (e-mail and SMS).

Rendered in French in the town whose schema is active, with the town as sender name; the times are the
town's clock through the project's one formatter (``catalog.formatting``). SMS texts fit one GSM-7 SMS
and keep their link whole (the sentence before it is shortened instead).
"""

from __future__ import annotations

import re
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.sms import SINGLE_SMS_SEPTETS, fit_single_sms, gsm7_length, to_gsm7
from catalog.formatting import format_clock, format_day, format_short_day
from onboarding.sessions.models import SessionInvitation, SessionOccurrence, SessionRegistration
from onboarding.sessions.queries import open_occurrences_of
from onboarding.sessions.tokens import make_invitation_token
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_local
from tenants.models import Town


def invitation_url(invitation: SessionInvitation, town: Town | None = None) -> str:
    path = reverse(
        "onboarding:sessions:invitation",
        kwargs={"token": make_invitation_token(invitation.pk)},
        urlconf=settings.ROOT_URLCONF,
    )
    return town_absolute_url(town or current_town(), path)


def occurrence_context(occurrence: SessionOccurrence, town: Town | None = None) -> dict[str, object]:
    """Title, place, day and times of an occurrence in the town's words."""
    town = town or current_town()
    start = town_local(occurrence.starts_at, town)
    end = town_local(occurrence.ends_at, town)
    series = occurrence.series
    return {
        "town": town,
        "town_name": town.name,
        "site_url": town_absolute_url(town, "/"),
        "title": series.title,
        "description": series.description,
        "place": series.place,
        "day": format_day(start.date()),
        "short_day": format_short_day(start.date()),
        "start": format_clock(start.time()),
        "end": format_clock(end.time()),
        "cancel_reason": occurrence.cancel_reason,
    }


def _email(*, to: str, subject: str, template: str, context: dict[str, object]) -> EmailMultiAlternatives:
    text = render_to_string(f"onboarding/sessions/emails/{template}.txt", context)
    html = render_to_string(f"onboarding/sessions/emails/{template}.html", {**context, "subject": subject})
    town = context["town"]
    _name, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=re.sub(r"[\r\n]+", " ", subject),
        body=text,
        from_email=formataddr((str(context["town_name"]), sender)) if sender else None,
        to=[to],
        reply_to=[town.publisher_email] if isinstance(town, Town) and town.publisher_email else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def _sms_with_link(head: str, link: str) -> str:
    """``head`` then ``link`` in one GSM-7 SMS: the head is shortened, never the link."""
    head = to_gsm7(head)
    room = SINGLE_SMS_SEPTETS - gsm7_length(link) - 1
    while head and gsm7_length(head) > room:
        head = head[:-4].rstrip() + "..."
    return fit_single_sms(f"{head} {link}")


def invitation_message(invitation: SessionInvitation) -> EmailMultiAlternatives | str:
    """The invitation's e-mail, or its SMS text."""
    with translation.override("fr"):
        # An invitation to a series (no date chosen) tells its next open date; the page offers the others.
        occurrence = invitation.occurrence or open_occurrences_of(invitation.series).first()
        if occurrence is None:
            raise ValueError("the series has no upcoming date to invite to")
        context = occurrence_context(occurrence)
        context["link"] = invitation_url(invitation)
        context["merchant_name"] = invitation.prospect.merchant.name
        context["contact_name"] = invitation.prospect.contact_name
        if invitation.channel == "sms":
            head = _(
                "%(town)s vous invite à une réunion d’information le %(day)s à %(time)s, %(place)s. Inscription :"
            ) % {
                "town": context["town_name"],
                "day": context["short_day"],
                "time": context["start"],
                "place": context["place"],
            }
            return _sms_with_link(head, str(context["link"]))
        subject = _("%(town)s vous invite à une réunion d’information le %(day)s") % {
            "town": context["town_name"],
            "day": context["day"],
        }
        return _email(to=invitation.recipient, subject=subject, template="invitation", context=context)


def reminder_message(registration: SessionRegistration, *, channel: str, to: str) -> EmailMultiAlternatives | str:
    with translation.override("fr"):
        context = occurrence_context(registration.occurrence)
        context["merchant_name"] = registration.prospect.merchant.name
        if channel == "sms":
            text = _("Rappel %(town)s : réunion d’information demain %(day)s à %(time)s, %(place)s.") % {
                "town": context["town_name"],
                "day": context["short_day"],
                "time": context["start"],
                "place": context["place"],
            }
            return fit_single_sms(text)
        subject = _("Rappel : réunion d’information demain à %(time)s") % {"time": context["start"]}
        return _email(to=to, subject=subject, template="reminder", context=context)


def cancellation_message(registration: SessionRegistration, *, channel: str, to: str) -> EmailMultiAlternatives | str:
    with translation.override("fr"):
        context = occurrence_context(registration.occurrence)
        context["merchant_name"] = registration.prospect.merchant.name
        if channel == "sms":
            text = _(
                "%(town)s : la réunion d’information du %(day)s à %(time)s est annulée. Nous vous proposerons une autre date."
            ) % {
                "town": context["town_name"],
                "day": context["short_day"],
                "time": context["start"],
            }
            return fit_single_sms(text)
        subject = _("Réunion d’information du %(day)s annulée") % {"day": context["day"]}
        return _email(to=to, subject=subject, template="cancellation", context=context)
