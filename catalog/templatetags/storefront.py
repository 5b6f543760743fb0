"""Template helpers of the storefront: French prices, photos, opening hours, SEO metadata."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.formatting import (
    format_clock,
    format_day,
    format_decimal,
    format_moment,
    format_price,
    format_vat_rate,
    price_per_reference_unit,
    tel_link,
)
from catalog.hours import OpeningState, Period, opening_state
from catalog.models import WEEKDAY_CHOICES, Merchant, MerchantKind, Photo, Product, SaleUnit, Variant
from catalog.sanitising import sanitise_description
from tenants.actions import town_absolute_url
from tenants.current import current_town, town_zone

register = template.Library()

WEEKDAYS_SCHEMA = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SCHEMA_TYPES: dict[str, str] = {
    MerchantKind.RESTAURANT: "Restaurant",
    MerchantKind.ESTATE_AGENT: "RealEstateAgent",
    MerchantKind.SHOP: "Store",
    MerchantKind.PARTNER_SUPERMARKET: "GroceryStore",
}
NO_BREAK_SPACE = "\u00a0"
# Inside <script>, only these characters can end the element or open a comment (Django's json_script).
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# --- money and units ---------------------------------------------------------------------------
@register.filter
def price(cents: int | None) -> str:
    return "" if cents is None else format_price(cents)


@register.filter
def vat_mention(product: Product) -> str:
    if product.vat_rate == 0 or product.merchant.is_vat_exempt:
        return format_vat_rate(0)
    return _("TTC, dont TVA %(rate)s") % {"rate": format_vat_rate(product.vat_rate)}


@register.filter
def unit_price(product: Product) -> str:
    """The price per kg or per litre French law requires next to the selling price."""
    if product.unit == SaleUnit.KILOGRAM:
        return _("%(price)s le kg") % {"price": format_price(product.price_cents)}
    if product.unit == SaleUnit.LITRE:
        return _("%(price)s le litre") % {"price": format_price(product.price_cents)}
    if product.content_quantity and product.content_unit:
        per_unit = price_per_reference_unit(
            price_cents=product.price_cents, quantity=product.content_quantity, unit=product.content_unit
        )
        if per_unit:
            cents, reference = per_unit
            label = _("le kg") if reference == "kg" else _("le litre")
            return _("soit %(price)s %(unit)s") % {"price": format_price(cents), "unit": label}
    return ""


@register.filter
def content_label(product: Product) -> str:
    if not product.content_quantity or not product.content_unit:
        return ""
    return f"{format_decimal(product.content_quantity)}{NO_BREAK_SPACE}{product.content_unit}"


@register.filter
def stock_label(variant: Variant) -> str:
    if variant.stock is None:
        return _("Disponible")
    if not variant.is_in_stock:
        return _("Épuisé")
    if variant.stock <= 3:
        return _("Plus que %(count)s en stock") % {"count": variant.stock}
    return _("En stock")


# --- time ---------------------------------------------------------------------------------------
@register.filter
def clock(value: dt.datetime | dt.time | None) -> str:
    """14 h, 14 h 30: a time of day as everywhere else (``format_clock``); a datetime in the active clock."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).time() if timezone.is_aware(value) else value.time()
    return format_clock(value)


@register.filter
def day(value: dt.date | None) -> str:
    """mardi 8 décembre (``format_day``); a datetime's day in the active clock."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return format_day(value)


@register.filter
def moment(value: dt.datetime | None, arg: str = "") -> str:
    """7 décembre 2026 à 14 h 05 (``format_moment``) in the active clock; ``|moment:"weekday"`` names the day."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_moment(value, weekday=arg == "weekday")


# --- contact, text -----------------------------------------------------------------------------
@register.filter
def tel_href(phone: str) -> str:
    return tel_link(phone)


