"""The assisted-mode history of a merchant, as its staff and the town's staff read it."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from catalog.formatting import format_price
from catalog.models import Merchant
from onboarding.assisted.models import AssistedChange, AssistedSession, ChangeKind

HISTORY_SESSIONS = 50
# The merchant screens' forms whose writes no model signal sees (bulk updates), by view name.
FORM_NAMES = {
    "backoffice:variant_stock": _("Stock d’une déclinaison"),
    "backoffice:product_publication": _("Publication d’un produit"),
    "backoffice:merchant_hours": _("Horaires d’ouverture"),
    "backoffice:merchant_images": _("Logo et photo de couverture"),
    "backoffice:photo_alt_text": _("Description d’une photo"),
    "backoffice:photo_move": _("Ordre des photos"),
}
# A formset's bookkeeping, not what the person typed.
_FORMSET_FIELDS = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class ChangeLine:
    change: AssistedChange
    what: str  # "Produit « Pain de campagne »" / "Action : backoffice:variant_stock"
    fields: list[FieldChange]


def _field_label(model_label: str, name: str) -> str:
    try:
        model = apps.get_model(model_label)
        # Shown as prices (« 2,50 € »), amounts in cents lose their « (centimes) ».
        return str(model._meta.get_field(name).verbose_name).removesuffix(" (centimes)")
    except (LookupError, FieldDoesNotExist, ValueError):
        return name


def _shown(name: str, value: str | None) -> str | None:
    """Amounts in cents read as prices (« 2,50 € »); every other value as recorded."""
    if value is not None and name.endswith("_cents") and value.lstrip("-").isdigit():
        return format_price(int(value))
    return value


def describe_change(change: AssistedChange) -> ChangeLine:
    """One line of the history: what was touched and each field's old and new value."""
    if change.kind == ChangeKind.REQUEST:
        fields = [
            FieldChange(label=name, old=None, new=str(value))
            for name, value in change.changes.items()
            if not name.endswith(_FORMSET_FIELDS)
        ]
        name = FORM_NAMES.get(change.object_label)
        return ChangeLine(change=change, what=f"{name} ({change.path})" if name else change.path, fields=fields)
    try:
        noun = str(apps.get_model(change.model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        noun = change.model_label
    fields = [
        FieldChange(label=_field_label(change.model_label, name), old=_shown(name, pair[0]), new=_shown(name, pair[1]))
        for name, pair in change.changes.items()
    ]
    return ChangeLine(change=change, what=f"{noun.capitalize()} « {change.object_label} »", fields=fields)


def assisted_history_of(merchant: Merchant) -> list[tuple[AssistedSession, list[ChangeLine]]]:
    """The merchant's latest assisted sessions, newest first, each with its changes in order (2 queries).

    The caller has the merchant from ``catalog.queries.get_merchant_for``: its staff, an agent acting
    for it, or the town's staff.
    """
    sessions = AssistedSession.objects.filter(merchant=merchant).prefetch_related(
        Prefetch("changes", queryset=AssistedChange.objects.order_by("at", "pk"))
    )[:HISTORY_SESSIONS]
    return [(session, [describe_change(change) for change in session.changes.all()]) for session in sessions]
