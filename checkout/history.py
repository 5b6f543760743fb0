"""An order's audit trail: one StatusChange row per change of state of the order or of one of its
merchant orders, written in the change's own transaction by the action that makes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from checkout.models import MerchantOrder, Order, StatusChange

if TYPE_CHECKING:
    from checkout.actions import Actor


def record_status_change(
    order: Order,
    to_status: str,
    actor: Actor,
    *,
    merchant_order: MerchantOrder | None = None,
    from_status: str = "",
    note: str = "",
) -> None:
    """Records who moved the order (or one merchant's part of it) from one status to another, and why."""
    StatusChange.objects.create(
        order=order,
        merchant_order=merchant_order,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor.user_id,
        actor_kind=actor.kind,
        note=note[:300],
    )
