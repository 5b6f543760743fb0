"""Residents' pages: basket, checkout, payment, confirmation, status by signed link, account."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.network import client_ip
from accounts.requests import AuthenticatedRequest
from catalog.formatting import format_clock
from checkout import actions, limits, payments, queries
from checkout import basket as baskets
from checkout.forms import CheckoutForm
from checkout.models import (
    Basket,
    Fulfilment,
    MerchantOrderStatus,
    Order,
    OrderStatus,
    PaymentMethod,
    resident_status_label,
)
from checkout.money import DELIVERY_VAT_RATE, VatLine, vat_breakdown
from checkout.tokens import order_public_id_from_token
from delivery.provider import provider as delivery_provider
from payments.gateways import gateway_account_id, get_gateway
from payments.gateways.base import GatewayError
from payments.gateways.demo import DemoGateway
from payments.gateways.stripe import allow_stripe_js
from tenants.current import current_town, town_local

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)
BASKET_SESSION_KEY = baskets.BASKET_SESSION_KEY


def existing_basket(request: HttpRequest) -> Basket | None:
    """The signed-in resident's basket, or the anonymous one kept in this session; None before the first item."""
    if request.user.is_authenticated:
        return Basket.objects.filter(user_id=request.user.pk).first()
    return baskets.find_anonymous_basket(request.session.get(BASKET_SESSION_KEY))


def current_basket(request: HttpRequest) -> Basket:
    """The signed-in resident's basket, or the anonymous one kept in this session, created when missing."""
    user_id = request.user.pk if request.user.is_authenticated else None
    basket = baskets.get_or_create_basket(token=request.session.get(BASKET_SESSION_KEY), user_id=user_id)
    if user_id is None:
        request.session[BASKET_SESSION_KEY] = str(basket.token)
    return basket


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(default)


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


# --- basket ---------------------------------------------------------------------------------------
def basket_page(request: HttpRequest) -> HttpResponse:
    basket = existing_basket(request)
    priced = baskets.price_basket(basket) if basket else baskets.PricedBasket(groups=[])
    queries.remember_basket_count(request, priced.line_count)
    return render(request, "checkout/basket.html", {"basket": priced})


@require_POST
def basket_add(request: HttpRequest) -> HttpResponse:
    basket = current_basket(request)
    try:
        line = baskets.add_to_basket(
            basket=basket, variant_id=request.POST.get("variant", ""), quantity=request.POST.get("quantity", "1")
        )
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
        return _back(request, reverse("checkout:basket"))
    messages.success(request, _("« %(title)s » a été ajouté à votre panier.") % {"title": line.variant.product.title})
    return _back(request, reverse("checkout:basket"))


@require_POST
def basket_update(request: HttpRequest) -> HttpResponse:
    basket = current_basket(request)
    variant_id = request.POST.get("variant", "")
    try:
        if "remove" in request.POST:
            baskets.remove_from_basket(basket=basket, variant_id=variant_id)
            messages.success(request, _("L’article a été retiré du panier."))
        else:
            baskets.set_basket_quantity(basket=basket, variant_id=variant_id, quantity=request.POST.get("quantity", ""))
            messages.success(request, _("Quantité mise à jour."))
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
    return redirect("checkout:basket")


