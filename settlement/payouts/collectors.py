"""The collectors' settlement side (payments.collectors): who can be paid and why not, what a payout
line pays, how a batch is executed and a line returned, and what a release and a later refund set
off — one class per mode, registered from ``SettlementConfig.ready()``.

* ``RegieCollector`` — the town's régie pays each merchant's IBAN by SEPA credit transfer from its
  treasury account (a file per batch, executed by the bank, seen on its statements); the merchant's
  money stays in the treasury until then, and a refund after release is netted from the next payout.
* ``ConnectCollector`` — each released merchant order is transferred to the merchant's connected
  account (``transfers``), a refund after that takes it back when Stripe allows it, and a batch
  makes one Stripe payout per line of those accounts (``stripe_payouts``), executed or returned by
  Stripe's ``payout.*`` events.

Everything else — batches, lines, states, entries, the four eyes — is the same for both (``runs``,
``returns``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.models import Merchant
from checkout.models import MerchantOrder, Refund
from payments.collectors import ConnectCharges, RegieCharges, collectors, register, towns_of
from payments.gateways import GatewayEvent
from settlement.agreements.queries import agreement_problem
from settlement.ledger.accounts import BANK, connect_transferred
from settlement.ledger.models import Release, SettlementPolicy
from settlement.ledger.rules import get_policy
from settlement.payouts import sepa, stripe_payouts, transfers
from settlement.payouts.bank_details import save_connected_account, save_payout_account
from settlement.payouts.forms import ConnectedAccountForm, PayoutAccountForm
from settlement.payouts.guards import PayoutError
from settlement.payouts.iban import validate_iban
from settlement.payouts.models import MerchantPayoutAccount, PayoutBatch, PayoutBlockReason, PayoutLine
from settlement.payouts.treasury import treasury_problems
from tenants.current import town_zone
from tenants.models import Town

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PayoutPages:
    """What the payout pages show and ask for under a collector."""

    export_label: Promise
    # Said once a batch is exported (``%(reference)s``: the batch).
    exported_message: Promise
    # The town marks a batch's transfers executed itself (the bank executes the file; Stripe reports its payouts).
    marks_execution_by_hand: bool
    # Partial templates: a merchant's payee in the list of bank details, the top of their bank details page.
    payee_template: str
    bank_details_template: str
    bank_details_form: type[forms.Form]
    # Said once a merchant's details are saved (``%(name)s``: the merchant).
    bank_details_saved_message: Promise


def _line(batch: PayoutBatch, account: MerchantPayoutAccount, amount_cents: int, stripe_account_id: str) -> PayoutLine:
    return PayoutLine(
        stripe_account_id=stripe_account_id,
        batch=batch,
        merchant_id=account.merchant_id,
        amount_cents=amount_cents,
        holder_name=account.holder_name,
        iban=account.iban,
        bic=account.bic,
        street=account.street,
        building_number=account.building_number,
        postcode=account.postcode,
        town=account.town,
        country=account.country,
    )


class RegieCollector(RegieCharges):
    """The town's régie: SEPA credit transfers from its treasury account to each merchant's IBAN."""

    pages = PayoutPages(
        export_label=gettext_lazy("Produire le fichier SEPA"),
        exported_message=gettext_lazy("Le fichier SEPA du lot %(reference)s est prêt à télécharger."),
        marks_execution_by_hand=True,
        payee_template="settlement/payouts/collectors/regie_payee.html",
        bank_details_template="settlement/payouts/collectors/regie_bank_details.html",
        bank_details_form=PayoutAccountForm,
        bank_details_saved_message=gettext_lazy("Les coordonnées bancaires de %(name)s sont enregistrées."),
    )

    def payout_problem(self, account: MerchantPayoutAccount | None) -> tuple[str, str] | None:
        # A valid IBAN, a holder and the current version of the agreement ("pour compte de tiers") accepted.
        if account is None or not account.iban:
            return PayoutBlockReason.NO_ACCOUNT, _("Aucun IBAN n’a été enregistré.")
        try:
            validate_iban(account.iban)
        except ValidationError as error:
            return PayoutBlockReason.INVALID_IBAN, " ".join(error.messages)
        if not account.holder_name.strip():
            return PayoutBlockReason.NO_ACCOUNT, _("Le titulaire du compte n’est pas renseigné.")
        problem = agreement_problem(account)
        if problem is not None:
            return problem
        if account.is_blocked:
            return PayoutBlockReason.BLOCKED, account.blocked_reason
        return None

    def town_payout_problems(self, policy: SettlementPolicy) -> list[str]:
        return treasury_problems(policy)

    def payout_line(self, *, batch: PayoutBatch, account: MerchantPayoutAccount, amount_cents: int) -> PayoutLine:
        return _line(batch, account, amount_cents, stripe_account_id="")

    def prepare_export(self, *, batch: PayoutBatch, lines: list[PayoutLine], town: Town, now: dt.datetime) -> None:
        """Builds the batch's SEPA file (XSD-validated, totals re-read) onto it; PayoutError if it cannot be."""
        policy = get_policy()
        problems = treasury_problems(policy)
        if problems:
            raise PayoutError(problems)
        time_zone = town_zone(town)
        message_id = batch.reference
        remittance = f"{town.name} marketplace reversement {batch.reference}"
        # The file goes to the bank the day it is exported: ask for execution the next business day.
        execution_date = now.astimezone(time_zone).date() + dt.timedelta(days=1)
        transfer_batch = sepa.TransferBatch(
            message_id=message_id,
            payment_info_id=f"{message_id}-P",
            debtor=sepa.Debtor(
                name=policy.treasury_holder_name,
                iban=policy.treasury_iban,
                bic=policy.treasury_bic or None,
                address=sepa.PostalAddress(
                    street=policy.treasury_street,
                    building_number=policy.treasury_building_number,
                    postcode=policy.treasury_postcode,
                    town=policy.treasury_town,
                    country=policy.treasury_country or "FR",
                ),
            ),
            execution_date=execution_date,
            lines=[
                sepa.TransferLine(
                    end_to_end_id=line.end_to_end_id,
                    creditor_name=line.holder_name,
                    creditor_iban=line.iban,
                    creditor_bic=line.bic or None,
                    creditor_address=sepa.PostalAddress(
                        street=line.street,
                        building_number=line.building_number,
                        postcode=line.postcode,
                        town=line.town,
                        country=line.country or "FR",
                    )
                    if line.town
                    else None,
                    amount_cents=line.amount_cents,
                    remittance=remittance,
                )
                for line in lines
            ],
            version=policy.sepa_version,  # type: ignore[arg-type]
            created_at=now,
        )
        try:
            sepa_file = sepa.build_credit_transfer_file(transfer_batch)
        except sepa.SepaError as error:
            raise PayoutError(error.messages) from error
        batch.file_xml = sepa_file.xml
        batch.file_sha256 = sepa_file.sha256
        batch.message_id = sepa_file.message_id
        batch.payment_info_id = sepa_file.payment_info_id
        batch.sepa_version = sepa_file.version
        batch.execution_date = sepa_file.execution_date

    def execute_export(self, *, batch: PayoutBatch) -> PayoutBatch:
        # The town hands the file to its bank; the statement (or the town, by hand) says it was executed.
        return batch

    def paid_from(self, merchant_id: int) -> str:
        return BANK

    def return_blocked_reason(self, details: dict[str, str]) -> str:
        return _("Virement %(reference)s du %(date)s retourné : %(reason)s. Corrigez l’IBAN.") % details

    def apply_payout_event(self, *, event: GatewayEvent) -> str | None:
        # A régie's transfers come back on the treasury's bank statements, never as gateway events.
        return None

    def after_release(self, *, release: Release, merchant_order: MerchantOrder) -> None:
        # The released money stays in the treasury until the next payout run.
        return None

    def after_refund_of_released(self, *, refund: Refund, merchant_order: MerchantOrder) -> None:
        # Nothing left the treasury yet, or it did in a payout: either way the refund is netted from
        # the merchant's available balance, and so from their next payout.
        return None

    def bank_details_initial(self, merchant: Merchant, account: MerchantPayoutAccount | None) -> dict[str, Any]:
        if account is None:
            return {"holder_name": merchant.name, "postcode": merchant.postcode, "town": merchant.city, "country": "FR"}
        # The IBAN is never sent back to the browser: the field stays empty and must be retyped.
        return {
            "holder_name": account.holder_name,
            "bic": account.bic,
            "street": account.street,
            "building_number": account.building_number,
            "postcode": account.postcode,
            "town": account.town,
            "country": account.country,
        }

    def save_bank_details(self, *, merchant: Merchant, actor: User, data: dict[str, Any]) -> None:
        save_payout_account(
            merchant=merchant,
            actor=actor,
            holder_name=data["holder_name"],
            iban=data["iban"],
            bic=data["bic"] or "",
            street=data["street"],
            building_number=data["building_number"],
            postcode=data["postcode"],
            town=data["town"],
            country=data["country"],
        )


