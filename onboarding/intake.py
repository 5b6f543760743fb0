"""New businesses in the pipeline, one at a time: typed by an agent (or picked from the company
directory) and applications from the town site's « Vendre sur … » page.

Either way the business becomes a draft catalogue merchant — made by catalog's own ``save_merchant``
(validation, slug, search vector) — and its prospect. A SIRET is followed once per town: the check and
the creation run under a transaction-level lock on that SIRET, so two requests at once cannot both
create it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.actions import save_merchant, set_merchant_categories
from catalog.models import Category, Merchant, MerchantKind, MerchantStatus
from onboarding.directory import Establishment
from onboarding.models import Application, DirectoryCheck, NafRule, Prospect, ProspectSource, Step
from onboarding.naf import classify_naf, normalise_naf
from onboarding.permissions import ONBOARDING_ROLES
from onboarding.pipeline import enrol_merchant, move_prospect
from tenants.actions import town_absolute_url
from tenants.current import current_town

MAX_NOTES = 5000


@dataclass(frozen=True)
class BusinessDetails:
    """What the catalogue merchant is made of: typed by a person or read from the directory."""

    name: str
    siret: str = ""
    address_line: str = ""
    postcode: str = ""
    city: str = ""
    insee_code: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    naf_code: str = ""
    # Used when there is no NAF code to file the business by (an application the directory could not check).
    kind: str = ""

    @classmethod
    def from_establishment(cls, establishment: Establishment) -> BusinessDetails:
        return cls(
            name=establishment.name,
            siret=establishment.siret,
            address_line=establishment.address_line,
            postcode=establishment.postcode,
            city=establishment.city,
            insee_code=establishment.insee_code,
            latitude=establishment.latitude,
            longitude=establishment.longitude,
            naf_code=establishment.naf_code,
        )


class AlreadyFollowed(Exception):
    """A merchant of the town already has this SIRET."""

    def __init__(self, merchant: Merchant) -> None:
        self.merchant = merchant
        super().__init__(f"SIRET {merchant.siret} is merchant {merchant.pk}")


def merchant_with_siret(siret: str) -> Merchant | None:
    """The town's merchant with this SIRET, if any (draft, live or paused)."""
    return Merchant.objects.filter(siret=siret).order_by("pk").first() if siret else None


