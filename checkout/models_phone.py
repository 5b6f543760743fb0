"""Orders a town agent takes for a resident by phone or at the town-hall desk (issue 13, item 6).

The agent builds a basket of its own (never the agent's personal basket), records the resident's
contact, and places the order through the one ``place_order``: prices, stock, fulfilment, delivery
zones and slots follow the same rules as online. This row says who took it and how.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from checkout.models import Basket, Order


class OrderChannel(models.TextChoices):
    PHONE = "phone", _("par téléphone")
    DESK = "desk", _("au guichet de la mairie")


class PhoneOrder(models.Model):
    """An order being taken (``order`` empty) or taken by a town agent for a resident without internet."""

    # The basket being built for the resident: nobody's own basket (no user, its token never leaves the server).
    basket = models.OneToOneField(Basket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="phone_order")
    channel = models.CharField(_("canal"), max_length=8, choices=OrderChannel.choices)
    agent_id = models.BigIntegerField()
    # The agent's name as it was: the order screen still says who took it once the account is gone.
    agent_name = models.CharField(max_length=160)
    created_at = models.DateTimeField(auto_now_add=True)
    placed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(order__isnull=True, placed_at__isnull=True)
                | Q(order__isnull=False, placed_at__isnull=False),
                name="phone_order_placed_with_its_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.agent_name}"

    @property
    def is_placed(self) -> bool:
        return self.order_id is not None

    @property
    def taken_label(self) -> str:
        """ "Commande prise par téléphone par Claire Petit": what the order screens say."""
        from django.utils.translation import gettext

        return gettext("Commande prise %(channel)s par %(agent)s") % {
            "channel": self.get_channel_display(),
            "agent": self.agent_name,
        }
