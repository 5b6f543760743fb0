"""RGPD: a resident's data export, and account deletion that keeps orders for accounting, anonymised."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import User
from checkout.models import Basket, Notification, Order, StatusChange
from checkout.notifications.content import MERCHANT_EVENT_KINDS

ANONYMOUS = "Anonyme"


def export_resident_data(*, user: User) -> dict[str, Any]:
    """The account and every order placed with it, in a portable structure."""
    orders = Order.objects.filter(user_id=user.pk).prefetch_related("merchant_orders__lines")
    return {
        "compte": {
            "email": user.email,
            "prenom": user.first_name,
            "nom": user.last_name,
            "inscrit_le": user.date_joined.isoformat(),
        },
        "commandes": [
            {
                "numero": order.number,
                "date": order.created_at.isoformat(),
                "etat": order.get_status_display(),
                "contact": {
                    "prenom": order.first_name,
                    "nom": order.last_name,
                    "email": order.email,
                    "telephone": order.phone,
                },
                "adresse_de_livraison": order.delivery_address_label,
                "total_centimes": order.total_cents,
                "commerces": [
                    {
                        "commerce": merchant_order.merchant_name,
                        "etat": merchant_order.get_status_display(),
                        "articles": [
                            {
                                "produit": line.product_title,
                                "quantite": format(line.quantity.normalize(), "f"),
                                "prix_unitaire_centimes": line.unit_price_cents,
                                "total_centimes": line.total_cents,
                            }
                            for line in merchant_order.lines.all()
                        ],
                    }
                    for merchant_order in order.merchant_orders.all()
                ],
            }
            for order in orders
        ],
    }


def anonymise_resident(*, user_id: int) -> None:
    """Deletes the account; its orders stay (accounting, 10 years) without name, contact or address."""
    with transaction.atomic():
        orders = Order.objects.filter(user_id=user_id)
        # The resident's messages lose their address; the shops' own (new order, cancelled) keep theirs:
        # a merchant still waiting for a new-order e-mail must get it.
        Notification.objects.filter(order__in=orders).exclude(
            merchant_order__isnull=False, kind__in=MERCHANT_EVENT_KINDS
        ).update(recipient="")
        StatusChange.objects.filter(actor_id=user_id, actor_kind="resident").update(actor_id=None)
        orders.update(
            user_id=None,
            first_name=ANONYMOUS,
            last_name=ANONYMOUS,
            email="anonyme@invalid",
            phone="",
            delivery_address_label="",
            delivery_instructions="",
            delivery_latitude=None,
            delivery_longitude=None,
            is_anonymised=True,
        )
        Basket.objects.filter(user_id=user_id).delete()
        User.objects.filter(pk=user_id).delete()
