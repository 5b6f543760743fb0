"""The morning summary of orders a merchant has not accepted yet: e-mail, and SMS when the town sends them.

Beat sends ``checkout.send_waiting_orders_summaries`` every half hour in every town. Once the town's
clock has passed ``SUMMARY_HOUR`` (and until ``SUMMARY_LAST_HOUR``: a "good morning" summary at night
is noise), ``queue_waiting_orders_summaries`` records one ``WaitingOrdersSummary`` row per merchant with
orders still to accept — the unique (merchant, day) constraint makes every later run that day a no-op —
and hands each new row to a worker after commit. ``deliver_waiting_orders_summary`` sends a row's
e-mail and SMS under a row lock, marking each channel sent as it goes, so a retry never sends a channel
twice. A row left unsent (broker down, SMTP error) is handed over again by the next runs of the day, at
most ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.sms import fit_single_sms, normalise_french_mobile, send_sms
from catalog.formatting import format_clock, format_day, format_short_day
from catalog.models import Merchant
from checkout.models import MerchantOrder, MerchantOrderStatus, WaitingOrdersSummary
from checkout.notifications.content import branding
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_local, town_zone
from townsite.queries import site_settings

logger = logging.getLogger(__name__)

SUMMARY_HOUR = 8
SUMMARY_LAST_HOUR = 12
MAX_ATTEMPTS = 5
WAITING_STATUSES = (MerchantOrderStatus.PAID, MerchantOrderStatus.PLACED)


@dataclass(frozen=True)
class SummaryOutcome:
    status: str  # "sent", "failed" (retried by a later run), "skipped" (held by another worker), "already sent"


def is_summary_time(now: dt.datetime) -> bool:
    """True between 8 h and noon in the town's clock."""
    return SUMMARY_HOUR <= now.astimezone(town_zone()).hour < SUMMARY_LAST_HOUR


def queue_waiting_orders_summaries(*, now: dt.datetime | None = None) -> int:
    """Records today's summary for each merchant with orders waiting for acceptance, once a day, and
    sends them after commit (with the ones still unsent from earlier runs); returns how many it recorded."""
    now = now or timezone.now()
    if not is_summary_time(now):
        return 0
    day = now.astimezone(town_zone()).date()
    sends_sms = site_settings().sms_merchants_on_new_order
    already = WaitingOrdersSummary.objects.filter(day=day).values("merchant_id")
    waiting = list(
        MerchantOrder.objects.filter(status__in=WAITING_STATUSES)
        .exclude(merchant_id__in=already)
        .values("merchant_id")
        .annotate(count=Count("pk"), oldest=Min(Coalesce(F("paid_at"), F("order__created_at"))))
        .order_by("merchant_id")
    )
    recorded: list[int] = []
    merchants = Merchant.objects.in_bulk([row["merchant_id"] for row in waiting])
    for row in waiting:
        merchant = merchants[row["merchant_id"]]
        mobile = (normalise_french_mobile(merchant.phone) or "") if sends_sms else ""
        if not merchant.email and not mobile:
            continue  # nobody to tell; the town's desk lists these orders with the shop's phone
        try:
            with transaction.atomic():
                summary = WaitingOrdersSummary.objects.create(
                    merchant=merchant,
                    day=day,
                    waiting_count=row["count"],
                    oldest_waiting_since=row["oldest"],
                    email=merchant.email,
                    mobile=mobile,
                )
        except IntegrityError:
            continue  # a concurrent run recorded it first
        recorded.append(summary.pk)
    unsent = list(
        WaitingOrdersSummary.objects.filter(day=day, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .exclude(pk__in=recorded)
        .values_list("pk", flat=True)
    )
    if recorded or unsent:
        transaction.on_commit(partial(hand_over_summaries, [*recorded, *unsent]), robust=True)
    return len(recorded)


def hand_over_summaries(summary_ids: Sequence[int]) -> None:
    """One task per summary; a broker outage is logged and left to the next run of the day."""
    from checkout.tasks import send_waiting_orders_summary_task

    for summary_id in summary_ids:
        try:
            send_waiting_orders_summary_task.apply_async(args=(summary_id,))
        except Exception as error:  # kombu.OperationalError, ConnectionError…
            logger.warning("waiting-orders summary %s not queued (broker unavailable): %r", summary_id, error)


def deliver_waiting_orders_summary(*, summary_id: int) -> SummaryOutcome:
    """Sends a summary's e-mail and SMS, each at most once, recording the attempt whatever the outcome."""
    with transaction.atomic():
        summary = (
            WaitingOrdersSummary.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(pk=summary_id)
            .first()
        )
        if summary is None:
            return SummaryOutcome(status="skipped")
        if summary.sent_at is not None:
            return SummaryOutcome(status="already sent")
        summary.attempts += 1
        try:
            if summary.email and summary.email_sent_at is None:
                build_summary_email(summary).send(fail_silently=False)
                summary.email_sent_at = timezone.now()
            if summary.mobile and summary.sms_sent_at is None:
                send_sms(to=summary.mobile, text=build_summary_sms_text(summary))
                summary.sms_sent_at = timezone.now()
        except Exception as error:  # SMTP, HTTP: recorded; a later run of the day tries again.
            summary.last_error = f"{type(error).__name__}: {error}"[:500]
            summary.save(update_fields=["attempts", "last_error", "email_sent_at", "sms_sent_at"])
            logger.warning("waiting-orders summary %s attempt %s failed: %s", summary.pk, summary.attempts, error)
            return SummaryOutcome(status="failed")
        summary.sent_at, summary.last_error = timezone.now(), ""
        summary.save(update_fields=["attempts", "last_error", "email_sent_at", "sms_sent_at", "sent_at"])
        return SummaryOutcome(status="sent")


def summary_context(summary: WaitingOrdersSummary) -> dict[str, object]:
    """What the summary says, in French, its times in the town's clock through the one formatter."""
    town = current_town()
    oldest = town_local(summary.oldest_waiting_since, town)
    count = summary.waiting_count
    return {
        **branding(town),
        "merchant_name": summary.merchant.name,
        "count": count,
        "count_text": ngettext("%(count)d commande attend", "%(count)d commandes attendent", count) % {"count": count},
        "oldest_day": format_day(oldest.date()),
        "oldest_day_short": format_short_day(oldest.date()),
        "oldest_clock": format_clock(oldest.time()),
        "screen_url": town_absolute_url(town, reverse("merchant_orders:list", urlconf=settings.ROOT_URLCONF)),
    }


def build_summary_email(summary: WaitingOrdersSummary) -> EmailMultiAlternatives:
    with translation.override("fr"):
        context = summary_context(summary)
        subject = ngettext(
            "%(count)d commande attend que vous l'acceptiez",
            "%(count)d commandes attendent que vous les acceptiez",
            summary.waiting_count,
        ) % {"count": summary.waiting_count}
        text = render_to_string("checkout/emails/waiting_orders.txt", {**context, "subject": subject})
        html = render_to_string("checkout/emails/waiting_orders.html", {**context, "subject": subject})
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=re.sub(r"[\r\n]+", " ", subject),
        body=text,
        from_email=formataddr((str(context["town_name"]), address)) if address else None,
        to=[summary.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def build_summary_sms_text(summary: WaitingOrdersSummary) -> str:
    """One GSM-7 SMS (≤ 160 septets)."""
    with translation.override("fr"):
        text = render_to_string("checkout/sms/waiting_orders.txt", summary_context(summary))
    return fit_single_sms(text)