@register.filter
def website_label(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")


@register.filter
def clean_html(html: str) -> SafeString:
    """Descriptions are sanitised when saved; cleaned again here so no other path can inject."""
    return mark_safe(sanitise_description(html))  # noqa: S308 - nh3 output


@register.filter
def plain_text(html: str) -> str:
    return " ".join(strip_tags(html or "").split())


@register.filter
def osm_url(merchant: Merchant) -> str:
    """A plain link to OpenStreetMap: no map script, no third party loaded by our pages."""
    if merchant.latitude is None or merchant.longitude is None:
        return ""
    lat, lon = merchant.latitude, merchant.longitude
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


# --- photos ------------------------------------------------------------------------------------
def _renditions(photo: Photo) -> list[tuple[int, str, int, int]]:
    """(width, url, width, height) of each rendition, narrowest first, one per width: photos made before
    ``make_renditions`` stopped at the original's width hold the same width under several sizes."""
    found: dict[int, tuple[int, str, int, int]] = {}
    for size, data in sorted((photo.renditions or {}).items(), key=lambda item: str(item[0]).zfill(8)):
        if isinstance(data, dict) and data.get("name") and str(size).isdigit():
            width = int(data.get("width") or size)
            height = int(data.get("height") or 0)
            found.setdefault(width, (width, photo.image.storage.url(data["name"]), width, height))
    return sorted(found.values())


@register.simple_tag
def photo_img(photo: Photo, *, alt: str = "", width: int = 320, sizes: str = "", css_class: str = "") -> SafeString:
    """<img> with width/height (no layout shift), lazy loading and the renditions as srcset."""
    renditions = _renditions(photo)
    alt_text = photo.alt_text or alt
    if renditions:
        chosen = next((item for item in renditions if item[0] >= width), renditions[-1])
        _size, src, img_width, img_height = chosen
        img_height = img_height or round(img_width * 2 / 3)
        srcset = ", ".join(f"{url} {size}w" for size, url, _w, _h in renditions)
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async"'
            ' class="{}">',
            src,
            srcset,
            sizes or f"{width}px",
            img_width,
            img_height,
            alt_text,
            css_class,
        )
    img_width = photo.width or width
    img_height = photo.height or round(img_width * 2 / 3)
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async" class="{}">',
        photo.image.url,
        img_width,
        img_height,
        alt_text,
        css_class,
    )


def _first_photo(item: Merchant | Product) -> Photo | None:
    photos = getattr(item, "visible_photos", None)
    if photos is None:
        photos = list(item.photos.all())
    return photos[0] if photos else None


@register.filter
def first_photo(item: Merchant | Product) -> Photo | None:
    return _first_photo(item)


# --- product cards -----------------------------------------------------------------------------
# Slugs never contain these, so the product URL pattern is reversed once per list, not per card.
_MERCHANT_SLOT, _PRODUCT_SLOT = "merchant-slot-0", "product-slot-0"
CARD_PHOTO_SIZES = "(min-width: 48rem) 16rem, 50vw"


def product_url_builder() -> Callable[[Product], str]:
    """``reverse("storefront:product", ...)`` for many products at the cost of one reversal."""
    pattern = reverse("storefront:product", args=[_MERCHANT_SLOT, _PRODUCT_SLOT])
    head, middle_tail = pattern.split(_MERCHANT_SLOT, 1)
    middle, tail = middle_tail.split(_PRODUCT_SLOT, 1)
    return lambda product: f"{head}{product.merchant.slug}{middle}{product.slug}{tail}"


def _card_photo(product: Product) -> Photo | None:
    """The first visible photo, from the list query's ``card_photo`` column when it has one."""
    if "card_photo" not in product.__dict__:
        return _first_photo(product)
    data = product.__dict__["card_photo"]
    return Photo(product_id=product.pk, **data) if data else None


def product_card(product: Product, url: str) -> SafeString:
    """One product card: photo or initial, title linked to the product, merchant, price (and per kg/litre)."""
    photo = _card_photo(product)
    if photo is not None:
        media = photo_img(photo, alt="", width=320, sizes=CARD_PHOTO_SIZES)
    else:
        media = format_html('<span class="placeholder" aria-hidden="true">{}</span>', product.title[:1].upper())
    unit = ""
    if product.unit != SaleUnit.PIECE:
        unit = format_html(' <span class="unit">{}</span>', unit_price(product))
    return format_html(
        '<li class="product-card">\n  <article>\n    <div class="card-media">{}</div>\n'
        '    <h3 class="card-title"><a href="{}">{}</a></h3>\n'
        '    <p class="card-merchant">{}</p>\n'
        '    <p class="card-price"><strong>{}</strong>{}</p>\n  </article>\n</li>\n',
        media,
        url,
        product.title,
        product.merchant.name,
        price(product.price_cents),
        unit,
    )


@register.simple_tag
def product_cards(products: Iterable[Product]) -> SafeString:
    """The cards of a product list, built in Python: the list is rendered on every storefront page,
    and a template include per card cost more than the SQL that fetched it."""
    url_for = product_url_builder()
    return mark_safe("".join(product_card(product, url_for(product)) for product in products))  # noqa: S308 - format_html parts


