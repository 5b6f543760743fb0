"""Connect mode transfers (docs/architecture.md §4, mode 2; docs/money.md §8): one per released merchant order.

In a Connect town the residents pay the operator's platform (one PaymentIntent per order, transfer
group ``order-<schema>-<order id>``); when a merchant order is released, its net share (released
amount less the commission) is transferred to the merchant's connected account, funded by the
order's charge (``source_transaction``), so it succeeds even before the charge's funds are available.

Ledger (signed cents: positive debit, negative credit), keyed once by the transfer row:

| event            | source / external_id                | debit                              | credit        |
|------------------|-------------------------------------|------------------------------------|---------------|
| transfer made    | connect_transfer / ConnectTransfer id | connect_transferred:<merchant>   | psp_clearing  |

| refund after it | connect_transfer_reversal / ConnectTransferReversal id | psp_clearing | connect_transferred:<merchant> |

*available* is left alone: the merchant is owed the money until it reaches their bank, and the
payout run reads *available* exactly as in the régie. ``connect_transferred:<merchant>`` is where
the money sits meanwhile (the merchant's Stripe balance): the payout's ``payout.paid`` empties it
(see stripe_payouts). psp_clearing keeps matching the platform balance: captures in, transfers,
refunds and fees out, commissions and delivery fees left on it.

Refund after the transfer: the refund itself is posted as in the régie (merchant available debited,
psp_clearing credited: the resident's money left the platform balance), and the merchant's share is
taken back from their connected account with a transfer reversal of the refund — capped by what is
left of the transfer, since the merchant never received the commission. The reversal brings the
money back to the platform: psp_clearing debited, connect_transferred:<merchant> credited, so
connect_transferred again equals what the merchant is owed on *available*. When Stripe refuses
(the connected balance is too low, typically already paid out), nothing moves and nothing is
posted: the refund stays netted in the ledger (available may go negative and is taken from the
next payout), and the refusal is kept on the ConnectTransferReversal row. The reversal key is
(schema, refund id), so a replay or a retry after a timeout never reverses twice. A refund made
before the transfer was sent is not reversed (the transfer was sized at release): it is netted.

Reliability: the ConnectTransfer row is written (pending) in the release's transaction, and the
transfer is made after commit with a key derived from (schema, merchant order id). A refusal or
an unanswered call leaves the row failed and the periodic task retries it. After an unknown outcome
(no answer, 5xx, rate limit) the retry sends the same key, so Stripe replays what it did rather than
transferring twice. After a certain refusal (a 4xx: nothing was made) the key gets a generation
number, because Stripe would otherwise replay the stored refusal for 24 hours.
"""

from __future__ import annotations

import logging

from celery import Task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from checkout.models import MerchantOrder, Payment, Refund
from payments.collectors import collector_for
from payments.gateways import GatewayError, get_gateway, idempotency_key
from payments.means import card_of
from settlement.ledger.accounts import PSP_CLEARING, connect_transferred
from settlement.ledger.actions import post_entry
from settlement.ledger.models import Release
from settlement.ledger.queries import entry_for
from settlement.payouts.models import (
    ConnectReversalStatus,
    ConnectTransfer,
    ConnectTransferReversal,
    ConnectTransferStatus,
    MerchantPayoutAccount,
)
from settlement.tasks import send_connect_reversal_task, send_connect_transfer_task
from tenants.connection import connection
from tenants.current import current_town

logger = logging.getLogger(__name__)

CONNECT_TRANSFER = "connect_transfer"
CONNECT_TRANSFER_REVERSAL = "connect_transfer_reversal"


def transfer_key(*, schema: str, merchant_order_id: int, generation: int = 0) -> str:
    """(schema, merchant order id); a generation is added only after Stripe refused for certain."""
    if generation:
        return idempotency_key("transfer", schema, merchant_order_id, generation)
    return idempotency_key("transfer", schema, merchant_order_id)


def prepare_transfer(*, release: Release, merchant_order: MerchantOrder) -> ConnectTransfer | None:
    """Records (in the release's transaction) the transfer this release owes the merchant and queues it
    after commit; None when nothing net was released. Asked by the Connect collector (``after_release``)."""
    town = current_town()
    amount = release.amount_cents - release.commission_cents
    if amount <= 0:
        return None
    transfer = ConnectTransfer.objects.create(
        merchant_order=merchant_order,
        release=release,
        merchant_id=merchant_order.merchant_id,
        amount_cents=amount,
        currency=merchant_order.order.currency,
        idempotency_key=transfer_key(schema=town.schema_name, merchant_order_id=merchant_order.pk),
        transfer_group=collector_for(town).transfer_group(schema=town.schema_name, order_id=merchant_order.order_id),
    )
    schema, transfer_id = town.schema_name, transfer.pk
    transaction.on_commit(lambda: _queue(send_connect_transfer_task, schema, transfer_id))
    return transfer


