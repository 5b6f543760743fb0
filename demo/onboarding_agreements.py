"""Demo agreements for `make run`: the town publishes its own version of the partnership agreement
(version 2: the default text with an article on click and collect and delivery), and every demo
merchant with bank details has the current version signed on paper, recorded by the town's admin
with a scan (a generated PNG) — so payouts run, and the « Convention » tab has something to show.

Everything goes through settlement's actions (``publish_agreement_version``, ``record_paper_agreement``).
Idempotent: version 2 is published once; a merchant who accepted the current version is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from catalog.models import Merchant
from settlement.agreements.actions import publish_agreement_version, record_paper_agreement
from settlement.agreements.default_text import DEFAULT_AGREEMENT_TEXT
from settlement.agreements.models import AgreementAcceptance
from settlement.agreements.queries import current_version, render_for
from settlement.payouts.models import MerchantPayoutAccount

TOWN_ARTICLE = """\
Article 8 — Retrait en boutique et livraison
Le Commerçant propose le retrait en boutique des commandes et, s'il le souhaite, leur livraison le jour même par le partenaire de la Ville ; les frais de livraison payés par l'acheteur reviennent à la Ville.
"""


@dataclass(frozen=True)
class DemoAgreements:
    version: int
    signed: int


def _scan_png(merchant: Merchant) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (620, 877), "white")  # A4 proportions
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "Convention de partenariat", fill="black")
    draw.text((40, 80), merchant.name[:60], fill="black")
    draw.text((40, 780), "Lu et approuvé — signature", fill="black")
    draw.line((40, 820, 300, 800), fill="navy", width=3)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile("scan.png", buffer.getvalue(), content_type="image/png")


def sign_demo_agreement(*, merchant: Merchant, actor: User) -> AgreementAcceptance:
    """The merchant's copy of the current version, signed on paper and recorded by ``actor`` (town staff)."""
    shown = render_for(current_version(), merchant)
    existing = AgreementAcceptance.objects.filter(merchant=merchant, version=shown.version).first()
    if existing is not None:
        return existing
    return record_paper_agreement(
        merchant=merchant,
        actor=actor,
        version_id=shown.version.pk,
        shown_sha256=shown.sha256,
        signer_name=f"Gérant·e de {merchant.name}"[:140],
        signed_on=timezone.localdate(),
        scan=_scan_png(merchant),
    )


def seed_demo_agreements(*, admin: User) -> DemoAgreements:
    """Version 2 published by ``admin`` (a town admin), and signed by every merchant with bank details."""
    if current_version().number < 2:
        publish_agreement_version(actor=admin, text=DEFAULT_AGREEMENT_TEXT.rstrip() + "\n\n" + TOWN_ARTICLE)
    signed = 0
    merchant_ids = MerchantPayoutAccount.objects.values("merchant_id")
    for merchant in Merchant.objects.filter(pk__in=merchant_ids).order_by("pk"):
        before = AgreementAcceptance.objects.filter(merchant=merchant).count()
        sign_demo_agreement(merchant=merchant, actor=admin)
        signed += AgreementAcceptance.objects.filter(merchant=merchant).count() - before
    return DemoAgreements(version=current_version().number, signed=signed)
