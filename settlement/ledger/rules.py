"""Posting rules (docs/money.md §4): one function per event, each one balanced entry keyed by the event.

| event                          | source / external_id             | debit                         | credit                        |
|--------------------------------|----------------------------------|-------------------------------|-------------------------------|
| card payment captured          | order_paid / order id            | psp_clearing total            | each merchant held, delivery  |
| PSP fee known                  | psp_fee / gateway's id           | psp_fees                      | psp_clearing                  |
| merchant order released        | release / merchant order id      | merchant held                 | merchant available, commission|
| …then, Connect towns only      | connect_transfer (see below)     | connect_transferred:<merchant>| psp_clearing                  |
| refund before release          | refund / refund id               | merchant held                 | psp_clearing                  |
| refund after release (payout)  | refund / refund id               | merchant available (may < 0)  | psp_clearing                  |
| refund not tied to a merchant  | refund / refund id               | suspense (for the town)       | psp_clearing                  |
| dispute opened                 | dispute_opened / dispute id      | merchant available, psp_fees  | psp_clearing                  |
| dispute won                    | dispute_won / dispute id         | psp_clearing                  | merchant available            |
| dispute lost, town bears it    | dispute_lost / dispute id        | dispute_losses                | merchant available            |
| refund after a Connect transfer| connect_transfer_reversal (below)| psp_clearing                  | connect_transferred:<merchant>|

The two Connect rows are posted by ``settlement.payouts.transfers`` (asked by the Connect collector), when
Stripe has made the transfer or its reversal.

A dispute is on the whole charge, not on a merchant: ``post_order_dispute`` splits its amount over the
order's parts in proportion to what each was paid — each merchant order's items total and, when
the order has one, the delivery fee (taken back from whoever the capture credited it to) — by
largest remainder (``allocate``), so the parts add up exactly to the disputed amount. The dispute
fee is the town's (psp_fees). A lost dispute stays with the merchants unless the town's policy
(``dispute_losses_borne_by_town``) takes it over.

Held vs available for a refund is decided under a lock on the merchant order row, the same lock the
release takes, so a refund and a release of one merchant order serialise; a release moves only the
share left after the refunds already posted, and any refund posted after it comes out of available.
A commission is taken once, at release, on what is released; it is not given back on a later refund.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from checkout.models import Dispute, DisputeStatus, MerchantOrder, Order, OrderStatus, Payment, PaymentMethod, Refund
from checkout.money import allocate
from payments.collectors import current_collector
from settlement.ledger.accounts import (
    COMMISSION,
    DELIVERY_FEES,
    DELIVERY_PARTNER_PAYABLE,
    DISPUTE_LOSSES,
    PSP_CLEARING,
    PSP_FEES,
    SUSPENSE,
    LedgerError,
    merchant_available,
    merchant_held,
)
from settlement.ledger.actions import post_entry
from settlement.ledger.models import DeliveryFeeRecipient, JournalEntry, Posting, Release, SettlementPolicy
from settlement.ledger.queries import entry_for

logger = logging.getLogger(__name__)

ORDER_PAID = "order_paid"
PSP_FEE = "psp_fee"
RELEASE = "release"
REFUND = "refund"
DISPUTE_OPENED = "dispute_opened"
DISPUTE_WON = "dispute_won"
DISPUTE_LOST = "dispute_lost"


def get_policy() -> SettlementPolicy:
    """The town's settlement policy, created with the defaults the first time it is read."""
    policy, _created = SettlementPolicy.objects.get_or_create(pk=1)
    return policy


def paid_orders() -> QuerySet[Order]:
    """Orders whose card payment was captured (the ledger must hold exactly one capture for each)."""
    return Order.objects.filter(payment_method=PaymentMethod.CARD).filter(
        Q(status=OrderStatus.PAID) | Q(paid_at__isnull=False)
    )


def post_payment_captured(*, order_id: int) -> JournalEntry | None:
    """Clearing debited with the order total; each merchant's share held; the delivery fee to its owner."""
    order = paid_orders().filter(pk=order_id).first()
    if order is None:
        raise LedgerError(f"order {order_id} is not a paid card order")
    lines: list[tuple[str, int]] = [(PSP_CLEARING, order.total_cents)]
    for merchant_order in MerchantOrder.objects.filter(order_id=order.pk).order_by("pk"):
        if merchant_order.items_total_cents:
            lines.append((merchant_held(merchant_order.merchant_id), -merchant_order.items_total_cents))
    if order.delivery_fee_cents:
        lines.append((_policy_delivery_fee_account(), -order.delivery_fee_cents))
    return post_entry(
        source=ORDER_PAID,
        external_id=str(order.pk),
        description=f"Paiement de la commande {order.number}",
        lines=lines,
    )


