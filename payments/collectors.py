"""Who collects the residents' money for the merchants (docs/architecture.md §4): one collector per town, chosen
once from ``Town.collector_mode``, behind one interface with an implementation per mode.

* **Régie** — the town is merchant of record: card payments are direct charges on the town's own
  Stripe account (a connected account of the operator's platform), the merchants are paid by SEPA
  credit-transfer files drawn on the town's treasury account, and returned transfers come back on
  its bank statements.
* **Connect** — the operator's platform collects through Stripe Connect: one PaymentIntent per order
  on the platform (separate charges and transfers, grouped by the order's transfer group), one
  transfer per released merchant order to the merchant's connected account, and manual payouts of
  those accounts on the town's schedule; a refund after the transfer takes the money back from the
  merchant's account when Stripe allows it.

``Collector`` lists every question whose answer depends on who collects. This app answers the charge
side (``RegieCharges``, ``ConnectCharges``). The rest needs settlement, above this app: settlement
extends these classes and registers one collector per mode from its ``AppConfig.ready()``
(``register``), so a question is asked of ``collector_for(town)`` and never of the mode. A new case
(vouchers, the operator's billing) adds a method here and an answer in each implementation.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from django.core.exceptions import ImproperlyConfigured

from tenants.current import current_town
from tenants.models import CollectorMode, PaymentGatewayKind, Town, TownQuerySet


@runtime_checkable
class Collector(Protocol):
    """Every answer that depends on who collects. The settlement side takes and returns settlement's
    objects (merchants' payout accounts, batches and lines, releases, refunds): typed loosely here,
    where those classes cannot be named."""

    # The Town.collector_mode value it serves.
    mode: CollectorMode
    # Its card payments live on the operator's platform, so their events carry no account.
    charges_on_platform: bool
    # What settlement's payout pages show and ask for this collector (labels, partial templates, forms).
    pages: Any

    # --- charges (payments) -----------------------------------------------------------------------

    def charge_account_id(self, town: Town) -> str | None:
        """The account card payments are made on; None for the platform's own."""
        ...

    def transfer_group(self, *, schema: str, order_id: int) -> str:
        """The group an order's payment and the transfers it funds share."""
        ...

    # --- who can be paid, and how (settlement) -----------------------------------------------------

    def payout_problem(self, account: Any) -> tuple[str, str] | None:
        """Why a merchant cannot be paid now (reason code, French detail), or None when they can."""
        ...

    def town_payout_problems(self, policy: Any) -> list[str]:
        """What the town must set before its payouts can run (French, shown to the town); empty when ready."""
        ...

    def payout_line(self, *, batch: Any, account: Any, amount_cents: int) -> Any:
        """The (unsaved) line paying a merchant in a batch, with their payee as it is now."""
        ...

    def prepare_export(self, *, batch: Any, lines: list[Any], town: Town, now: Any) -> None:
        """Inside the export's transaction, before the batch is frozen: what leaves with it."""
        ...

    def execute_export(self, *, batch: Any) -> Any:
        """After the export committed: the payouts made where the collector makes them; the batch."""
        ...

    def paid_from(self, merchant_id: int) -> str:
        """The ledger account an executed payout to this merchant left."""
        ...

    def return_blocked_reason(self, details: dict[str, str]) -> str:
        """Why a merchant whose payout came back is blocked (French; reference, date and reason given)."""
        ...

    def apply_payout_event(self, *, event: Any) -> str | None:
        """Acts on a gateway's payout event if it is one of this collector's payouts; None when not."""
        ...

    # --- money already with the merchant (settlement) ----------------------------------------------

    def after_release(self, *, release: Any, merchant_order: Any) -> None:
        """In the release's transaction: what moves the released money towards the merchant."""
        ...

    def after_refund_of_released(self, *, refund: Any, merchant_order: Any) -> None:
        """In the refund posting's transaction, for a refund of money already released to the merchant."""
        ...

    # --- merchants' bank details (settlement) -------------------------------------------------------

    def bank_details_initial(self, merchant: Any, account: Any) -> dict[str, Any]:
        """What the bank details form starts with (never a full IBAN)."""
        ...

    def save_bank_details(self, *, merchant: Any, actor: Any, data: dict[str, Any]) -> None:
        """Records the details the town or the merchant gave (PayoutError, ValidationError if refused)."""
        ...


class Charges:
    """The charge side both modes share."""

    def transfer_group(self, *, schema: str, order_id: int) -> str:
        return f"order-{schema}-{order_id}"


class RegieCharges(Charges):
    """Régie: direct charges on the town's own connected account (the town is merchant of record)."""

    mode = CollectorMode.REGIE
    charges_on_platform = False

    def charge_account_id(self, town: Town) -> str | None:
        if town.payment_gateway == PaymentGatewayKind.TEST:
            # Scopes demo intents per town even though no real account exists.
            return f"testacct_{town.schema_name}"
        if not town.stripe_account_id:
            raise ImproperlyConfigured(f"Town {town.slug!r} collects through a régie but has no Stripe account id.")
        return town.stripe_account_id


class ConnectCharges(Charges):
    """Connect: charges on the operator's platform, then one transfer per merchant."""

    mode = CollectorMode.CONNECT
    charges_on_platform = True

    def charge_account_id(self, town: Town) -> str | None:
        return None


_COLLECTORS: dict[str, Collector] = {}


def register(collector: Collector) -> None:
    """Makes ``collector`` the one of towns in its mode (settlement's AppConfig.ready() registers both)."""
    if not isinstance(collector, Collector):
        raise TypeError(f"{collector!r} does not implement payments.collectors.Collector")
    _COLLECTORS[collector.mode] = collector


def collector_by_mode(mode: str) -> Collector:
    """The collector of a mode (a payout line keeps the mode it was made under)."""
    try:
        return _COLLECTORS[mode]
    except KeyError:
        raise ImproperlyConfigured(f"No collector is registered for the collector mode {mode!r}.") from None


def collector_for(town: Town) -> Collector:
    """The town's collector."""
    return collector_by_mode(town.collector_mode)


def current_collector() -> Collector:
    """The collector of the town whose schema is active."""
    return collector_for(current_town())


def collectors() -> list[Collector]:
    """Every registered collector, in registration order."""
    return list(_COLLECTORS.values())


def towns_of(collector: Collector) -> TownQuerySet:
    """The real towns this collector collects for."""
    return Town.objects.towns().filter(collector_mode=collector.mode)


def towns_charging_on_platform() -> TownQuerySet:
    """The real towns whose card payments live on the operator's platform."""
    modes = [collector.mode for collector in collectors() if collector.charges_on_platform]
    return Town.objects.towns().filter(collector_mode__in=modes)
