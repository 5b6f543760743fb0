"""The agents' daily digest: stalled businesses, the last 24 hours' moves and the counts per step.

Beat sends ``onboarding.send_daily_digest`` every half hour in every town (``tasks_pipeline``). From
``DIGEST_HOUR`` to ``DIGEST_LAST_HOUR`` in the town's clock, the first run of the day records the day
(``DigestSent``, unique per day: every later run that day, and a concurrent one, is a no-op) and sends
one e-mail to each active town admin and agent — the businesses they follow first — in the same
transaction: if the mail server refuses, the day is not recorded and the next run tries again.
Nothing is sent when the town turned the digest off, nor when nothing is stalled and nothing moved.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from checkout.notifications.content import branding
from onboarding.board import BOARD_STEPS, agent_name, days_at_step, onboarding_staff, stalled_condition
from onboarding.models import OnboardingSettings, Prospect, ProspectMove, Step
from onboarding.models_pipeline import DigestSent
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_local, town_zone

DIGEST_HOUR = 8
DIGEST_LAST_HOUR = 12
# Stalled businesses and moves listed in one e-mail; the pages have them all.
LISTED = 30


@dataclass(frozen=True)
class StalledLine:
    name: str
    step: str
    days: int
    agent_id: int | None
    agent: str
    url: str


@dataclass(frozen=True)
class MoveLine:
    name: str
    from_step: str
    to_step: str
    by: str
    at: str
    reason: str


@dataclass(frozen=True)
class DigestContent:
    stalled: list[StalledLine]
    moves: list[MoveLine]
    counts: list[tuple[str, int]]

    @property
    def is_empty(self) -> bool:
        return not self.stalled and not self.moves


def is_digest_time(now: dt.datetime) -> bool:
    """True between 8 h and noon in the town's clock."""
    return DIGEST_HOUR <= now.astimezone(town_zone()).hour < DIGEST_LAST_HOUR


def digest_content(*, now: dt.datetime, onboarding_settings: OnboardingSettings) -> DigestContent:
    """What the digest says today (four queries: stalled, moves, counts, and the town's address)."""
    town = current_town()
    prospect_url = reverse("onboarding:prospects")
    stalled_rows = (
        Prospect.objects.filter(stalled_condition(onboarding_settings, now))
        .select_related("merchant", "agent")
        .only(
            "id",
            "step",
            "step_changed_at",
            "agent_id",
            "merchant__name",
            "agent__email",
            "agent__first_name",
            "agent__last_name",
        )
        .order_by("step_changed_at", "pk")
    )
    today = now.astimezone(town_zone()).date()
    stalled = [
        StalledLine(
            name=prospect.merchant.name,
            step=str(Step(prospect.step).label),
            days=days_at_step(prospect, today),
            agent_id=prospect.agent_id,
            agent=agent_name(prospect.agent),
            url=town_absolute_url(town, f"{prospect_url}{prospect.pk}/"),
        )
        for prospect in stalled_rows
    ]
    move_rows = (
        ProspectMove.objects.filter(moved_at__gt=now - dt.timedelta(hours=24), moved_at__lte=now)
        .select_related("prospect__merchant", "moved_by")
        .only(
            "from_step",
            "to_step",
            "reason",
            "moved_at",
            "prospect__merchant__name",
            "moved_by__email",
            "moved_by__first_name",
            "moved_by__last_name",
        )
        .order_by("-moved_at", "-pk")
    )
    moves = [
        MoveLine(
            name=move.prospect.merchant.name,
            from_step=str(Step(move.from_step).label) if move.from_step else _("(inscription)"),
            to_step=str(Step(move.to_step).label),
            by=agent_name(move.moved_by) or _("la plateforme"),
            at=town_local(move.moved_at).strftime("%d/%m %H:%M"),
            reason=move.reason,
        )
        for move in move_rows
    ]
    counted = dict(Prospect.objects.order_by().values_list("step").annotate(n=Count("pk")).values_list("step", "n"))
    counts = [(str(step.label), counted.get(step.value, 0)) for step in BOARD_STEPS]
    return DigestContent(stalled=stalled, moves=moves, counts=counts)


def build_digest_email(
    *, content: DigestContent, recipient: User, day: dt.date, stalled_after_days: int
) -> EmailMultiAlternatives:
    """One recipient's digest: the businesses they follow first, in French, text and HTML."""
    town = current_town()
    with translation.override("fr"):
        mine = [line for line in content.stalled if line.agent_id == recipient.pk]
        others = [line for line in content.stalled if line.agent_id != recipient.pk]
        ordered = [*mine, *others]
        subject = _("Accompagnement des commerçants : le point du %(day)s") % {"day": day.strftime("%d/%m/%Y")}
        context = {
            **branding(town),
            "subject": subject,
            "recipient_name": agent_name(recipient),
            "stalled": ordered[:LISTED],
            "stalled_more": max(0, len(ordered) - LISTED),
            "stalled_count": len(ordered),
            "mine_count": len(mine),
            "stalled_after_days": stalled_after_days,
            "stalled_title": ngettext(
                "%(count)d commerce sans mouvement depuis %(days)d jours ou plus",
                "%(count)d commerces sans mouvement depuis %(days)d jours ou plus",
                len(ordered),
            )
            % {"count": len(ordered), "days": stalled_after_days},
            "moves": content.moves[:LISTED],
            "moves_more": max(0, len(content.moves) - LISTED),
            "counts": content.counts,
            "stalled_list_url": town_absolute_url(town, reverse("onboarding:prospects") + "?stalled=on"),
            "board_url": town_absolute_url(town, reverse("onboarding:board")),
        }
        text = render_to_string("onboarding/emails/digest.txt", context)
        html = render_to_string("onboarding/emails/digest.html", context)
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=re.sub(r"[\r\n]+", " ", subject),
        body=text,
        from_email=formataddr((str(context["town_name"]), address)) if address else None,
        to=[recipient.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def send_daily_digest(*, now: dt.datetime | None = None) -> int:
    """Sends today's digest to the town's active admins and agents, once a day; returns how many e-mails."""
    now = now or timezone.now()
    if not is_digest_time(now):
        return 0
    onboarding_settings = OnboardingSettings.current()
    if not onboarding_settings.send_daily_digest:
        return 0
    day = now.astimezone(town_zone()).date()
    if DigestSent.objects.filter(day=day).exists():
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = DigestSent.objects.create(day=day, sent_at=now)
        except IntegrityError:
            return 0  # a concurrent run took the day
        content = digest_content(now=now, onboarding_settings=onboarding_settings)
        record.stalled_count, record.moves_count = len(content.stalled), len(content.moves)
        recipients = [] if content.is_empty else list(onboarding_staff().exclude(email=""))
        emails = [
            build_digest_email(
                content=content, recipient=user, day=day, stalled_after_days=onboarding_settings.stalled_after_days
            )
            for user in recipients
        ]
        if emails:
            # An SMTP error rolls the day back: the next run of the morning tries again.
            get_connection(fail_silently=False).send_messages(emails)
        record.recipients = len(emails)
        record.save(update_fields=["stalled_count", "moves_count", "recipients"])
    return len(emails)