def post_psp_fee(*, order_id: int, fee_cents: int, external_id: str) -> JournalEntry | None:
    """The payment provider's fee on an order, borne by the town: expense debit, clearing credit."""
    if fee_cents <= 0:
        raise LedgerError("a PSP fee is a positive amount")
    return post_entry(
        source=PSP_FEE,
        external_id=external_id,
        description=f"Frais du prestataire, commande {order_id}",
        lines=[(PSP_FEES, fee_cents), (PSP_CLEARING, -fee_cents)],
    )


def post_payment_fee(*, order_id: int) -> JournalEntry | None:
    """The fee recorded on the order's payment, posted once per balance transaction; None if unknown."""
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None or not payment.fee_cents or not payment.fee_balance_transaction_id:
        return None
    return post_psp_fee(order_id=order_id, fee_cents=payment.fee_cents, external_id=payment.fee_balance_transaction_id)


def _lock_merchant_order(merchant_order_id: int) -> MerchantOrder:
    # NO KEY UPDATE: serialises our refund and release postings without blocking checkout's inserts
    # of rows pointing at the merchant order (a Refund takes a KEY SHARE lock on it).
    return MerchantOrder.objects.select_for_update(no_key=True).get(pk=merchant_order_id)


def post_refund(*, refund_id: int) -> JournalEntry | None:
    """Money back to the resident: out of held before release, out of available after (may go negative)."""
    refund = Refund.objects.get(pk=refund_id)
    if entry_for(REFUND, refund.pk) is not None:
        return None
    with transaction.atomic():
        if refund.is_delivery_fee:
            # Taken back from whoever the fee was credited to when the order was paid.
            debit = _delivery_fee_account_of(refund.order_id)
        elif refund.merchant_order_id is None:
            # Nobody's share named: parked for the town to assign rather than guessed.
            logger.warning("refund %s of order %s names no merchant: posted to suspense", refund.pk, refund.order_id)
            debit = SUSPENSE
        else:
            merchant_order = _lock_merchant_order(refund.merchant_order_id)
            is_released = Release.objects.filter(merchant_order_id=merchant_order.pk).exists()
            merchant_id = merchant_order.merchant_id
            debit = merchant_available(merchant_id) if is_released else merchant_held(merchant_id)
        entry = post_entry(
            source=REFUND,
            external_id=str(refund.pk),
            description=f"Remboursement {refund.pk} de la commande {refund.order_id}",
            lines=[(debit, refund.amount_cents), (PSP_CLEARING, -refund.amount_cents)],
        )
        if entry is not None and refund.merchant_order_id is not None and is_released:
            # What a refund of money already released sets off depends on who collects (Connect: the
            # merchant's share already sits on their Stripe balance, and is taken back).
            current_collector().after_refund_of_released(refund=refund, merchant_order=merchant_order)
        return entry


def _delivery_fee_account_of(order_id: int) -> str:
    """The account the order's payment credited with its delivery fee (the town's, or the partner's
    payable), so a policy changed since never takes the refund from the other one."""
    code = (
        Posting.objects.filter(
            entry__source=ORDER_PAID,
            entry__external_id=str(order_id),
            account__code__in=(DELIVERY_FEES, DELIVERY_PARTNER_PAYABLE),
        )
        .values_list("account__code", flat=True)
        .first()
    )
    if code is None:  # the payment is not posted yet: it will credit the account the policy names
        return _policy_delivery_fee_account()
    return code


def _policy_delivery_fee_account() -> str:
    """Where the town's settings send delivery fees: its own account, or the partner's payable."""
    recipient = get_policy().delivery_fee_recipient
    return DELIVERY_PARTNER_PAYABLE if recipient == DeliveryFeeRecipient.PARTNER else DELIVERY_FEES


def _posted_refunds_cents(merchant_order_id: int) -> int:
    refund_ids = [
        str(pk) for pk in Refund.objects.filter(merchant_order_id=merchant_order_id).values_list("pk", flat=True)
    ]
    if not refund_ids:
        return 0
    posted = JournalEntry.objects.filter(source=REFUND, external_id__in=refund_ids).values_list(
        "external_id", flat=True
    )
    total = Refund.objects.filter(pk__in=[int(pk) for pk in posted]).aggregate(total=Sum("amount_cents"))["total"]
    return total or 0


def commission_split(amount_cents: int, basis_points: int) -> tuple[int, int]:
    """(commission, merchant's part) of an amount, split by largest remainder so they add up exactly."""
    if amount_cents == 0:
        return 0, 0
    commission, merchant_part = allocate(amount_cents, [basis_points, 10_000 - basis_points])
    return commission, merchant_part