# --- checkout -------------------------------------------------------------------------------------
def checkout_page(request: HttpRequest) -> HttpResponse:
    basket = existing_basket(request)
    priced = baskets.price_basket(basket) if basket else baskets.PricedBasket(groups=[])
    if basket is None or priced.is_empty:
        messages.info(request, _("Votre panier est vide."))
        return redirect("checkout:basket")
    now = timezone.now()
    initial = {}
    if request.user.is_authenticated:
        initial = {
            "first_name": request.user.first_name,
            "last_name": request.user.last_name,
            "email": request.user.email,
        }
    delivery_available = baskets.delivery_offered(priced)
    form = CheckoutForm(
        request.POST or None,
        basket=priced,
        town=current_town(),
        now=now,
        delivery_available=delivery_available,
        delivery_slots=delivery_provider.next_slots(now=now) if delivery_available else None,
        initial=initial,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        order, status = _place_order(request, basket, form, now)
        if order is not None:
            queries.remember_order_in_session(request, order)
            if order.delivery_needs_geocoding:
                # The address service was down: the order stands, an agent checks the address.
                messages.info(
                    request,
                    _("Votre commande est bien enregistrée. Nous vérifierons votre adresse avant la livraison."),
                )
            if order.payment_method == PaymentMethod.CARD:
                return redirect("checkout:payment", public_id=order.public_id)
            return redirect("checkout:confirmation", public_id=order.public_id)
    return render(
        request,
        "checkout/checkout.html",
        {"basket": priced, "form": form, "delivery_available": delivery_available},
        status=status,
    )


def _place_order(
    request: HttpRequest, basket: Basket, form: CheckoutForm, now: dt.datetime
) -> tuple[Order | None, int]:
    """The order placed, or None and the HTTP status of the refusal (its reasons added to the form)."""
    user_id = request.user.pk if request.user.is_authenticated else None
    ip = client_ip(request)
    if limits.too_many_checkouts(ip=ip, client=f"user:{user_id}" if user_id else f"basket:{basket.token}"):
        form.add_error(None, _("Trop de commandes commencées en peu de temps : réessayez dans quelques minutes."))
        return None, 429
    try:
        order = actions.place_order(
            basket=basket,
            contact=form.contact(),
            fulfilments=form.fulfilments(),
            address_text=form.cleaned_data.get("address", ""),
            delivery_slot_id=form.cleaned_data.get("delivery_slot"),
            delivery_instructions=form.cleaned_data.get("delivery_instructions", ""),
            terms_accepted=form.cleaned_data["accept_terms"],
            payment_method=form.cleaned_data["payment_method"],
            actor=actions.Actor(kind="resident", user_id=user_id),
            client_ip=ip,
            now=now,
        )
    except ValidationError as error:
        for message in _errors(error):
            form.add_error(None, message)
        return None, 429 if getattr(error, "code", None) == "unpaid_limit" else 200
    return order, 200


def payment_page(request: HttpRequest, public_id: str) -> HttpResponse:
    order = queries.get_order_for_request(request, public_id)
    # A card order waiting for its payment is held until expires_at (set when placed, cleared when it
    # leaves that status): without a hold there is nothing left to pay.
    if order.status != OrderStatus.PENDING_PAYMENT or order.expires_at is None:
        return redirect("checkout:confirmation", public_id=order.public_id)
    town = current_town()
    error = ""
    payment = gateway = None
    try:
        gateway = get_gateway(town)
        payment = payments.start_payment(order=order)
    except ValidationError as failure:
        error = " ".join(failure.messages)
    except ImproperlyConfigured:
        logger.exception("town %s cannot take card payments", town.slug)
        until = town_local(order.expires_at)
        error = _(
            "Le paiement en ligne n’est pas disponible pour le moment : la ville a été prévenue. "
            "Vos articles restent réservés jusqu’à %(until)s."
        ) % {"until": format_clock(until.time())}
    response = render(
        request,
        "checkout/payment.html",
        {
            "order": order,
            "payment": payment,
            "gateway": gateway,
            "error": error,
            "vat_lines": _order_vat_lines(order),
            # The exact host the resident is on, not the town's public host: their session and
            # basket cookies are host-only, so Stripe must bring them back here. This URL only goes
            # to their own browser (never in a mail or a page someone else reads).
            "return_url": request.build_absolute_uri(reverse("checkout:payment_return", args=[order.public_id])),
            "stripe_js_url": settings.STRIPE_JS_URL,
        },
    )
    if gateway is not None and gateway.kind == "stripe" and payment is not None:
        allow_stripe_js(response)
    return response


@require_POST
def test_gateway_pay(request: HttpRequest, public_id: str) -> HttpResponse:
    """The demo gateway's "card" form: the gateway produces a signed event, handled like a webhook."""
    order = queries.get_order_for_request(request, public_id)
    town = current_town()
    gateway = get_gateway(town)
    if not isinstance(gateway, DemoGateway):  # only the demo gateway; Stripe in test mode uses its own card form
        raise Http404(public_id)
    if order.status != OrderStatus.PENDING_PAYMENT:  # paid, expired or to pay in store: back button
        return redirect("checkout:confirmation", public_id=order.public_id)
    try:
        payment = payments.start_payment(order=order)
    except ValidationError as failure:
        messages.error(request, " ".join(failure.messages))
        return redirect("checkout:confirmation", public_id=order.public_id)
    outcome = request.POST.get("outcome", "succeeded")
    account_id = gateway_account_id(town)
    try:
        payload, signature = gateway.confirm_payment(
            account_id=account_id, intent_id=payment.intent_id, is_successful=outcome == "succeeded"
        )
    except GatewayError as error:
        messages.error(request, error.message)
        return redirect("checkout:payment", public_id=order.public_id)
    # The same path as a real webhook: verified event, stored once, intent re-retrieved.
    payments.handle_gateway_event(event=gateway.parse_webhook(payload=payload, signature_header=signature))
    if outcome != "succeeded":
        messages.error(request, _("Paiement refusé (carte de test). Vous pouvez réessayer."))
        return redirect("checkout:payment", public_id=order.public_id)
    return redirect("checkout:payment_return", public_id=order.public_id)


def payment_return(request: HttpRequest, public_id: str) -> HttpResponse:
    order = queries.get_order_for_request(request, public_id)
    payments.confirm_payment_from_return(order=order)
    return redirect("checkout:confirmation", public_id=order.public_id)


def confirmation_page(request: HttpRequest, public_id: str) -> HttpResponse:
    order = queries.get_order_for_request(request, public_id)
    return render(request, "checkout/confirmation.html", _order_context(order))


def status_page(request: HttpRequest, token: str) -> HttpResponse:
    public_id = order_public_id_from_token(token)
    if public_id is None:
        raise Http404(token)
    order = queries.get_order_by_public_id(public_id)
    return render(request, "checkout/status.html", _order_context(order))


def _order_vat_lines(order: Order) -> list[VatLine]:
    amounts = [
        (line.vat_rate, line.total_cents)
        for merchant_order in order.merchant_orders.all()
        for line in merchant_order.lines.all()
        if not line.is_refused
    ]
    if order.delivery_fee_cents:
        amounts.append((DELIVERY_VAT_RATE, order.delivery_fee_cents))
    return vat_breakdown(amounts)


def _order_context(order: Order) -> dict[str, Any]:
    return {
        "order": order,
        "vat_lines": _order_vat_lines(order),
        "has_perishables": any(
            line.is_perishable for merchant_order in order.merchant_orders.all() for line in merchant_order.lines.all()
        ),
        "history": _resident_history(order),
        "delivery_progress": delivery_progress(order),
    }


_GONE = (MerchantOrderStatus.CANCELLED, MerchantOrderStatus.REFUNDED)


def delivery_progress(order: Order) -> str:
    """ "Livrée à 14 h 22" once every delivered part is at the resident's, "Livraison prévue entre 14 h 10
    et 14 h 40" once the rounds have planned it, else "" (the fulfilment line says the day)."""
    parts = [
        part
        for part in order.merchant_orders.all()
        if part.fulfilment == Fulfilment.DELIVERY and part.status not in _GONE
    ]
    if not parts:
        return ""
    handed_over = [part.handed_over_at for part in parts if part.status == MerchantOrderStatus.DELIVERED]
    if len(handed_over) == len(parts) and all(handed_over):
        last = max(moment for moment in handed_over if moment is not None)
        return _("Livrée à %(time)s") % {"time": format_clock(town_local(last).time())}
    if order.delivery_eta_start and order.delivery_eta_end:
        return _("Livraison prévue entre %(start)s et %(end)s") % {
            "start": format_clock(order.delivery_eta_start),
            "end": format_clock(order.delivery_eta_end),
        }
    return ""


# Order-wide steps as the resident reads them; the stored notes are the town's audit trail.
# Lazy: translated when a page is drawn, in its reader's language.
_ORDER_STEPS: dict[str, StrPromise] = {
    OrderStatus.PENDING_PAYMENT: gettext_lazy("Commande passée"),
    OrderStatus.PAID: gettext_lazy("Paiement confirmé"),
    OrderStatus.PLACED: gettext_lazy("Commande confirmée, à payer en boutique"),
    OrderStatus.CANCELLED: gettext_lazy("Commande annulée"),
    OrderStatus.REVIEW: gettext_lazy("Paiement à vérifier par la ville"),
}


def _resident_history(order: Order) -> list[tuple[dt.datetime, str]]:
    """(when, what) of each step, in plain words: a shop's step names the shop, and a shop's or the
    town's reason (an item out of stock, a refund) is kept; the gateway's technical notes are not."""
    history = []
    for change in order.status_changes.select_related("merchant_order"):
        merchant_order = change.merchant_order
        if merchant_order is None:
            text = str(_ORDER_STEPS.get(change.to_status, change.to_status))
            if change.to_status == OrderStatus.CANCELLED and change.note:
                text = f"{text} : {change.note}"
        else:
            text = (
                f"{merchant_order.merchant_name} : {resident_status_label(change.to_status, merchant_order.fulfilment)}"
            )
            if change.note and change.actor_kind != "gateway":
                text = f"{text} — {change.note}"
        history.append((change.created_at, text))
    return history


# --- the resident's account -----------------------------------------------------------------------
@login_required
def my_orders(request: AuthenticatedRequest) -> HttpResponse:
    orders = queries.orders_of_resident(request.user)
    return render(request, "checkout/my_orders.html", {"orders": orders})


@login_required
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    """RGPD right of access and portability: everything we hold about the resident, as JSON."""
    from checkout.privacy import export_resident_data

    data = export_resident_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


@login_required
def delete_account(request: AuthenticatedRequest) -> HttpResponse:
    from checkout.privacy import anonymise_resident

    if request.user.role != Role.RESIDENT:
        # Staff accounts sign orders, refunds and payouts: they are deactivated by the town, not erased.
        raise PermissionDenied
    if request.method == "POST":
        if request.POST.get("confirm") != "oui":
            messages.error(request, _("Cochez la case pour confirmer la suppression."))
        else:
            user = request.user
            logout(request)
            anonymise_resident(user_id=user.pk)
            messages.success(request, _("Votre compte a été supprimé. Vos commandes restent anonymes en comptabilité."))
            return redirect("storefront:home")
    return render(request, "checkout/delete_account.html", {"retention_years": settings.ORDER_RETENTION_YEARS})
