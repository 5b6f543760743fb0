"""Every change to the agreement: a town admin publishes a version; a merchant's staff accepts the
current one online; a town agent records a copy signed on paper.

Bound to what was shown: an acceptance names the version and the SHA-256 of the text the merchant
read. If the town published a newer version meanwhile, or the text changed under them (a new
commission, their own details), nothing is recorded and they are asked to read it again — an
acceptance always records exactly the current text the merchant saw.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, Role, User
from catalog.formatting import format_moment
from catalog.models import Merchant
from settlement.agreements import signals
from settlement.agreements.models import AcceptanceMethod, AgreementAcceptance, AgreementTemplate
from settlement.agreements.queries import ShownAgreement, current_version, may_accept_online, render_for
from settlement.agreements.rendering import unknown_fields
from settlement.agreements.scans import scan_kind
from tenants.current import current_town, town_local

MAX_TEXT_LENGTH = 60_000


def publish_agreement_version(*, actor: User, text: str) -> AgreementTemplate:
    """Publishes ``text`` as the town's next version; every merchant must then accept it before their
    next payout. Town admins only; merge fields must be known; the text must differ from the current one."""
    if not (actor.is_active and actor.role == Role.TOWN_ADMIN):
        raise ValidationError(_("Seul un administrateur de la ville publie une version de la convention."))
    text = text.replace("\r\n", "\n").strip() + "\n"
    if not text.strip():
        raise ValidationError(_("Le texte de la convention est vide."))
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(_("Le texte dépasse 60 000 caractères."))
    unknown = unknown_fields(text)
    if unknown:
        raise ValidationError(
            _("Champs inconnus : %(fields)s. Utilisez ceux de la liste.")
            % {"fields": ", ".join(f"{{{{ {name} }}}}" for name in unknown)}
        )
    with transaction.atomic():
        # Publications one at a time (readers are not blocked): two admins publishing at once get
        # numbers one after the other, each compared with the version the other just published.
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {AgreementTemplate._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        latest = AgreementTemplate.objects.order_by("-number").first()
        if latest is None:
            latest = current_version()
        if latest.text.strip() == text.strip():
            raise ValidationError(_("Ce texte est celui de la version en vigueur : rien à publier."))
        return AgreementTemplate.objects.create(number=latest.number + 1, text=text, published_by=actor)


def _check_shown(merchant: Merchant, version_id: int, shown_sha256: str) -> ShownAgreement:
    current = current_version()
    if current.pk != version_id:
        raise ValidationError(
            _(
                "Une nouvelle version de la convention (version %(number)d) a été publiée pendant votre "
                "lecture : lisez-la avant de l’accepter."
            )
            % {"number": current.number}
        )
    shown = render_for(current, merchant)
    if shown.sha256 != shown_sha256:
        raise ValidationError(
            _(
                "Le texte de la convention a changé pendant votre lecture (commission, calendrier ou "
                "coordonnées du commerce) : relisez-le avant de l’accepter."
            )
        )
    return shown


def accept_agreement_online(
    *,
    merchant: Merchant,
    actor: User,
    version_id: int,
    shown_sha256: str,
    signer_name: str,
    ip_address: str | None,
    user_agent: str = "",
) -> AgreementAcceptance:
    """Records the merchant's acceptance of the current version (a simple electronic signature) with
    a signed PDF; accepting a version already accepted returns the first acceptance, unchanged.

    Only the merchant's own staff: a town agent never accepts online on a merchant's behalf (they
    record a paper copy)."""
    if not may_accept_online(actor, merchant):
        raise ValidationError(
            _(
                "Seul le commerçant accepte la convention en ligne. Un agent de la ville enregistre "
                "une convention signée sur papier."
            )
        )
    signer_name = " ".join(signer_name.split())[:140]
    if not signer_name:
        raise ValidationError(_("Indiquez votre nom et prénom pour signer."))
    with transaction.atomic():
        # One acceptance at a time per merchant: a double click waits, then finds the first one.
        Merchant.objects.select_for_update().filter(pk=merchant.pk).values_list("pk").get()
        shown = _check_shown(merchant, version_id, shown_sha256)
        existing = AgreementAcceptance.objects.filter(merchant=merchant, version=shown.version).first()
        if existing is not None:
            return existing
        now = timezone.now()
        acceptance = AgreementAcceptance(
            merchant=merchant,
            version=shown.version,
            method=AcceptanceMethod.ONLINE,
            signer_name=signer_name,
            accepted_at=now,
            ip_address=ip_address or None,
            user_agent=user_agent[:400],
            rendered_text=shown.text,
            text_sha256=shown.sha256,
            recorded_by=actor,
        )
        pdf = signed_pdf(acceptance=acceptance, merchant=merchant, email=actor.email)
        acceptance.signed_pdf.save("convention.pdf", ContentFile(pdf), save=False)
        acceptance.save()
        _announce(merchant.pk, shown.version.number)
    return acceptance


def record_paper_agreement(
    *,
    merchant: Merchant,
    actor: User,
    version_id: int,
    shown_sha256: str,
    signer_name: str,
    signed_on: dt.date,
    scan: UploadedFile,
) -> AgreementAcceptance:
    """A town agent records that the merchant signed the current version on paper, with its scan
    (PDF, JPEG or PNG, told by content). Refused if the merchant already accepted that version."""
    if not (actor.is_active and actor.role in TOWN_STAFF_ROLES):
        raise ValidationError(_("Seuls les agents de la ville enregistrent une convention signée sur papier."))
    signer_name = " ".join(signer_name.split())[:140]
    if not signer_name:
        raise ValidationError(_("Indiquez le nom du signataire."))
    if signed_on > timezone.localdate():
        raise ValidationError(_("La date de signature ne peut pas être dans le futur."))
    kind = scan_kind(scan)
    with transaction.atomic():
        Merchant.objects.select_for_update().filter(pk=merchant.pk).values_list("pk").get()
        shown = _check_shown(merchant, version_id, shown_sha256)
        existing = AgreementAcceptance.objects.filter(merchant=merchant, version=shown.version).first()
        if existing is not None:
            raise ValidationError(
                _("%(name)s a déjà accepté la version %(number)d de la convention.")
                % {"name": merchant.name, "number": shown.version.number}
            )
        acceptance = AgreementAcceptance(
            merchant=merchant,
            version=shown.version,
            method=AcceptanceMethod.PAPER,
            signer_name=signer_name,
            accepted_at=timezone.now(),
            signed_on=signed_on,
            rendered_text=shown.text,
            text_sha256=shown.sha256,
            scan_content_type=kind.content_type,
            recorded_by=actor,
        )
        acceptance.scan.save(f"scan{kind.extension}", scan, save=False)
        acceptance.save()
        _announce(merchant.pk, shown.version.number)
    return acceptance


def _announce(merchant_id: int, number: int) -> None:
    transaction.on_commit(
        lambda: signals.agreement_accepted.send(sender=AgreementAcceptance, merchant_id=merchant_id, version=number)
    )


def announce_bank_details_saved(merchant_id: int) -> None:
    """Called inside the bank details actions' transactions: tells subscribers after commit."""
    transaction.on_commit(lambda: signals.bank_details_saved.send(sender=Merchant, merchant_id=merchant_id))


def signed_pdf(*, acceptance: AgreementAcceptance, merchant: Merchant, email: str) -> bytes:
    """The accepted text and its signature block (who, when, from where, the text's SHA-256), as a PDF."""
    from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s, only PDFs need it

    context = {
        "acceptance": acceptance,
        "merchant": merchant,
        "email": email,
        "town": current_town(),
        "moment": format_moment(town_local(acceptance.accepted_at)),
        "paragraphs": [part for part in acceptance.rendered_text.split("\n\n") if part.strip()],
    }
    with translation.override("fr"):
        html = render_to_string("settlement/agreements/signed_pdf.html", context)
    return bytes(HTML(string=html).write_pdf())