def release_merchant_order(*, merchant_order_id: int, now: dt.datetime | None = None) -> Release | None:
    """Held → available for one merchant order once the hold has run; None if not due or already released."""
    now = now or timezone.now()
    policy = get_policy()
    with transaction.atomic():
        merchant_order = _lock_merchant_order(merchant_order_id)
        if Release.objects.filter(merchant_order_id=merchant_order.pk).exists():
            return None
        if (
            merchant_order.handed_over_at is None
            or merchant_order.handed_over_at + dt.timedelta(days=policy.hold_days) > now
        ):
            return None
        # The share reaches held only with the capture: release nothing before it is posted.
        if entry_for(ORDER_PAID, merchant_order.order_id) is None:
            return None
        amount = merchant_order.items_total_cents - _posted_refunds_cents(merchant_order.pk)
        commission, merchant_part = commission_split(amount, policy.commission_basis_points)
        entry = None
        if amount:
            lines = [(merchant_held(merchant_order.merchant_id), amount)]
            if merchant_part:
                lines.append((merchant_available(merchant_order.merchant_id), -merchant_part))
            if commission:
                lines.append((COMMISSION, -commission))
            entry = post_entry(
                source=RELEASE,
                external_id=str(merchant_order.pk),
                description=f"Libération de la commande {merchant_order.order_id} ({merchant_order.merchant_name})",
                lines=lines,
            )
        release = Release.objects.create(
            merchant_order=merchant_order,
            merchant_id=merchant_order.merchant_id,
            amount_cents=amount,
            commission_cents=commission,
            entry=entry,
            released_at=now,
        )
        # Who collects decides what moves the money towards the merchant now (Connect: a transfer of
        # the net share to their connected account, after commit, from a row written here).
        current_collector().after_release(release=release, merchant_order=merchant_order)
        return release


