"""Payments collected by the town: one PaymentIntent per order, gateway events, refunds.

The gateway's word is the truth, never the browser's: an order becomes paid only after the
PaymentIntent has been re-retrieved from the gateway (on the webhook, or on the browser return,
whichever comes first) and its amount and currency match the order.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from checkout import outbox
from checkout.actions import GATEWAY, Actor, cancel_unpaid_order, lock_order, mark_order_paid
from checkout.history import record_status_change
from checkout.models import (
    DISPUTE_FINAL_STATUSES,
    Dispute,
    DisputeStatus,
    MerchantOrder,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from checkout.notifications import queue_order_notifications
from payments.gateways import idempotency_key
from payments.gateways.base import GatewayError, GatewayEvent, PaymentIntentResult
from payments.means import card_of
from payments.webhooks import record_event, record_outcome
from tenants.current import current_town

logger = logging.getLogger(__name__)

_INTENT_STATUS = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
    "requires_payment_method": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,  # a new attempt after a refusal: waiting again
    "requires_action": PaymentStatus.PENDING,
}


def start_payment(*, order: Order) -> Payment:
    """The order's PaymentIntent, created once (same idempotency key on every retry, even after a crash)."""
    existing = Payment.objects.filter(order=order).first()
    if existing is not None:
        return existing
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_method != PaymentMethod.CARD:
        raise ValidationError(_("Cette commande n'attend pas de paiement."), code="state")
    town = current_town()
    card = card_of(town)
    try:
        intent = card.start(
            order_id=order.pk,
            amount_cents=order.total_cents,
            currency=order.currency.lower(),
            idempotency_key=idempotency_key("payment-intent", town.schema_name, order.pk, order.total_cents),
            metadata={"town": town.schema_name, "order": str(order.public_id), "order_number": order.number},
        )
    except GatewayError as error:
        raise ValidationError(error.message, code=error.code) from error
    try:
        with transaction.atomic():
            return Payment.objects.create(
                order=order,
                gateway=card.kind,
                intent_id=intent.id,
                client_secret=intent.client_secret,
                amount_cents=intent.amount_cents,
                currency=intent.currency.upper(),
            )
    except IntegrityError:  # two tabs opened the payment page at once: same intent, one row
        return Payment.objects.get(order=order)


def _apply_intent(payment: Payment, intent: PaymentIntentResult, actor: Actor, note: str) -> str:
    status = _INTENT_STATUS.get(intent.status)
    # "requires_payment_method" is both "not tried yet" and "tried and refused": a refusal already
    # recorded stays until another attempt moves the intent on.
    is_downgrade = intent.status == "requires_payment_method" and payment.status == PaymentStatus.FAILED
    if status and payment.status != status and payment.status != PaymentStatus.SUCCEEDED and not is_downgrade:
        Payment.objects.filter(pk=payment.pk).update(status=status)
    if intent.status == "succeeded":
        order = mark_order_paid(
            order_id=payment.order_id,
            amount_cents=intent.amount_cents,
            currency=intent.currency,
            actor=actor,
            note=note,
        )
        if order.status == OrderStatus.PAID:
            _record_fee(payment, intent)
        return f"order {order.pk} {order.status}"
    if intent.status == "canceled":
        order = cancel_unpaid_order(order_id=payment.order_id, actor=actor, reason=_("Paiement annulé."))
        return f"order {order.pk} {order.status}"
    return f"intent {intent.status}: nothing to do"


def _record_fee(payment: Payment, intent: PaymentIntentResult) -> None:
    # Emitted on every confirmation (webhook, browser return, replays): the ledger posts the fee once,
    # keyed by the balance transaction.
    if intent.fee_cents is None or not intent.balance_transaction_id:
        return
    # One transaction even on the browser-return path (which runs outside the webhook's): the fee
    # recorded on the payment and its event commit together.
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(
            fee_cents=intent.fee_cents, fee_balance_transaction_id=intent.balance_transaction_id
        )
        outbox.emit(
            outbox.PAYMENT_FEE_KNOWN,
            order_id=payment.order_id,
            fee_cents=intent.fee_cents,
            balance_transaction_id=intent.balance_transaction_id,
        )