def _queue(task: Task, schema: str, row_id: int) -> None:
    # After commit: an exception here would only turn the merchant's "handed over" (or the refund)
    # into an error page; the periodic task sends whatever was not sent.
    try:
        with schema_context(schema):
            task.apply_async(args=(row_id,))
    except Exception:
        logger.exception("%s(%s) in %s could not be queued, left to the periodic task", task.name, row_id, schema)


def _failed(transfer: ConnectTransfer, message: str, *, is_refused_for_certain: bool = False) -> ConnectTransfer:
    logger.warning(
        "connect transfer %s (merchant order %s) failed: %s", transfer.pk, transfer.merchant_order_id, message
    )
    transfer.status = ConnectTransferStatus.FAILED
    transfer.last_error = message[:300]
    if is_refused_for_certain:
        # Stripe answered no and made nothing: its stored refusal would be replayed under this key
        # even after the cause is fixed (capability enabled, funds back), so the next try gets a new one.
        transfer.key_generation += 1
        transfer.idempotency_key = transfer_key(
            schema=connection.schema_name,
            merchant_order_id=transfer.merchant_order_id,
            generation=transfer.key_generation,
        )
    transfer.save(
        update_fields=[
            "status",
            "last_error",
            "attempts",
            "destination_account_id",
            "source_transaction",
            "key_generation",
            "idempotency_key",
        ]
    )
    return transfer


def send_transfer(*, connect_transfer_id: int) -> ConnectTransfer:
    """Makes one merchant order's transfer and posts it, once: every attempt sends the same key, so
    a retry after a crash, a timeout or a refusal never transfers twice; a failure is recorded."""
    town = current_town()
    with transaction.atomic():
        # Locked through the call: two workers on one transfer wait for each other instead of racing.
        transfer = (
            ConnectTransfer.objects.select_for_update().select_related("merchant_order").get(pk=connect_transfer_id)
        )
        if transfer.status == ConnectTransferStatus.TRANSFERRED:
            return transfer
        transfer.attempts += 1
        account = MerchantPayoutAccount.objects.filter(merchant_id=transfer.merchant_id).first()
        if account is None or not account.stripe_account_id:
            return _failed(transfer, _("Le commerçant n’a pas encore de compte Stripe connecté."))
        transfer.destination_account_id = account.stripe_account_id
        payment = Payment.objects.filter(order_id=transfer.merchant_order.order_id).first()
        if payment is None:
            return _failed(transfer, _("Aucun paiement par carte n’est enregistré pour cette commande."))
        gateway = get_gateway(town)
        try:
            intent = card_of(town).retrieve(payment_id=payment.intent_id)
            if not intent.latest_charge_id:
                return _failed(transfer, _("Le paiement de la commande n’a pas encore été débité."))
            transfer.source_transaction = intent.latest_charge_id
            result = gateway.create_transfer(
                amount_cents=transfer.amount_cents,
                currency=transfer.currency.lower(),
                destination_account_id=transfer.destination_account_id,
                source_transaction=transfer.source_transaction,
                transfer_group=transfer.transfer_group,
                idempotency_key=transfer.idempotency_key,
            )
        except GatewayError as error:
            # Not retryable = Stripe answered with a refusal; retryable = outcome unknown, same key.
            return _failed(transfer, error.message, is_refused_for_certain=not error.is_retryable)
        if result.amount_cents != transfer.amount_cents:
            # Cannot happen with our key (Stripe refuses other parameters under it): never post it.
            logger.error("connect transfer %s: gateway answered %s cents", transfer.pk, result.amount_cents)
            return _failed(transfer, _("Le prestataire a répondu avec un autre montant."))
        transfer.entry = post_entry(
            source=CONNECT_TRANSFER,
            external_id=str(transfer.pk),
            description=f"Transfert Stripe {result.id}, commande {transfer.merchant_order.order_id}",
            lines=[
                (connect_transferred(transfer.merchant_id), transfer.amount_cents),
                (PSP_CLEARING, -transfer.amount_cents),
            ],
        ) or entry_for(CONNECT_TRANSFER, transfer.pk)
        transfer.transfer_id = result.id
        transfer.status = ConnectTransferStatus.TRANSFERRED
        transfer.transferred_at = timezone.now()
        transfer.last_error = ""
        transfer.save()
    return transfer