def due_merchant_order_ids(now: dt.datetime) -> list[int]:
    """Merchant orders handed over at least hold_days ago, paid by card, not yet released."""
    cutoff = now - dt.timedelta(days=get_policy().hold_days)
    return list(
        MerchantOrder.objects.filter(
            handed_over_at__isnull=False,
            handed_over_at__lte=cutoff,
            order__payment_method=PaymentMethod.CARD,
            order__paid_at__isnull=False,
        )
        .exclude(Exists(Release.objects.filter(merchant_order_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def release_due_merchant_orders(now: dt.datetime | None = None) -> int:
    """Releases every merchant order whose hold has run (periodic task); returns how many were released."""
    now = now or timezone.now()
    released = 0
    for merchant_order_id in due_merchant_order_ids(now):
        released += release_merchant_order(merchant_order_id=merchant_order_id, now=now) is not None
    return released


def post_missing_entries() -> int:
    """Posts captures, refunds, fees and disputes still missing; returns how many. A safety net under
    checkout's outbox (which delivers each event until it is processed) for postings it never carried."""
    posted = 0
    captured = JournalEntry.objects.filter(source=ORDER_PAID, external_id=Cast(OuterRef("pk"), CharField()))
    for order_id in paid_orders().exclude(Exists(captured)).values_list("pk", flat=True):
        posted += post_payment_captured(order_id=order_id) is not None
    refunded = JournalEntry.objects.filter(source=REFUND, external_id=Cast(OuterRef("pk"), CharField()))
    for refund_id in Refund.objects.exclude(Exists(refunded)).order_by("pk").values_list("pk", flat=True):
        posted += post_refund(refund_id=refund_id) is not None
    fee_posted = JournalEntry.objects.filter(source=PSP_FEE, external_id=OuterRef("fee_balance_transaction_id"))
    unposted_fees = Payment.objects.filter(fee_cents__gt=0).exclude(fee_balance_transaction_id="")
    for order_id in unposted_fees.exclude(Exists(fee_posted)).order_by("pk").values_list("order_id", flat=True):
        posted += post_payment_fee(order_id=order_id) is not None
    for dispute_id in _disputes_missing_entries():
        posted += len(post_order_dispute(dispute_id=dispute_id))
    return posted


def _disputes_missing_entries() -> list[str]:
    def posted(source: str) -> Q:
        return Q(Exists(JournalEntry.objects.filter(source=source, external_id=OuterRef("gateway_dispute_id"))))

    missing = ~posted(DISPUTE_OPENED) | (Q(status=DisputeStatus.WON) & ~posted(DISPUTE_WON))
    if get_policy().dispute_losses_borne_by_town:
        missing |= Q(status=DisputeStatus.LOST) & ~posted(DISPUTE_LOST)
    return list(
        Dispute.objects.exclude(status__startswith="warning_")
        .filter(missing)
        .order_by("pk")
        .values_list("gateway_dispute_id", flat=True)
    )


# --- disputes (chargebacks): amounts come from the provider's dispute object -----------------------
Shares = list[tuple[str, int]]


def _merge(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    merged: dict[str, int] = {}
    for account, cents in lines:
        merged[account] = merged.get(account, 0) + cents
    return [(account, cents) for account, cents in merged.items() if cents]


def _post_opened(dispute_id: str, shares: Shares, amount_cents: int, fee_cents: int) -> JournalEntry | None:
    if amount_cents <= 0 or fee_cents < 0:
        raise LedgerError("a dispute has a positive amount and a non-negative fee")
    lines = [*[(account, cents) for account, cents in shares], (PSP_CLEARING, -(amount_cents + fee_cents))]
    if fee_cents:
        lines.append((PSP_FEES, fee_cents))
    return post_entry(
        source=DISPUTE_OPENED,
        external_id=dispute_id,
        description=f"Contestation {dispute_id} ouverte",
        lines=_merge(lines),
    )


def _post_won(dispute_id: str, shares: Shares, amount_cents: int) -> JournalEntry | None:
    if amount_cents <= 0:
        raise LedgerError("a dispute has a positive amount")
    lines = [(PSP_CLEARING, amount_cents), *[(account, -cents) for account, cents in shares]]
    return post_entry(
        source=DISPUTE_WON, external_id=dispute_id, description=f"Contestation {dispute_id} gagnée", lines=_merge(lines)
    )


def _post_lost(dispute_id: str, shares: Shares, amount_cents: int, is_borne_by_town: bool) -> JournalEntry | None:
    if amount_cents <= 0:
        raise LedgerError("a dispute has a positive amount")
    if not is_borne_by_town:
        return None
    lines = [(DISPUTE_LOSSES, amount_cents), *[(account, -cents) for account, cents in shares]]
    return post_entry(
        source=DISPUTE_LOST,
        external_id=dispute_id,
        description=f"Contestation {dispute_id} perdue, à la charge de la ville",
        lines=_merge(lines),
    )


def post_dispute_opened(
    *, dispute_id: str, merchant_id: int, amount_cents: int, fee_cents: int = 0
) -> JournalEntry | None:
    """The provider withdrew the disputed amount (and its fee): taken from the merchant's available balance."""
    return _post_opened(dispute_id, [(merchant_available(merchant_id), amount_cents)], amount_cents, fee_cents)


def post_dispute_won(*, dispute_id: str, merchant_id: int, amount_cents: int) -> JournalEntry | None:
    """The provider gave the disputed amount back: the merchant is re-credited (the fee stays lost)."""
    return _post_won(dispute_id, [(merchant_available(merchant_id), amount_cents)], amount_cents)


def post_dispute_lost(
    *, dispute_id: str, merchant_id: int, amount_cents: int, is_borne_by_town: bool
) -> JournalEntry | None:
    """A lost dispute: the merchant already bore it (nothing to post), or the town takes the loss over."""
    return _post_lost(dispute_id, [(merchant_available(merchant_id), amount_cents)], amount_cents, is_borne_by_town)


def dispute_shares(*, order: Order, amount_cents: int) -> Shares:
    """(account, cents) each part of the order bears of a disputed amount, in proportion to what it was
    paid (merchant orders' items, the delivery fee), by largest remainder: the parts sum to the amount."""
    accounts: list[str] = []
    weights: list[int] = []
    for merchant_id, items_cents in (
        MerchantOrder.objects.filter(order_id=order.pk).order_by("pk").values_list("merchant_id", "items_total_cents")
    ):
        if items_cents:
            accounts.append(merchant_available(merchant_id))
            weights.append(items_cents)
    if order.delivery_fee_cents:
        accounts.append(_policy_delivery_fee_account())
        weights.append(order.delivery_fee_cents)
    if not weights:
        raise LedgerError(f"order {order.pk} has nothing a dispute could be charged to")
    return list(zip(accounts, allocate(amount_cents, weights), strict=True))


def post_order_dispute(*, dispute_id: str) -> list[JournalEntry]:
    """Posts what the dispute's current status calls for, each step once and in order: opened (even
    when the decision arrived first), then won or lost; an inquiry (warning_*) moves no money."""
    dispute = Dispute.objects.select_related("order").get(gateway_dispute_id=dispute_id)
    if dispute.status.startswith("warning_"):
        return []
    shares = dispute_shares(order=dispute.order, amount_cents=dispute.amount_cents)
    with transaction.atomic():
        entries = [_post_opened(dispute_id, shares, dispute.amount_cents, dispute.fee_cents)]
        if dispute.status == DisputeStatus.WON:
            entries.append(_post_won(dispute_id, shares, dispute.amount_cents))
        elif dispute.status == DisputeStatus.LOST:
            is_borne_by_town = get_policy().dispute_losses_borne_by_town
            entries.append(_post_lost(dispute_id, shares, dispute.amount_cents, is_borne_by_town))
    return [entry for entry in entries if entry is not None]
