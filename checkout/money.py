"""Money arithmetic for orders: line totals, VAT per rate, largest-remainder splits (integer cents)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The delivery fee is a service of the town's partner, invoiced at the standard rate.
DELIVERY_VAT_RATE = 2000


def line_total_cents(*, unit_price_cents: int, quantity: Decimal) -> int:
    """Unit price × quantity, rounded half up to the cent (weighed goods: 0,350 kg × 24,90 €)."""
    return int((Decimal(unit_price_cents) * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class VatLine:
    rate: int  # basis points: 2000 = 20 %
    gross_cents: int  # TTC
    net_cents: int  # HT
    vat_cents: int


def vat_breakdown(amounts: Iterable[tuple[int, int]]) -> list[VatLine]:
    """Per-rate totals from (vat_rate, gross_cents) pairs; VAT computed once per rate, not per line."""
    totals: dict[int, int] = {}
    for rate, gross in amounts:
        totals[rate] = totals.get(rate, 0) + gross
    result = []
    for rate in sorted(totals, reverse=True):
        gross = totals[rate]
        net = int((Decimal(gross) * 10_000 / (10_000 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        result.append(VatLine(rate=rate, gross_cents=gross, net_cents=net, vat_cents=gross - net))
    return result


def allocate(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split `total_cents` in proportion to `weights` so the parts add up exactly (largest remainder)."""
    if total_cents < 0:
        raise ValueError("allocate() splits a non-negative amount")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("allocate() needs positive weights")
    shares = [total_cents * weight // weight_sum for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total_cents * weights[i] % weight_sum), i))
    for i in remainders[: total_cents - sum(shares)]:
        shares[i] += 1
    return shares
