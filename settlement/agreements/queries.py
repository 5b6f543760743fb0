"""Reads about the agreement: the town's current version, what a merchant is shown, whether they
accepted it (what payouts check), and who may see which acceptance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.assisted import acting_for
from accounts.models import TOWN_STAFF_ROLES, AnyUser, Role
from catalog.models import Merchant
from catalog.queries import merchants_for
from settlement.agreements.default_text import DEFAULT_AGREEMENT_TEXT
from settlement.agreements.models import AgreementAcceptance, AgreementTemplate
from settlement.agreements.rendering import fill_in, merge_values, text_digest
from settlement.ledger.rules import get_policy
from settlement.payouts.models import PayoutBlockReason
from tenants.current import current_town


@dataclass(frozen=True)
class ShownAgreement:
    """A version as one merchant reads it: merge fields filled in, and the digest their acceptance binds."""

    version: AgreementTemplate
    text: str
    sha256: str


def current_version() -> AgreementTemplate:
    """The town's current version: the highest number (version 1, the default text, when none)."""
    version = AgreementTemplate.objects.order_by("-number").first()
    if version is None:
        # Migration 0008 writes version 1 in every schema; this covers a schema emptied since.
        version, _created = AgreementTemplate.objects.get_or_create(number=1, defaults={"text": DEFAULT_AGREEMENT_TEXT})
    return version


def render_for(version: AgreementTemplate, merchant: Merchant) -> ShownAgreement:
    """``version`` filled in for ``merchant`` with the town's settlement policy as it is now."""
    values = merge_values(merchant=merchant, policy=get_policy(), town_name=current_town().name)
    text = fill_in(version.text, values)
    return ShownAgreement(version=version, text=text, sha256=text_digest(text))


class _PayoutAccount(Protocol):
    merchant_id: int


def note_agreements(accounts: Iterable[_PayoutAccount]) -> None:
    """Marks each loaded payout account with whether its merchant accepted the current version (and
    any version), so that checking many accounts (a payout run, a list) costs two queries, not one
    per merchant; none at all for no account."""
    accounts = list(accounts)
    if not accounts:
        return
    version = current_version()
    accepted: dict[int, set[int]] = {}
    for merchant_id, version_id in AgreementAcceptance.objects.filter(
        merchant_id__in={account.merchant_id for account in accounts}
    ).values_list("merchant_id", "version_id"):
        accepted.setdefault(merchant_id, set()).add(version_id)
    for account in accounts:
        versions = accepted.get(account.merchant_id, set())
        account.accepted_agreement = version.pk in versions  # type: ignore[attr-defined]
        account.accepted_an_agreement = bool(versions)  # type: ignore[attr-defined]
        account.agreement_number = version.number  # type: ignore[attr-defined]


def agreement_problem(account: _PayoutAccount) -> tuple[str, str] | None:
    """Why the merchant may not be paid for want of the agreement, or None once they accepted the
    current version: what both collectors' ``payout_problem`` check (one rule, one function)."""
    if not hasattr(account, "accepted_agreement"):
        note_agreements([account])
    if account.accepted_agreement:  # type: ignore[attr-defined]
        return None
    if account.accepted_an_agreement:  # type: ignore[attr-defined]
        detail = _("Une nouvelle version de la convention (version %(number)d) est à accepter.")
    else:
        detail = _("La convention de partenariat (version %(number)d) n’a pas été acceptée.")
    return PayoutBlockReason.NO_AGREEMENT, detail % {"number": account.agreement_number}  # type: ignore[attr-defined]


def acceptances_of(merchant: Merchant) -> QuerySet[AgreementAcceptance]:
    """The merchant's acceptances, newest first, with their version."""
    return AgreementAcceptance.objects.filter(merchant=merchant).select_related("version").order_by("-version__number")


def can_see_agreement_of(user: AnyUser, merchant: Merchant) -> bool:
    """Town admins and agents, and the merchant's own staff."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role in TOWN_STAFF_ROLES:
        return True
    return user.role == Role.MERCHANT_STAFF and merchants_for(user).filter(pk=merchant.pk).exists()


def may_accept_online(user: AnyUser, merchant: Merchant) -> bool:
    """Only the merchant's own staff, signed in as themselves: never a town agent, even one acting
    for the merchant in assisted mode (who wears the merchant staff role for the request)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role == Role.MERCHANT_STAFF
        and acting_for(user) is None
        and merchants_for(user).filter(pk=merchant.pk).exists()
    )


def get_merchant_agreement_for(user: AnyUser, merchant_slug: str) -> Merchant:
    """The merchant whose agreement the user may read; 404 for any other (no hint it exists)."""
    merchant = merchants_for(user).filter(slug=merchant_slug).first()
    if merchant is None or not can_see_agreement_of(user, merchant):
        raise Http404(merchant_slug)
    return merchant


def get_acceptance_for(user: AnyUser, merchant: Merchant, acceptance_id: int) -> AgreementAcceptance:
    if not can_see_agreement_of(user, merchant):
        raise Http404(acceptance_id)
    acceptance = acceptances_of(merchant).filter(pk=acceptance_id).first()
    if acceptance is None:
        raise Http404(acceptance_id)
    return acceptance


def versions_with_counts() -> QuerySet[AgreementTemplate]:
    return AgreementTemplate.objects.annotate(acceptance_count=Count("acceptances")).order_by("-number")


def sample_merchant() -> Merchant:
    """An unsaved merchant the staff page previews a text with."""
    town = current_town()
    return Merchant(
        name=_("Boulangerie Exemple"),
        siret="73282932000074",
        address_line=_("1 rue Royale"),
        postcode="62100",
        city=town.name,
    )


def preview(text: str) -> str:
    """``text`` filled in for the sample merchant under the town's settlement policy (nothing saved)."""
    values = merge_values(merchant=sample_merchant(), policy=get_policy(), town_name=current_town().name)
    return fill_in(text, values)


def merchants_with_agreement(merchants: QuerySet[Merchant]) -> QuerySet[Merchant]:
    """``merchants`` each with ``accepted_current`` (bool) and ``accepted_number`` (the highest version
    they accepted, or None), by name: the staff's overview, in one query."""
    version = current_version()
    latest = (
        AgreementAcceptance.objects.filter(merchant=OuterRef("pk"))
        .values("merchant")
        .annotate(number=Max("version__number"))
        .values("number")
    )
    return merchants.annotate(
        accepted_current=Exists(AgreementAcceptance.objects.filter(merchant=OuterRef("pk"), version=version)),
        accepted_number=Subquery(latest),
    )