# --- opening hours -----------------------------------------------------------------------------
@register.simple_tag(takes_context=True)
def opening(context: template.Context, merchant: Merchant) -> OpeningState | None:
    """Open or closed now, in the town's time zone; None for a merchant without published hours."""
    periods = [Period(p.weekday, p.opens_at, p.closes_at) for p in merchant.opening_periods.all()]
    if not periods:
        return None
    closures = [(closure.starts_on, closure.ends_on) for closure in merchant.closures.all()]
    return opening_state(periods=periods, closures=closures, now=timezone.now(), time_zone=town_zone().key)


@register.simple_tag
def opening_week(merchant: Merchant) -> list[tuple[str, str]]:
    """One row per day, Monday first: "9 h 30 – 12 h 30, 14 h – 19 h" or "Fermé"."""
    days = dict(WEEKDAY_CHOICES)
    rows = []
    for weekday in range(7):
        spans = [
            f"{format_clock(p.opens_at, space=NO_BREAK_SPACE)} – {format_clock(p.closes_at, space=NO_BREAK_SPACE)}"
            for p in merchant.opening_periods.all()
            if p.weekday == weekday
        ]
        rows.append((str(days[weekday]).capitalize(), ", ".join(spans) or _("Fermé")))
    return rows


# --- SEO ---------------------------------------------------------------------------------------
def json_ld_script(data: dict[str, Any]) -> SafeString:
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 - escaped above


def _absolute(request: HttpRequest, url: str) -> str:
    # On the town's public host, whichever of its hosts (or spelling of it) this request came on.
    return town_absolute_url(current_town(), url)


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context, *keep: str) -> str:
    """This page's URL on the town's public host, with only the parameters that change its content."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key in list(params):
        if key not in keep or not params.get(key) or (key == "page" and params.get(key) == "1"):
            del params[key]
    query = params.urlencode()
    return _absolute(request, request.path + (f"?{query}" if query else ""))


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, url: str) -> str:
    return _absolute(context["request"], url) if url else ""


@register.simple_tag(takes_context=True)
def merchant_json_ld(context: template.Context, merchant: Merchant) -> SafeString:
    request: HttpRequest = context["request"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(merchant.kind, "LocalBusiness"),
        "name": merchant.name,
        "url": _absolute(request, reverse("storefront:merchant", args=[merchant.slug])),
        "description": plain_text(merchant.description)[:500],
        "address": {
            "@type": "PostalAddress",
            "streetAddress": merchant.address_line,
            "postalCode": merchant.postcode,
            "addressLocality": merchant.city,
            "addressCountry": "FR",
        },
        "openingHoursSpecification": [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": f"https://schema.org/{WEEKDAYS_SCHEMA[period.weekday]}",
                "opens": period.opens_at.strftime("%H:%M"),
                "closes": period.closes_at.strftime("%H:%M"),
            }
            for period in merchant.opening_periods.all()
        ],
    }
    if merchant.latitude is not None and merchant.longitude is not None:
        data["geo"] = {"@type": "GeoCoordinates", "latitude": merchant.latitude, "longitude": merchant.longitude}
    if merchant.phone:
        data["telephone"] = merchant.phone
    if merchant.email:
        data["email"] = merchant.email
    if photo := _first_photo(merchant):
        data["image"] = _absolute(request, photo.image.url)
    return json_ld_script(data)


@register.simple_tag(takes_context=True)
def product_json_ld(context: template.Context, product: Product, photos: list[Photo]) -> SafeString:
    request: HttpRequest = context["request"]
    url = _absolute(request, reverse("storefront:product", args=[product.merchant.slug, product.slug]))
    variants = list(product.variants.all())
    if not product.merchant.sells_online:
        availability = "https://schema.org/InStoreOnly"
    elif not variants or any(variant.is_in_stock for variant in variants):
        availability = "https://schema.org/InStock"
    else:
        availability = "https://schema.org/OutOfStock"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "url": url,
        "description": plain_text(product.description)[:500],
        "image": [_absolute(request, photo.image.url) for photo in photos],
        "offers": {
            "@type": "Offer",
            "price": f"{Decimal(product.price_cents) / 100:.2f}",
            "priceCurrency": "EUR",
            "availability": availability,
            "url": url,
            "seller": {"@type": "LocalBusiness", "name": product.merchant.name},
        },
    }
    if product.category is not None:
        data["category"] = product.category.name
    if variants and variants[0].sku:
        data["sku"] = variants[0].sku
    return json_ld_script(data)
