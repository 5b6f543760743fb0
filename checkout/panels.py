"""Panels that apps above checkout add to the town staff's view of an order (docs/architecture.md §1).

Checkout never imports the apps above it. An app that knows more about an order (logistics: how its
delivery went, with the proof) registers a callable from its ``AppConfig.ready()``; the order page
calls each one and shows what it returns. A panel returns HTML that is already safe (rendered by a
template) or None when it has nothing to say about this order.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

from checkout.models import Order

OrderPanel = Callable[[Order], SafeString | None]

_panels: list[OrderPanel] = []


def register_order_panel(panel: OrderPanel) -> None:
    """Adds a panel to the staff's order page; registering the same callable twice keeps one."""
    if panel not in _panels:
        _panels.append(panel)


def order_panels(order: Order) -> list[SafeString]:
    """The HTML of every registered panel with something to say about the order, in registration order."""
    shown = []
    for panel in _panels:
        html = panel(order)
        if html:
            shown.append(html)
    return shown