def record_dispute(*, payment: Payment, event: GatewayEvent) -> str:
    """Marks the order disputed (a Dispute row, the order's status untouched) and announces each new
    status once; a decided dispute is never taken back by a late event carrying an earlier status."""
    if not event.dispute_id or not event.amount_cents or event.status not in DisputeStatus.values:
        logger.warning("dispute event %s (%s) without a usable dispute: ignored", event.id, event.type)
        return "dispute event without a dispute: ignored"
    lock_order(payment.order_id)
    dispute = Dispute.objects.select_for_update().filter(gateway_dispute_id=event.dispute_id).first()
    fee_cents = event.fee_cents or 0
    if dispute is None:
        dispute = Dispute.objects.create(
            order_id=payment.order_id,
            gateway_dispute_id=event.dispute_id,
            status=event.status,
            amount_cents=event.amount_cents,
            fee_cents=fee_cents,
            currency=(event.currency or "eur").upper(),
        )
    elif dispute.status in DISPUTE_FINAL_STATUSES or dispute.status == event.status:
        return f"dispute {dispute.gateway_dispute_id} {dispute.status}: unchanged"
    else:
        dispute.status = event.status
        dispute.amount_cents = event.amount_cents
        dispute.fee_cents = max(dispute.fee_cents, fee_cents)
        dispute.save(update_fields=["status", "amount_cents", "fee_cents", "updated_at"])
    outbox.emit(
        outbox.DISPUTE_CHANGED,
        order_id=dispute.order_id,
        dispute_id=dispute.gateway_dispute_id,
        status=dispute.status,
        amount_cents=dispute.amount_cents,
        fee_cents=dispute.fee_cents,
    )
    return f"dispute {dispute.gateway_dispute_id} {dispute.status}"


def confirm_payment_from_return(*, order: Order) -> Order:
    """The resident came back from the payment page: ask the gateway (the browser's word is not enough)."""
    payment = Payment.objects.filter(order=order).first()
    if payment is None or order.status != OrderStatus.PENDING_PAYMENT:
        return order
    town = current_town()
    try:
        intent = card_of(town).retrieve(payment_id=payment.intent_id)
    except GatewayError:
        logger.warning("payment return: could not retrieve intent %s", payment.intent_id)
        return order
    except ImproperlyConfigured:
        # The town's gateway setting broke after the payment started: the webhook still decides.
        logger.exception("payment return: town %s has no usable gateway", town.slug)
        return order
    _apply_intent(payment, intent, GATEWAY, _("Confirmé au retour du paiement"))
    order.refresh_from_db()
    return order


def holds_payment_intent(intent_id: str) -> bool:
    """Whether the current town's schema holds a payment with this intent: one we created and stored."""
    return Payment.objects.filter(intent_id=intent_id).exists()


def handle_gateway_event(*, event: GatewayEvent) -> str:
    """Acts on a verified event once: its id is stored in the same transaction as its effect."""
    town = current_town()
    with transaction.atomic():
        record = record_event(event)
        if record is None:
            return "duplicate"
        payment = Payment.objects.filter(intent_id=event.object_id).first()
        if payment is None:
            outcome = "unknown payment: ignored"
        elif event.type.startswith("payment_intent.") or event.type == "charge.succeeded":
            # Re-retrieve: events arrive late, twice or out of order; the intent's current state decides.
            intent = card_of(town).retrieve(payment_id=payment.intent_id)
            lock_order(payment.order_id)
            outcome = _apply_intent(payment, intent, GATEWAY, _("Confirmé par la banque"))
            if event.type == "payment_intent.payment_failed" and intent.status == "requires_payment_method":
                # The attempt was refused and nothing newer happened: the resident is told so, not
                # "waiting for the bank".
                Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(status=PaymentStatus.FAILED)
        elif event.type.startswith("charge.dispute."):
            outcome = record_dispute(payment=payment, event=event)
        else:
            outcome = "recorded"
        record_outcome(record, outcome)
    return outcome