def _lock_siret(siret: str) -> None:
    """Serialises, until the transaction ends, every request about this SIRET (in any town: harmless)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"onboarding-siret-{siret}"])


def _create_prospect(
    *, details: BusinessDetails, source: str, actor: User | None, contact_name: str, notes: str
) -> Prospect:
    naf_code = normalise_naf(details.naf_code)
    filing = classify_naf(naf_code) if naf_code else None
    merchant = save_merchant(
        merchant=Merchant(),
        name=details.name.strip(),
        siret=details.siret,
        status=MerchantStatus.DRAFT,
        kind=filing.kind if filing else (details.kind or MerchantKind.SHOP),
        address_line=details.address_line,
        postcode=details.postcode,
        city=details.city,
        insee_code=details.insee_code,
        latitude=details.latitude,
        longitude=details.longitude,
    )
    if filing and filing.category_id:
        set_merchant_categories(merchant=merchant, categories=Category.objects.filter(pk=filing.category_id))
    prospect = enrol_merchant(merchant=merchant, source=source, actor=actor)
    prospect.naf_code = naf_code
    prospect.contact_name = contact_name[:120]
    prospect.notes = notes[:MAX_NOTES]
    prospect.save(update_fields=["naf_code", "contact_name", "notes"])
    return prospect


def add_prospect(*, details: BusinessDetails, actor: User | None, contact_name: str = "", notes: str = "") -> Prospect:
    """A draft merchant and its prospect at « À contacter », typed by an agent (source: manual).

    Kind and category come from the NAF code (the town's rules first); raises ``AlreadyFollowed`` when a
    merchant of the town has the SIRET already, and creates nothing then.
    """
    with transaction.atomic():
        if details.siret:
            _lock_siret(details.siret)
            if (known := merchant_with_siret(details.siret)) is not None:
                raise AlreadyFollowed(known)
        return _create_prospect(
            details=details, source=ProspectSource.MANUAL, actor=actor, contact_name=contact_name, notes=notes
        )


@dataclass(frozen=True)
class ApplicationForm:
    """What the applicant typed on the public page."""

    siret: str
    business_name: str
    contact_name: str
    email: str
    phone: str
    kind: str
    message: str


def receive_application(*, application: ApplicationForm, establishment: Establishment | None) -> Application:
    """Records an application: a new draft merchant and prospect (source: application, « À contacter »), or,
    for a SIRET the town already follows, a note on its prospect (a declined one back to « À contacter »).

    ``establishment`` is the directory's answer for the SIRET; None when the directory could not be asked:
    the application is then marked « à vérifier ». The applicant is thanked and the town's agents told by
    e-mail once it is committed — the same e-mail whether the business was known or not.
    """
    check = DirectoryCheck.VERIFIED if establishment is not None else DirectoryCheck.TO_CHECK
    now = timezone.localtime()
    with translation.override("fr"):
        note = _("Candidature en ligne du %(date)s (%(who)s, %(email)s%(phone)s)%(check)s : %(message)s") % {
            "date": now.strftime("%d/%m/%Y %H:%M"),
            "who": application.contact_name,
            "email": application.email,
            "phone": f", {application.phone}" if application.phone else "",
            "check": "" if establishment else _(" — SIRET à vérifier, l’annuaire ne répondait pas"),
            "message": application.message or "—",
        }
    with transaction.atomic():
        _lock_siret(application.siret)
        known = merchant_with_siret(application.siret)
        if known is None:
            details = (
                BusinessDetails.from_establishment(establishment)
                if establishment is not None
                else BusinessDetails(name=application.business_name, siret=application.siret)
            )
            prospect = _create_prospect(
                details=replace(details, name=application.business_name, kind=application.kind),
                source=ProspectSource.APPLICATION,
                actor=None,
                contact_name=application.contact_name,
                notes=note,
            )
        else:
            prospect = enrol_merchant(merchant=known, source=ProspectSource.APPLICATION)
            prospect = Prospect.objects.select_for_update().get(pk=prospect.pk)
            prospect.notes = f"{prospect.notes}\n\n{note}".strip()[-MAX_NOTES:]
            prospect.contact_name = prospect.contact_name or application.contact_name[:120]
            prospect.save(update_fields=["notes", "contact_name"])
            if prospect.step == Step.DECLINED:
                prospect = move_prospect(prospect=prospect, to_step=Step.TO_CONTACT, actor=None)
        received = Application.objects.create(
            prospect=prospect,
            siret=application.siret,
            business_name=application.business_name,
            contact_name=application.contact_name,
            email=application.email,
            phone=application.phone,
            kind=application.kind,
            message=application.message,
            directory_check=check,
            created_prospect=known is None,
        )
        _send_application_emails(received)
    return received


def _send_application_emails(application: Application) -> None:
    """The applicant's acknowledgement and the agents' notice, rendered now, sent after commit."""
    town = current_town()
    _name, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    from_email = formataddr((town.name, sender)) if sender else None
    with translation.override("fr"):
        context = {
            "town_name": town.name,
            "application": application,
            "site_url": town_absolute_url(town, "/"),
            "prospect_url": town_absolute_url(
                town, reverse("backoffice:merchant_edit", kwargs={"merchant_slug": application.prospect.merchant.slug})
            ),
        }
        acknowledgement = EmailMessage(
            _("Votre candidature pour vendre sur la place de marché de %(town)s") % {"town": town.name},
            render_to_string("onboarding/emails/application_received.txt", context),
            from_email,
            [application.email],
            reply_to=[town.publisher_email] if town.publisher_email else None,
        )
        agents = list(
            User.objects.filter(role__in=ONBOARDING_ROLES, is_active=True)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)
        )
        notice = EmailMessage(
            _("Nouvelle candidature : %(name)s") % {"name": application.business_name},
            render_to_string("onboarding/emails/application_notice.txt", context),
            from_email,
            agents,
            reply_to=[application.email],
        )
    transaction.on_commit(acknowledgement.send, robust=True)
    if agents:
        transaction.on_commit(notice.send, robust=True)


def save_naf_rule(*, rule: NafRule) -> NafRule:
    """Creates or updates one of the town's NAF rules (the code normalised, unique per town)."""
    with transaction.atomic():
        rule.code = normalise_naf(rule.code)
        rule.full_clean()
        rule.save()
    return rule


def delete_naf_rule(*, rule: NafRule) -> None:
    """Removes a town rule: its businesses' codes fall back on the other rules and the platform's defaults."""
    with transaction.atomic():
        rule.delete()
