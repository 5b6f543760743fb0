"""The resident's basket: lines across merchants, always priced from the database.

Nothing the browser sends about a price, a VAT rate or a total is ever read: a line is a variant id
and a quantity, and every page and the order itself re-read the catalogue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _

from catalog.models import Merchant, SaleUnit, Variant
from catalog.queries import visible_photos, visible_variants
from checkout.models import Basket, BasketLine
from checkout.money import line_total_cents, vat_breakdown
from delivery.provider import provider as delivery_provider
from tenants.collation import by_name
from tenants.current import current_town

MAX_LINES = 100
# Where an anonymous visitor's basket token is kept in their session (a signed-in resident's basket is the account's).
BASKET_SESSION_KEY = "basket_token"
MAX_QUANTITY = Decimal(999)
FRACTIONAL_UNITS = frozenset({SaleUnit.KILOGRAM, SaleUnit.LITRE})


def _read_quantity(raw: object) -> Decimal:
    """A quantity as typed (decimal comma, spaces) → Decimal, not yet checked."""
    text = str(raw).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Indiquez une quantité en chiffres."), code="invalid") from None


def _is_zero(raw: object) -> bool:
    try:
        quantity = _read_quantity(raw)
    except ValidationError:
        return False
    return quantity.is_finite() and quantity == 0


def parse_quantity(raw: object, *, unit: str) -> Decimal:
    """A positive quantity; whole for pieces, up to three decimals (decimal comma accepted) by the kilo/litre."""
    quantity = _read_quantity(raw)
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError(_("La quantité doit être supérieure à zéro."), code="not_positive")
    if quantity > MAX_QUANTITY:
        raise ValidationError(_("La quantité ne peut pas dépasser 999."), code="too_large")
    if unit in FRACTIONAL_UNITS:
        if quantity != quantity.quantize(Decimal("0.001")):
            raise ValidationError(_("Indiquez au plus trois décimales (0,250 kg)."), code="too_precise")
        return quantity.quantize(Decimal("0.001"))
    if quantity != quantity.to_integral_value():
        raise ValidationError(_("Ce produit se vend à la pièce : indiquez un nombre entier."), code="fractional")
    return quantity.quantize(Decimal(1))


def stock_units(quantity: Decimal) -> int:
    """Units taken from a tracked stock: whole pieces, and started units for weighed goods."""
    return int(quantity.to_integral_value(rounding="ROUND_CEILING"))


def sellable_variants() -> QuerySet[Variant]:
    """Variants a resident may buy: those residents may see, of a merchant that sells online."""
    return visible_variants().filter(merchant__sells_online=True)


def get_sellable_variant(variant_id: object) -> Variant:
    try:
        pk = int(str(variant_id))
    except ValueError:
        raise ValidationError(_("Ce produit n'existe pas."), code="unknown") from None
    variant = sellable_variants().select_related("product", "merchant").filter(pk=pk).first()
    if variant is None:
        # The same message for another town's id (absent from this schema) and an unpublished one.
        raise ValidationError(_("Ce produit n'est pas ou plus en vente."), code="unavailable")
    return variant


def _check_stock(variant: Variant, quantity: Decimal) -> None:
    if not variant.can_supply(stock_units(quantity)):
        if variant.stock == 0:
            raise ValidationError(_("« %(title)s » est épuisé.") % {"title": variant.product.title}, code="stock")
        raise ValidationError(
            _("Il ne reste que %(stock)s « %(title)s » en stock.")
            % {"stock": variant.stock, "title": variant.product.title},
            code="stock",
        )


def units_cap(variant: Variant) -> int | None:
    """Units of this variant one order may take (the town's cap, README "Abuse limits"), or None.

    Only for a tracked stock: an untracked one cannot be emptied, so a large order of it holds nothing.
    """
    cap = current_town().max_units_per_product
    return cap if cap and variant.stock is not None else None


def _check_cap(variant: Variant, quantity: Decimal) -> None:
    cap = units_cap(variant)
    if cap is not None and stock_units(quantity) > cap:
        raise ValidationError(
            _("Au plus %(cap)s « %(title)s » par commande.") % {"cap": cap, "title": variant.product.title},
            code="over_cap",
        )


def get_or_create_basket(*, token: str | None, user_id: int | None) -> Basket:
    """The logged-in resident's basket, else the anonymous one named by the cookie, else a new one."""
    if user_id is not None:
        basket = Basket.objects.filter(user_id=user_id).first()
        if basket is not None:
            return basket
        try:
            with transaction.atomic():
                return Basket.objects.create(user_id=user_id)
        except IntegrityError:  # two tabs at once
            return Basket.objects.get(user_id=user_id)
    basket = find_anonymous_basket(token)
    return basket or Basket.objects.create()


def find_anonymous_basket(token: str | None) -> Basket | None:
    if not token:
        return None
    try:
        parsed = uuid.UUID(str(token))
    except ValueError:
        return None
    return Basket.objects.filter(token=parsed, user_id__isnull=True).first()


def add_to_basket(*, basket: Basket, variant_id: object, quantity: object) -> BasketLine:
    """Adds to the line of this variant (one line per variant), within the stock."""
    variant = get_sellable_variant(variant_id)
    added = parse_quantity(quantity, unit=variant.product.unit)
    with transaction.atomic():
        line = BasketLine.objects.select_for_update().filter(basket=basket, variant=variant).first()
        total = added + (line.quantity if line else 0)
        if total > MAX_QUANTITY:
            raise ValidationError(_("La quantité ne peut pas dépasser 999."), code="too_large")
        _check_stock(variant, total)
        _check_cap(variant, total)
        if line is None:
            if basket.lines.count() >= MAX_LINES:
                raise ValidationError(_("Votre panier est plein (100 articles différents)."), code="full")
            line = BasketLine.objects.create(basket=basket, variant=variant, quantity=total)
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
        Basket.objects.filter(pk=basket.pk).update(updated_at=F("updated_at"))
    return line


def set_basket_quantity(*, basket: Basket, variant_id: object, quantity: object) -> BasketLine | None:
    """Sets a line's quantity; zero (however it is written) removes the line."""
    if _is_zero(quantity):
        remove_from_basket(basket=basket, variant_id=variant_id)
        return None
    variant = get_sellable_variant(variant_id)
    wanted = parse_quantity(quantity, unit=variant.product.unit)
    _check_stock(variant, wanted)
    _check_cap(variant, wanted)
    with transaction.atomic():
        line = BasketLine.objects.select_for_update().filter(basket=basket, variant=variant).first()
        if line is None:
            # The form posts variant ids: a new one here is a new line, under the same cap as adding.
            if basket.lines.count() >= MAX_LINES:
                raise ValidationError(_("Votre panier est plein (100 articles différents)."), code="full")
            return BasketLine.objects.create(basket=basket, variant=variant, quantity=wanted)
        line.quantity = wanted
        line.save(update_fields=["quantity"])
    return line


def remove_from_basket(*, basket: Basket, variant_id: object) -> None:
    try:
        pk = int(str(variant_id))
    except ValueError:
        return
    BasketLine.objects.filter(basket=basket, variant_id=pk).delete()


def merge_baskets(*, anonymous: Basket | None, user_id: int) -> Basket:
    """At login: the anonymous basket's lines join the account's basket (quantities added, capped by stock)."""
    target = get_or_create_basket(token=None, user_id=user_id)
    if anonymous is None or anonymous.pk == target.pk:
        return target
    with transaction.atomic():
        for line in anonymous.lines.select_related("variant__product"):
            existing = BasketLine.objects.filter(basket=target, variant_id=line.variant_id).first()
            quantity = line.quantity + (existing.quantity if existing else 0)
            if line.variant.stock is not None:
                quantity = min(quantity, Decimal(line.variant.stock))
            if (cap := units_cap(line.variant)) is not None:
                quantity = min(quantity, Decimal(cap))
            quantity = min(quantity, MAX_QUANTITY)
            if quantity <= 0:
                continue
            BasketLine.objects.update_or_create(
                basket=target, variant_id=line.variant_id, defaults={"quantity": quantity}
            )
        anonymous.delete()
    return target


# --- reading a basket ----------------------------------------------------------------------------
@dataclass
class PricedLine:
    variant: Variant
    quantity: Decimal
    unit_price_cents: int
    total_cents: int
    problem: str = ""  # why it cannot be ordered as is (unpublished, out of stock)


@dataclass
class MerchantGroup:
    merchant: Merchant
    lines: list[PricedLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines if not line.problem)


@dataclass
class PricedBasket:
    groups: list[MerchantGroup]

    @property
    def total_cents(self) -> int:
        return sum(group.total_cents for group in self.groups)

    @property
    def is_empty(self) -> bool:
        return not any(group.lines for group in self.groups)

    @property
    def has_problems(self) -> bool:
        return any(line.problem for group in self.groups for line in group.lines)

    @property
    def line_count(self) -> int:
        return sum(len(group.lines) for group in self.groups)

    def vat_lines(self) -> list:
        return vat_breakdown(
            (line.variant.product.vat_rate, line.total_cents)
            for group in self.groups
            for line in group.lines
            if not line.problem
        )


def price_basket(basket: Basket) -> PricedBasket:
    """The basket grouped per merchant, priced from the catalogue now, with each product's first photo
    (three queries whatever its size)."""
    lines = list(
        basket.lines.select_related("variant__product__category", "variant__merchant")
        # Each line's photo: one query for the whole basket, however many lines.
        .prefetch_related(Prefetch("variant__product__photos", queryset=visible_photos(), to_attr="visible_photos"))
        # The rule that refuses adding a variant, in the same query: a line never says otherwise.
        .annotate(is_on_sale=Exists(sellable_variants().filter(pk=OuterRef("variant_id"))))
        .order_by(*by_name("variant__merchant__name"), "added_at", "pk")
    )
    groups: dict[int, MerchantGroup] = {}
    for line in lines:
        variant = line.variant
        merchant = variant.merchant
        price = variant.effective_price_cents
        problem = ""
        cap = units_cap(variant)
        if not line.is_on_sale:
            problem = _("Ce produit n'est plus en vente.")
        elif not variant.can_supply(stock_units(line.quantity)):
            problem = (
                _("Épuisé.")
                if variant.stock == 0
                else _("Il n'en reste que %(stock)s : modifiez la quantité.") % {"stock": variant.stock}
            )
        elif cap is not None and stock_units(line.quantity) > cap:
            # The cap may have been lowered since the line was added: the checkout refuses it too.
            problem = _("Au plus %(cap)s par commande : modifiez la quantité.") % {"cap": cap}
        group = groups.setdefault(merchant.pk, MerchantGroup(merchant=merchant))
        group.lines.append(
            PricedLine(
                variant=variant,
                quantity=line.quantity,
                unit_price_cents=price,
                total_cents=line_total_cents(unit_price_cents=price, quantity=line.quantity),
                problem=problem,
            )
        )
    return PricedBasket(groups=list(groups.values()))


def basket_item_count(basket: Basket | None) -> int:
    return 0 if basket is None else basket.lines.count()


def basket_line_count(*, user_id: int | None, token: str | None) -> int:
    """Articles (lines) in the account's basket, else in the anonymous one of ``token``: one COUNT query,
    none at all for a visitor who never filled a basket."""
    if user_id is not None:
        return BasketLine.objects.filter(basket__user_id=user_id).count()
    if not token:
        return 0
    try:
        parsed = uuid.UUID(str(token))
    except ValueError:
        return 0
    return BasketLine.objects.filter(basket__token=parsed, basket__user_id__isnull=True).count()


def delivery_offered(priced: PricedBasket) -> bool:
    """Whether checkout offers delivery for this basket: one of its shops delivers and the town's delivery is on."""
    if not any(group.merchant.delivery_eligible for group in priced.groups):
        return False
    return delivery_provider.is_available()