# --- refunds --------------------------------------------------------------------------------------
def refund_amount(
    *,
    order: Order,
    merchant_order: MerchantOrder | None,
    amount_cents: int,
    reason: str,
    idempotency_parts: tuple[Any, ...],
    actor: Actor,
    is_delivery_fee: bool = False,
) -> Refund:
    """Refunds part of a paid order through the gateway, once per idempotency key. Caller holds the order lock."""
    town = current_town()
    key = idempotency_key("refund", town.schema_name, order.pk, *idempotency_parts)
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    order.refresh_from_db()
    if amount_cents <= 0:
        raise ValidationError(_("Le montant à rembourser doit être positif."), code="amount")
    if order.status != OrderStatus.PAID:
        raise ValidationError(_("Seule une commande payée peut être remboursée."), code="state")
    if amount_cents > order.total_cents - order.refunded_cents:
        raise ValidationError(_("Ce remboursement dépasse ce qui reste payé sur la commande."), code="amount")
    if merchant_order is not None:
        merchant_order.refresh_from_db()
        if amount_cents > merchant_order.items_total_cents - merchant_order.refunded_cents:
            raise ValidationError(_("Ce remboursement dépasse la part de ce commerçant."), code="amount")
    payment = Payment.objects.get(order=order)
    try:
        result = card_of(town).refund(
            payment_id=payment.intent_id,
            amount_cents=amount_cents,
            idempotency_key=key,
            metadata={"town": town.schema_name, "order": str(order.public_id)},
        )
    except GatewayError as error:
        raise ValidationError(error.message, code=error.code) from error
    refund = Refund.objects.create(
        order=order,
        merchant_order=merchant_order,
        amount_cents=amount_cents,
        reason=reason[:300],
        idempotency_key=key,
        gateway_refund_id=result.id,
        actor_id=actor.user_id,
        is_delivery_fee=is_delivery_fee,
    )
    Order.objects.filter(pk=order.pk).update(refunded_cents=F("refunded_cents") + amount_cents)
    if merchant_order is not None:
        MerchantOrder.objects.filter(pk=merchant_order.pk).update(refunded_cents=F("refunded_cents") + amount_cents)
    outbox.emit(outbox.ORDER_REFUNDED, order_id=order.pk, refund_id=refund.pk, amount_cents=amount_cents)
    return refund


def refund_merchant_order(
    *, merchant_order_id: int, amount_cents: int, reason: str, request_key: str, actor: Actor
) -> Refund:
    """A town agent refunds (part of) one merchant's share; the same form submitted twice refunds once."""
    with transaction.atomic():
        order_id = MerchantOrder.objects.values_list("order_id", flat=True).get(pk=merchant_order_id)
        order = lock_order(order_id)
        merchant_order = MerchantOrder.objects.get(pk=merchant_order_id)
        refund = refund_amount(
            order=order,
            merchant_order=merchant_order,
            amount_cents=amount_cents,
            reason=reason or _("Remboursement"),
            idempotency_parts=("staff", merchant_order_id, request_key),
            actor=actor,
        )
        merchant_order.refresh_from_db()
        if merchant_order.refunded_cents == merchant_order.items_total_cents and merchant_order.status != "refunded":
            previous = merchant_order.status
            merchant_order.status = "refunded"
            merchant_order.save(update_fields=["status"])
            record_status_change(
                order, "refunded", actor, merchant_order=merchant_order, from_status=previous, note=reason
            )
        queue_order_notifications(order=order, kind="order_refunded", merchant_order=merchant_order)
    return refund
