"""Who may see and act on payouts, and the reads behind the payout pages.

Batches, statements and the treasury are the town's business (admins and agents; the settings are
for admins only). Bank details are also open to a merchant's own staff, for their merchant only,
through ``catalog.queries.merchants_for``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import TOWN_STAFF_ROLES, Role, User
from catalog.models import Merchant
from catalog.queries import merchants_for
from settlement.payouts.models import (
    MerchantPayoutAccount,
    PayoutBatch,
    PayoutBlock,
    PayoutLine,
    PayoutLineStatus,
    StatementImport,
    StatementLine,
    StatementLineStatus,
)
from tenants.collation import by_name

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class PaidBefore(TypedDict):
    paid_before: bool


@dataclass(frozen=True)
class BatchFile:
    """An exported batch's transfer file, as downloaded."""

    reference: str
    xml: bytes
    sha256: str


def can_manage_payouts(user: User) -> bool:
    """Town admins and agents run, approve, export and reconcile payouts."""
    return bool(user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES)


def require_payouts_desk(user: User) -> None:
    if not can_manage_payouts(user):
        raise PermissionDenied


def require_payout_settings(user: User) -> None:
    """The treasury account and the schedule are set by a town admin only."""
    if not (user.is_authenticated and user.is_active and user.role == Role.TOWN_ADMIN):
        raise PermissionDenied


def can_edit_bank_details(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in (*TOWN_STAFF_ROLES, Role.MERCHANT_STAFF))


def require_bank_details(user: User) -> None:
    if not can_edit_bank_details(user):
        raise PermissionDenied


def batches_for(user: User) -> QuerySet[PayoutBatch]:
    require_payouts_desk(user)
    return PayoutBatch.objects.select_related("created_by", "approved_by", "exported_by").defer("file_xml")


def get_batch_for(user: User, batch_id: int) -> PayoutBatch:
    batch = batches_for(user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404(batch_id)
    return batch


def get_batch_file_for(user: User, batch_id: int) -> BatchFile:
    """The batch's transfer file, for the download (only once exported: the file and its digest are
    written together)."""
    require_payouts_desk(user)
    batch = PayoutBatch.objects.filter(pk=batch_id, file_sha256__gt="").first()
    if batch is None or batch.file_xml is None:
        raise Http404(batch_id)
    return BatchFile(reference=batch.reference, xml=bytes(batch.file_xml), sha256=batch.file_sha256)


def lines_of(batch: PayoutBatch) -> QuerySet[WithAnnotations[PayoutLine, PaidBefore]]:
    """The batch's lines, each with ``paid_before``: whether an earlier transfer to the same account
    (IBAN or connected account) was executed — a first payment to a new account is flagged to the
    approver, the classic "changement de RIB" fraud being a new account."""
    executed_before = PayoutLine.objects.filter(
        merchant=OuterRef("merchant"),
        iban=OuterRef("iban"),
        stripe_account_id=OuterRef("stripe_account_id"),
        status=PayoutLineStatus.EXECUTED,
    ).exclude(batch=OuterRef("batch"))
    return (
        batch.lines.select_related("merchant", "merchant__payout_account")
        .annotate(paid_before=Exists(executed_before))
        .order_by(*by_name("merchant__name"), "pk")
    )


def blocks_of(batch: PayoutBatch) -> QuerySet[PayoutBlock]:
    return batch.blocks.select_related("merchant").order_by(*by_name("merchant__name"), "pk")


def bank_details_overview(user: User) -> QuerySet[Merchant]:
    """The merchants whose bank details the user may edit, with their details, by name."""
    require_bank_details(user)
    return merchants_for(user).defer("search_vector").select_related("payout_account").order_by(*by_name(), "pk")


def payout_account_of(merchant: Merchant) -> MerchantPayoutAccount | None:
    return MerchantPayoutAccount.objects.filter(merchant=merchant).first()


def loaded_payout_account(merchant: Merchant) -> MerchantPayoutAccount | None:
    """The merchant's account as ``select_related("payout_account")`` loaded it; None when they have none."""
    try:
        return merchant.payout_account
    except MerchantPayoutAccount.DoesNotExist:
        return None


def statement_imports_for(user: User) -> QuerySet[StatementImport]:
    require_payouts_desk(user)
    return StatementImport.objects.select_related("imported_by")


def suspense_lines_for(user: User) -> QuerySet[StatementLine]:
    """Statement lines nothing was posted for: the town must work them to zero."""
    require_payouts_desk(user)
    return StatementLine.objects.filter(status=StatementLineStatus.UNMATCHED).order_by("-booking_date", "pk")


def names_of_users(user_ids: Iterable[int | None]) -> dict[int, str]:
    """E-mail addresses of the town users who did something, by id, in one query (a departed user
    keeps their id on the record and shows as such)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    found = dict(User.objects.filter(pk__in=wanted).values_list("pk", "email"))
    return {user_id: found.get(user_id, str(_("compte supprimé"))) for user_id in wanted}