class ConnectCollector(ConnectCharges):
    """The operator through Stripe Connect: transfers to each merchant's connected account, then Stripe payouts."""

    pages = PayoutPages(
        export_label=gettext_lazy("Envoyer les versements Stripe"),
        exported_message=gettext_lazy("Les versements Stripe du lot %(reference)s sont envoyés."),
        marks_execution_by_hand=False,
        payee_template="settlement/payouts/collectors/connect_payee.html",
        bank_details_template="settlement/payouts/collectors/connect_bank_details.html",
        bank_details_form=ConnectedAccountForm,
        bank_details_saved_message=gettext_lazy("Le compte Stripe de %(name)s est enregistré."),
    )

    def payout_problem(self, account: MerchantPayoutAccount | None) -> tuple[str, str] | None:
        # Stripe holds the bank details and the merchant's agreement with the operator; the town's
        # partnership agreement (its commission, its schedule) is accepted as under a régie.
        if account is None or not account.stripe_account_id:
            return PayoutBlockReason.NO_CONNECTED_ACCOUNT, _("Aucun compte Stripe connecté n’a été enregistré.")
        problem = agreement_problem(account)
        if problem is not None:
            return problem
        if account.is_blocked:
            return PayoutBlockReason.BLOCKED, account.blocked_reason
        return None

    def town_payout_problems(self, policy: SettlementPolicy) -> list[str]:
        # Paid from the merchants' Stripe balances: no treasury account to set.
        return []

    def payout_line(self, *, batch: PayoutBatch, account: MerchantPayoutAccount, amount_cents: int) -> PayoutLine:
        return _line(batch, account, amount_cents, stripe_account_id=account.stripe_account_id or "")

    def prepare_export(self, *, batch: PayoutBatch, lines: list[PayoutLine], town: Town, now: dt.datetime) -> None:
        # No file: the payouts are made once the batch is frozen, today.
        batch.execution_date = now.astimezone(town_zone(town)).date()

    def execute_export(self, *, batch: PayoutBatch) -> PayoutBatch:
        # One Stripe payout per line, each in its own transaction with its own deterministic key; the
        # periodic task sends what the gateway refused for now or never answered.
        stripe_payouts.send_batch_payouts(batch=batch)
        batch.refresh_from_db()
        return batch

    def paid_from(self, merchant_id: int) -> str:
        # The payout leaves the merchant's Stripe balance, where the transfers put the money.
        return connect_transferred(merchant_id)

    def return_blocked_reason(self, details: dict[str, str]) -> str:
        return (
            _(
                "Versement Stripe %(reference)s du %(date)s en échec : %(reason)s. "
                "Le commerçant doit corriger son compte bancaire chez Stripe."
            )
            % details
        )

    def apply_payout_event(self, *, event: GatewayEvent) -> str | None:
        return stripe_payouts.apply_payout_event_in_towns(event=event, towns=towns_of(self))

    def after_release(self, *, release: Release, merchant_order: MerchantOrder) -> None:
        # The merchant's net share goes to their connected account (after commit, from a row written
        # here so that a gateway outage never loses it).
        transfers.prepare_transfer(release=release, merchant_order=merchant_order)

    def after_refund_of_released(self, *, refund: Refund, merchant_order: MerchantOrder) -> None:
        # The merchant's share already sits on their Stripe balance: take it back.
        transfers.prepare_reversal(refund=refund, merchant_order=merchant_order)

    def bank_details_initial(self, merchant: Merchant, account: MerchantPayoutAccount | None) -> dict[str, Any]:
        return {"stripe_account_id": account.stripe_account_id if account else ""}

    def save_bank_details(self, *, merchant: Merchant, actor: User, data: dict[str, Any]) -> None:
        save_connected_account(
            merchant=merchant, actor=actor, stripe_account_id=data["stripe_account_id"], lift_block=data["lift_block"]
        )


def handle_payout_event(*, event: GatewayEvent) -> str:
    """A verified payout event of a connected account (from ``config.webhooks``), applied by the
    collector whose payout it is; acknowledged and ignored when none is ours."""
    if not event.account_id:
        return "payout of the platform: ignored"
    for collector in collectors():
        outcome = collector.apply_payout_event(event=event)
        if outcome is not None:
            return outcome
    logger.warning("payout event %s (%s) of %s matches no payout line", event.id, event.type, event.account_id)
    return "unknown payout: ignored"


def register_collectors() -> None:
    """Called once from SettlementConfig.ready()."""
    register(RegieCollector())
    register(ConnectCollector())
