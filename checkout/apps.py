from typing import Any

from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = "Commandes et paiements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(merge_basket_at_login, dispatch_uid="checkout-merge-basket")


def merge_basket_at_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """The basket filled before logging in joins the account's basket."""
    from checkout.basket import BASKET_SESSION_KEY, find_anonymous_basket, merge_baskets
    from tenants.connection import connection

    if request is None or connection.schema_name == "public" or not hasattr(request, "session"):
        return
    anonymous = find_anonymous_basket(request.session.pop(BASKET_SESSION_KEY, None))
    if anonymous is not None:
        merge_baskets(anonymous=anonymous, user_id=user.pk)
