"""Taking an order by phone or at the town-hall desk (town agents), and the resident's payment link.

The agent's pages live at /gestion/commandes/telephone/ (``checkout_staff``); the link the resident
receives, /payer/<token>/, leads to the normal payment page of the order (``checkout.views``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog.search import match_catalogue
from checkout import basket as baskets
from checkout import phone_orders, queries
from checkout.basket import sellable_variants
from checkout.forms_phone import PhoneOrderForm, StartPhoneOrderForm
from checkout.models import OrderStatus
from checkout.models_phone import PhoneOrder
from checkout.payment_links import order_from_payment_token
from checkout.tokens import status_path
from delivery.provider import provider as delivery_provider
from tenants.current import current_town

order_taker_view = signed_in_view(phone_orders.require_order_taker)
SEARCH_RESULTS = 20


def _page(phone_order: PhoneOrder, query: str = "") -> str:
    url = reverse("checkout_staff:phone_order", args=[phone_order.pk])
    return f"{url}?{urlencode({'q': query})}" if query else url


@require_GET
@order_taker_view
def phone_order_list(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(phone_orders.phone_orders_for(request.user)[: phone_orders.LIST_ROWS])
    context = {"rows": rows, "start_form": StartPhoneOrderForm(), "desk_tab": "phone"}
    return render(request, "checkout/staff/phone_order_list.html", context)


@require_POST
@order_taker_view
def phone_order_start(request: AuthenticatedRequest) -> HttpResponse:
    form = StartPhoneOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Indiquez si la commande est prise par téléphone ou au guichet."))
        return redirect("checkout_staff:phone_orders")
    phone_order = phone_orders.start_phone_order(agent=request.user, channel=form.cleaned_data["channel"])
    return redirect(_page(phone_order))


def _search(query: str) -> list:
    """The catalogue's one search engine; each product's variants on sale (two queries)."""
    if not query.strip():
        return []
    products = list(match_catalogue(text=query).products.select_related("merchant")[:SEARCH_RESULTS])
    variants = (
        sellable_variants()
        .filter(product__in=products)
        .select_related("product", "merchant")
        .order_by("product_id", "pk")
    )
    by_product: dict[int, list] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    return [(product, by_product[product.pk]) for product in products if product.pk in by_product]


@order_taker_view
def phone_order_page(request: AuthenticatedRequest, phone_order_id: int) -> HttpResponse:
    phone_order = phone_orders.get_phone_order_for(request.user, phone_order_id)
    if phone_order.order_id is not None:
        order = queries.orders_with_details().get(pk=phone_order.order_id)
        return render(
            request,
            "checkout/staff/phone_order_placed.html",
            {"phone_order": phone_order, "order": order, "desk_tab": "phone"},
        )
    if phone_order.basket is None:
        raise Http404(phone_order_id)
    query = request.GET.get("q", "")[:200]
    priced = baskets.price_basket(phone_order.basket)
    now = timezone.now()
    form = None
    status = 200
    if not priced.is_empty:
        delivery_available = baskets.delivery_offered(priced)
        form = PhoneOrderForm(
            request.POST if request.method == "POST" else None,
            basket=priced,
            town=current_town(),
            now=now,
            delivery_available=delivery_available,
            delivery_slots=delivery_provider.next_slots(now=now) if delivery_available else None,
        )
        if request.method == "POST" and form.is_valid():
            try:
                phone_orders.place_phone_order(
                    phone_order_id=phone_order.pk,
                    agent=request.user,
                    contact=form.contact(),
                    fulfilments=form.fulfilments(),
                    payment_method=form.cleaned_data["payment_method"],
                    address_text=form.cleaned_data.get("address", ""),
                    delivery_slot_id=form.cleaned_data.get("delivery_slot"),
                    delivery_instructions=form.cleaned_data.get("delivery_instructions", ""),
                    now=now,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Commande enregistrée : le client est prévenu."))
                return redirect(_page(phone_order))
        if request.method == "POST":
            status = 400
    context = {
        "phone_order": phone_order,
        "basket": priced,
        "form": form,
        "query": query,
        "results": _search(query),
        "desk_tab": "phone",
    }
    return render(request, "checkout/staff/phone_order.html", context, status=status)


@require_POST
@order_taker_view
def phone_order_add(request: AuthenticatedRequest, phone_order_id: int) -> HttpResponse:
    """Adds a line: a variant id and a quantity, nothing else is read (the price is the catalogue's)."""
    phone_order = phone_orders.get_phone_order_for(request.user, phone_order_id)
    query = request.POST.get("q", "")[:200]
    variant_id = request.POST.get("variant", "")
    if phone_order.is_placed or phone_order.basket is None:
        messages.error(request, _("Cette commande a déjà été passée."))
        return redirect(_page(phone_order))
    # Another town's variant, or one not on sale here, does not exist for this page.
    if not variant_id.isdigit() or not sellable_variants().filter(pk=int(variant_id)).exists():
        raise Http404(variant_id)
    try:
        line = baskets.add_to_basket(
            basket=phone_order.basket, variant_id=variant_id, quantity=request.POST.get("quantity", "1")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("« %(title)s » ajouté à la commande.") % {"title": line.variant.product.title})
    return redirect(_page(phone_order, query))


@require_POST
@order_taker_view
def phone_order_update(request: AuthenticatedRequest, phone_order_id: int) -> HttpResponse:
    phone_order = phone_orders.get_phone_order_for(request.user, phone_order_id)
    if phone_order.is_placed or phone_order.basket is None:
        messages.error(request, _("Cette commande a déjà été passée."))
        return redirect(_page(phone_order))
    variant_id = request.POST.get("variant", "")
    try:
        if "remove" in request.POST:
            baskets.remove_from_basket(basket=phone_order.basket, variant_id=variant_id)
            messages.success(request, _("L’article a été retiré de la commande."))
        else:
            baskets.set_basket_quantity(
                basket=phone_order.basket, variant_id=variant_id, quantity=request.POST.get("quantity", "")
            )
            messages.success(request, _("Quantité mise à jour."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(_page(phone_order))


# --- the resident's link --------------------------------------------------------------------------
def pay_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The card payment link of an order taken by phone: the order's normal payment page while it waits
    for payment; its status page once paid; a page saying so (410) once cancelled or expired."""
    order = order_from_payment_token(token)
    if order is None:
        raise Http404(token)
    if order.status == OrderStatus.PENDING_PAYMENT and order.expires_at and order.expires_at > timezone.now():
        queries.remember_order_in_session(request, order)
        return redirect("checkout:payment", public_id=order.public_id)
    if order.status in (OrderStatus.PAID, OrderStatus.REVIEW):
        messages.info(request, _("Cette commande est déjà payée : merci !"))
        return redirect(status_path(order))
    return render(request, "checkout/payment_link_expired.html", {"order": order}, status=410)
