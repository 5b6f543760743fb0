"""Connect mode payouts (docs/money.md §8): the régie's batches and lines, paid by one
Stripe payout per line on the merchant's connected account (manual payouts, on the town's schedule).

Same state machine and entries as the régie (runs, returns); only the account outside payout_in_transit
changes — the merchant's Stripe balance instead of the treasury:

| event                               | source / external_id      | debit                          | credit                         |
|-------------------------------------|---------------------------|--------------------------------|--------------------------------|
| batch prepared / cancelled          | as the régie              |                                |                                |
| ``payout.paid``                     | payout_executed / line id | payout_in_transit              | connect_transferred:<merchant> |
| ``payout.failed`` (or refused when  | payout_returned / line id | payout_in_transit (or, after   | merchant available (re-credit; |
| made, not retryable)                |                           | paid, connect_transferred)     | merchant blocked)              |

A failed payout's money goes back to the merchant's Stripe balance (still on
connect_transferred), so the next run pays it again once the town lifts the block.

Keys: ``idempotency_key("payout", schema, line id)`` — a retry of a line, after a crash or a
timeout, replays Stripe's stored payout. A payout refused for a passing reason (no answer, funds
still pending at Stripe: ``balance_insufficient``) leaves the line pending with the refusal shown,
and the periodic task tries again: with the same key after no answer, with the attempt number
added after ``balance_insufficient`` — Stripe stores that refusal under its key and would replay it.

Webhooks: ``payout.*`` events come from a merchant's connected account to the platform's single
endpoint (config.webhooks, public schema), which hands them to the collectors
(``collectors.handle_payout_event``); the Connect collector calls ``apply_payout_event_in_towns``. The
town is found among the towns in Connect mode — one query over their schemas for a payout line
with that payout id and connected-account snapshot (``towns_with_payout``), so a merchant whose
account changed since still gets the outcome — and there the event acts only on that line: ids
that only Stripe's answers to our own calls put there. Metadata is never
trusted. Each event id is recorded once with its effect (payments' WebhookEvent). The lookup is
one indexed probe per Connect town; with thousands of such towns, replace it by a routing table
in the public schema filled when a payout is sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import tenant_context

from payments.gateways import GatewayError, get_gateway, idempotency_key
from payments.gateways.base import GatewayEvent
from payments.webhooks import record_event, record_outcome
from settlement.payouts.guards import lock_town_payouts, locked_batch
from settlement.payouts.models import EXPORTED_STATES, PayoutBatch, PayoutLine, PayoutLineStatus
from settlement.payouts.returns import execute_line, refresh_batch_state, return_line
from tenants.current import current_town
from tenants.models import Town

logger = logging.getLogger(__name__)

# Stripe's payout failure codes, in the words the town shows the merchant.
_FAILURE_REASONS = {
    "account_closed": gettext_lazy("le compte bancaire est clôturé"),
    "account_frozen": gettext_lazy("le compte bancaire est gelé"),
    "bank_account_restricted": gettext_lazy("le compte bancaire refuse ce type de virement"),
    "bank_ownership_changed": gettext_lazy("le titulaire du compte bancaire a changé"),
    "could_not_process": gettext_lazy("la banque n’a pas pu traiter le versement"),
    "debit_not_authorized": gettext_lazy("la banque a refusé le versement"),
    "declined": gettext_lazy("la banque a refusé le versement"),
    "insufficient_funds": gettext_lazy("le solde Stripe du commerçant est insuffisant"),
    "invalid_account_number": gettext_lazy("le numéro de compte bancaire est invalide"),
    "no_account": gettext_lazy("le compte bancaire est introuvable"),
    "unsupported_card": gettext_lazy("la carte de versement n’est pas acceptée"),
}


def payout_key(*, schema: str, line_id: int, attempt: int = 0) -> str:
    """(schema, line id); an attempt number is added only after Stripe refused for certain."""
    if attempt:
        return idempotency_key("payout", schema, line_id, attempt)
    return idempotency_key("payout", schema, line_id)


def send_line_payout(*, line_id: int, now: dt.datetime | None = None) -> PayoutLine:
    """Makes the Stripe payout of one exported line on the merchant's connected account, once.

    A refusal that will not pass (account unusable) returns the line at once — re-credit and block,
    as a returned transfer; a passing one (no answer, funds not yet available) leaves it pending for
    the periodic task, which sends the same key.
    """
    now = now or timezone.now()
    town = current_town()
    with transaction.atomic():
        lock_town_payouts()
        line = PayoutLine.objects.select_for_update().select_related("batch").get(pk=line_id)
        if (
            line.stripe_payout_id
            or not line.stripe_account_id
            or line.status != PayoutLineStatus.PENDING
            or line.batch.state not in EXPORTED_STATES
        ):
            return line
        try:
            result = get_gateway(town).create_payout(
                account_id=line.stripe_account_id,
                amount_cents=line.amount_cents,
                currency="eur",
                idempotency_key=payout_key(schema=town.schema_name, line_id=line.pk, attempt=line.payout_attempt),
                metadata={"town": town.schema_name, "payout_line": str(line.pk), "batch": line.batch.reference},
            )
        except GatewayError as error:
            if error.is_retryable or error.code == "balance_insufficient":
                logger.warning("payout of line %s in %s postponed: %s", line.pk, town.schema_name, error.code)
                line.payout_error = error.message[:300]
                if not error.is_retryable:
                    # Refused for certain and stored under the key by Stripe: the next try needs a new key.
                    line.payout_attempt += 1
                line.save(update_fields=["payout_error", "payout_attempt"])
                return line
            logger.warning("payout of line %s in %s refused: %s", line.pk, town.schema_name, error.code)
            line.payout_error = error.message[:300]
            line.save(update_fields=["payout_error"])
            return_line(line, code=error.code, reason=error.message, when=now)
            refresh_batch_state(locked_batch(line.batch), now)
            return line
        line.stripe_payout_id = result.id
        line.payout_error = ""
        line.save(update_fields=["stripe_payout_id", "payout_error"])
        if result.status == "paid":  # the demonstration gateway pays at once; Stripe says so by webhook
            execute_line(line, now)
            refresh_batch_state(locked_batch(line.batch), now)
    return line


def _lines_to_send(batch: PayoutBatch | None = None) -> list[int]:
    lines = PayoutLine.objects.filter(
        status=PayoutLineStatus.PENDING, stripe_payout_id="", batch__state__in=EXPORTED_STATES
    ).exclude(stripe_account_id="")
    if batch is not None:
        lines = lines.filter(batch=batch)
    return list(lines.order_by("pk").values_list("pk", flat=True))


def send_batch_payouts(*, batch: PayoutBatch) -> int:
    """Makes the payout of every line of an exported batch not sent yet; returns how many were made."""
    return sum(bool(send_line_payout(line_id=line_id).stripe_payout_id) for line_id in _lines_to_send(batch))


def send_pending_payouts() -> int:
    """The periodic catch-up: lines of exported batches whose payout was postponed or never sent."""
    return sum(bool(send_line_payout(line_id=line_id).stripe_payout_id) for line_id in _lines_to_send())


# --- Webhooks -------------------------------------------------------------------------------------


def towns_with_payout(account_id: str, payout_id: str, *, among: Iterable[Town]) -> list[Town]:
    """The towns, among these, holding a payout line for this Stripe payout (normally one).

    The line's own snapshot of the connected account is what counts, not the merchant's current
    account: a merchant whose account changed after the payout still gets its outcome.
    """
    towns = {town.schema_name: town for town in among}
    if not towns or not payout_id:
        return []
    quote = connection.ops.quote_name
    # Schema names come from our Town rows and are quoted; the ids are parameters. The payout id is
    # under a unique index in each schema.
    probes = [
        f"SELECT %s FROM {quote(schema)}.settlement_payoutline WHERE stripe_payout_id = %s AND stripe_account_id = %s"  # noqa: S608
        for schema in sorted(towns)
    ]
    params: list[str] = []
    for schema in sorted(towns):
        params += [schema, payout_id, account_id]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(probes), params)
        return [towns[schema] for (schema,) in cursor.fetchall()]


def _failure_reason(code: str | None) -> str:
    return str(_FAILURE_REASONS.get(code or "", _("le versement a été refusé par la banque du commerçant")))


def apply_payout_event(*, event: GatewayEvent) -> str | None:
    """Acts on a payout event in the current town, once; None when no line of this town has that payout."""
    when = dt.datetime.fromtimestamp(event.created, tz=dt.UTC)
    with transaction.atomic():
        lock_town_payouts()
        line = (
            PayoutLine.objects.select_for_update()
            .select_related("batch")
            .filter(
                stripe_payout_id=event.object_id,
                stripe_account_id=event.account_id,
                batch__state__in=EXPORTED_STATES,
            )
            .first()
        )
        if line is None:
            return None
        record = record_event(event)
        if record is None:
            return "duplicate"
        if event.amount_cents != line.amount_cents:
            logger.error(
                "payout event %s: %s cents for line %s of %s", event.id, event.amount_cents, line.pk, line.amount_cents
            )
            outcome = "amount mismatch: ignored"
        elif event.type == "payout.paid":
            # A paid after a failed (late, out of order) changes nothing: failed is final at Stripe.
            if line.status == PayoutLineStatus.PENDING:
                execute_line(line, when)
                outcome = f"line {line.pk} executed"
            else:
                outcome = f"line {line.pk} already {line.status}"
        elif event.type == "payout.failed":
            # Stripe may report a failure days after "paid": the money came back to the Stripe balance.
            if line.status != PayoutLineStatus.RETURNED:
                return_line(line, code=event.failure_code or "", reason=_failure_reason(event.failure_code), when=when)
                outcome = f"line {line.pk} returned"
            else:
                outcome = f"line {line.pk} already returned"
        else:
            outcome = "recorded"
        refresh_batch_state(locked_batch(line.batch), timezone.now())
        record_outcome(record, outcome)
    return outcome


def apply_payout_event_in_towns(*, event: GatewayEvent, towns: Iterable[Town]) -> str | None:
    """Acts on a payout event in the town, among these, whose payout line it is; None when none is."""
    for town in towns_with_payout(event.account_id or "", event.object_id, among=towns):
        with tenant_context(town):
            outcome = apply_payout_event(event=event)
        if outcome is not None:
            return outcome
    return None
