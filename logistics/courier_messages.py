"""Messages to a resident about what happened at their door (the courier app's failure path).

One e-mail and, for a French mobile number, one SMS, sent after the failure commits, each with the
signed link of ``logistics.rescheduling`` where the resident chooses a new day or collection at the
hub. Sent from the request that recorded the failure (a hung mail server costs that request
``EMAIL_TIMEOUT`` at most); a sending error is logged and never undoes the failure.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.sms import SINGLE_SMS_SEPTETS, SmsError, gsm7_length, normalise_french_mobile, send_sms, to_gsm7
from logistics.models import Delivery
from logistics.rescheduling import reschedule_url
from tenants.current import current_town

logger = logging.getLogger(__name__)


def _sms_text(town_name: str, reason: str, link: str) -> str:
    """One SMS whose link always arrives whole: the words shrink around it, never the link."""
    texts = (
        _("%(town)s : livraison impossible (%(reason)s). Vos colis sont au dépôt. Nouveau jour : %(link)s"),
        _("%(town)s : livraison impossible, colis au dépôt. Nouveau jour : %(link)s"),
        _("Livraison impossible, colis au dépôt. Nouveau jour : %(link)s"),
        "%(link)s",
    )
    for text in texts:
        candidate = to_gsm7(text % {"town": town_name, "reason": reason, "link": link})
        if gsm7_length(candidate) <= SINGLE_SMS_SEPTETS:
            return candidate
    return link


def tell_resident_delivery_failed(delivery: Delivery) -> None:
    """Queue, for after the caller's transaction commits, the e-mail and SMS about a failed delivery."""
    town = current_town()
    order = delivery.order
    context = {
        "town": town,
        "order": order,
        "delivery": delivery,
        "reason": delivery.get_failure_reason_display(),
        "link": reschedule_url(delivery, town),
    }
    subject = _("%(town)s : votre livraison n'a pas pu être faite") % {"town": town.name}
    body = render_to_string("logistics/resident/failed_email.txt", context)
    sms = _sms_text(town.name, str(context["reason"]), str(context["link"]))
    mobile = normalise_french_mobile(order.phone)

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [order.email])
        except Exception:  # the failure is recorded; a lost e-mail must not hide it
            logger.exception("delivery failure e-mail not sent", extra={"delivery_id": delivery.pk})
        if mobile:
            try:
                send_sms(to=mobile, text=sms)
            except SmsError:
                logger.exception("delivery failure SMS not sent", extra={"delivery_id": delivery.pk})

    transaction.on_commit(send)