def send_pending_transfers() -> int:
    """Sends every transfer not made yet (queued and lost, refused, unanswered); returns how many went."""
    sent = 0
    pending = ConnectTransfer.objects.exclude(status=ConnectTransferStatus.TRANSFERRED).order_by("pk")
    for transfer_id in pending.values_list("pk", flat=True):
        sent += send_transfer(connect_transfer_id=transfer_id).status == ConnectTransferStatus.TRANSFERRED
    return sent


# --- refunds after the transfer: transfer reversals -------------------------------------------------
def reversal_key(*, schema: str, refund_id: int) -> str:
    return idempotency_key("transfer-reversal", schema, refund_id)


def prepare_reversal(*, refund: Refund, merchant_order: MerchantOrder) -> ConnectTransferReversal | None:
    """Records (in the refund posting's transaction) the reversal of the merchant's transfer this refund
    calls for and queues it after commit; None when there is nothing to take back. Asked by the Connect
    collector (``after_refund_of_released``)."""
    town = current_town()
    transfer = ConnectTransfer.objects.filter(
        merchant_order_id=merchant_order.pk, status=ConnectTransferStatus.TRANSFERRED
    ).first()
    if transfer is None:
        return None
    already = sum(
        transfer.reversals.exclude(status=ConnectReversalStatus.REFUSED).values_list("amount_cents", flat=True)
    )
    amount = min(refund.amount_cents, transfer.amount_cents - already)
    if amount <= 0:
        return None
    reversal = ConnectTransferReversal.objects.create(
        refund=refund,
        connect_transfer=transfer,
        merchant_id=transfer.merchant_id,
        amount_cents=amount,
        idempotency_key=reversal_key(schema=town.schema_name, refund_id=refund.pk),
    )
    schema, reversal_id = town.schema_name, reversal.pk
    transaction.on_commit(lambda: _queue(send_connect_reversal_task, schema, reversal_id))
    return reversal


def send_reversal(*, reversal_id: int) -> ConnectTransferReversal:
    """Reverses (part of) a merchant's transfer once and posts it; a refusal falls back to ledger
    netting and is recorded; an unanswered call is retried later with the same key."""
    town = current_town()
    with transaction.atomic():
        reversal = (
            ConnectTransferReversal.objects.select_for_update().select_related("connect_transfer").get(pk=reversal_id)
        )
        if reversal.status in (ConnectReversalStatus.REVERSED, ConnectReversalStatus.REFUSED):
            return reversal
        reversal.attempts += 1
        transfer = reversal.connect_transfer
        try:
            result = get_gateway(town).reverse_transfer(
                transfer_id=transfer.transfer_id or "",
                amount_cents=reversal.amount_cents,
                idempotency_key=reversal.idempotency_key,
            )
        except GatewayError as error:
            reversal.status = ConnectReversalStatus.FAILED if error.is_retryable else ConnectReversalStatus.REFUSED
            reversal.last_error = error.message[:300]
            logger.warning(
                "transfer reversal %s (refund %s) %s: %s", reversal.pk, reversal.refund_id, reversal.status, error
            )
            reversal.save(update_fields=["status", "last_error", "attempts"])
            return reversal
        if result.amount_cents != reversal.amount_cents:
            logger.error("transfer reversal %s: gateway answered %s cents", reversal.pk, result.amount_cents)
            reversal.status = ConnectReversalStatus.FAILED
            reversal.last_error = _("Le prestataire a répondu avec un autre montant.")
            reversal.save(update_fields=["status", "last_error", "attempts"])
            return reversal
        reversal.entry = post_entry(
            source=CONNECT_TRANSFER_REVERSAL,
            external_id=str(reversal.pk),
            description=f"Reprise {result.id} du transfert {transfer.transfer_id}, remboursement {reversal.refund_id}",
            lines=[
                (PSP_CLEARING, reversal.amount_cents),
                (connect_transferred(reversal.merchant_id), -reversal.amount_cents),
            ],
        ) or entry_for(CONNECT_TRANSFER_REVERSAL, reversal.pk)
        reversal.reversal_id = result.id
        reversal.status = ConnectReversalStatus.REVERSED
        reversal.reversed_at = timezone.now()
        reversal.last_error = ""
        reversal.save()
    return reversal


def send_pending_reversals() -> int:
    """Sends the reversals not answered yet (queued and lost, or unanswered); returns how many were made."""
    sent = 0
    pending = ConnectTransferReversal.objects.filter(
        status__in=(ConnectReversalStatus.PENDING, ConnectReversalStatus.FAILED)
    ).order_by("pk")
    for reversal_id in pending.values_list("pk", flat=True):
        sent += send_reversal(reversal_id=reversal_id).status == ConnectReversalStatus.REVERSED
    return sent
