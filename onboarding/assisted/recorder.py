"""Records each change made while a town agent acts for a merchant, with both identities.

Subscribed to the merchant-facing models' ``pre_save`` / ``post_save`` / ``post_delete`` from
``OnboardingConfig.ready()``: onboarding sits above catalog, checkout and settlement, so it names their
models here and none of them knows of assisted mode beyond ``accounts.assisted``. A row is written in
the same transaction as the change it describes (a change rolled back leaves no trace either).

Bulk writes (``QuerySet.update``, ``bulk_create``) send no signal: the middleware then records the form
the agent sent (``record_request``) when no creation or update was seen during that request, so a stock,
publication or opening-hours change made through such a path is still in the merchant's history, as
submitted. A view that mixes a signalled save with a bulk write of something else is the known limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest, HttpResponseBase

from accounts.assisted import Assisted, current_assisted
from catalog.models import Closure, Merchant, OpeningPeriod, Photo, Product, Variant
from checkout.models import MerchantOrder, OrderLine, StatusChange
from onboarding.assisted.models import AssistedChange, ChangeKind
from settlement.payouts.models import MerchantPayoutAccount

MASK = "•••"
VALUE_LENGTH = 200
# The models a merchant's screens change, and the fields whose values never go into the log.
TRACKED: dict[type[models.Model], frozenset[str]] = {
    Merchant: frozenset(),
    Product: frozenset(),
    Variant: frozenset(),
    Photo: frozenset(),
    OpeningPeriod: frozenset(),
    Closure: frozenset(),
    MerchantOrder: frozenset({"pickup_code", "courier_code"}),
    OrderLine: frozenset(),
    StatusChange: frozenset(),
    MerchantPayoutAccount: frozenset({"iban", "bic", "stripe_account_id"}),
}
# Form fields recorded by name only, never by value.
SECRET_WORDS = ("password", "iban", "bic", "token", "secret", "code")
_BEFORE = "_assisted_before"


@dataclass
class _Request:
    path: str
    changes_seen: int = 0
    saves_seen: int = 0  # creations and updates: deletions alone may be half of a replace-all

    @property
    def needs_the_form(self) -> bool:
        """No signal saw what this request wrote: nothing at all (a ``QuerySet.update``), or deletions only
        (a replace-all form such as opening hours deletes row by row, then ``bulk_create``s the new ones).
        """
        return self.saves_seen == 0


_request: ContextVar[_Request | None] = ContextVar("assisted_request", default=None)


@contextmanager
def recording(request: HttpRequest) -> Iterator[_Request]:
    """Count the changes recorded while serving ``request`` (and give them its path)."""
    state = _Request(path=request.path[:500])
    token = _request.set(state)
    try:
        yield state
    finally:
        _request.reset(token)


def _logged_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Plain columns worth a line in the history: not the key, not timestamps the database keeps."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and not isinstance(field, SearchVectorField)
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ]


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        text = str(value) if not isinstance(value, bool) else ("oui" if value else "non")
    elif isinstance(value, Decimal | dt.date | dt.time | dt.datetime):
        text = value.isoformat() if not isinstance(value, Decimal) else str(value)
    elif hasattr(value, "name"):  # a file
        text = str(value.name or "")
    else:
        text = str(value)
    return text[:VALUE_LENGTH]


def _values(instance: models.Model, fields: list[models.Field[Any, Any]]) -> dict[str, str | None]:
    return {field.attname: _as_text(getattr(instance, field.attname)) for field in fields}


def _write(assisted: Assisted, instance: models.Model, kind: str, changes: dict[str, Any]) -> None:
    state = _request.get()
    AssistedChange.objects.create(
        session_id=assisted.session_id,
        merchant_id=assisted.merchant_id,
        agent_id=assisted.agent_id,
        kind=kind,
        model_label=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_label=str(instance)[:200],
        changes=changes,
        path=state.path if state else "",
    )
    if state is not None:
        state.changes_seen += 1
        state.saves_seen += kind != ChangeKind.DELETE


def _masked(model: type[models.Model], changes: dict[str, list[str | None]]) -> dict[str, list[str | None]]:
    secret = TRACKED[model]
    return {
        name: [MASK, MASK] if name.removesuffix("_id") in secret or name in secret else pair
        for name, pair in changes.items()
    }


def remember_before(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if current_assisted() is None or instance.pk is None or instance._state.adding:
        return
    fields = _logged_fields(sender)
    before = sender._default_manager.filter(pk=instance.pk).values(*(field.attname for field in fields)).first()
    setattr(instance, _BEFORE, {name: _as_text(value) for name, value in before.items()} if before else None)


def record_save(sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any) -> None:
    assisted = current_assisted()
    if assisted is None:
        return
    after = _values(instance, _logged_fields(sender))
    before = instance.__dict__.pop(_BEFORE, None)
    if created or before is None:
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "")}
        _write(assisted, instance, ChangeKind.CREATE, _masked(sender, changes))
        return
    update_fields = kwargs.get("update_fields")
    changes = {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
        and (update_fields is None or name in update_fields or name.removesuffix("_id") in update_fields)
    }
    if changes:
        _write(assisted, instance, ChangeKind.UPDATE, _masked(sender, changes))


def record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    assisted = current_assisted()
    if assisted is None:
        return
    _write(assisted, instance, ChangeKind.DELETE, {})


def record_request(assisted: Assisted, request: HttpRequest, response: HttpResponseBase) -> None:
    """The form sent, when a write request while acting changed nothing a signal saw (a bulk update)."""
    submitted = {
        name: (MASK if any(word in name.lower() for word in SECRET_WORDS) else value[:VALUE_LENGTH])
        for name, value in request.POST.items()
        if name != "csrfmiddlewaretoken"
    }
    match = request.resolver_match
    AssistedChange.objects.create(
        session_id=assisted.session_id,
        merchant_id=assisted.merchant_id,
        agent_id=assisted.agent_id,
        kind=ChangeKind.REQUEST,
        object_id=str(next(iter(match.kwargs.values()), ""))[:64] if match else "",
        object_label=match.view_name[:200] if match else "",
        changes=submitted,
        path=request.path[:500],
    )


def connect_assisted_recorder() -> None:
    for model in TRACKED:
        uid = f"assisted-{model._meta.label_lower}"
        pre_save.connect(remember_before, sender=model, dispatch_uid=f"{uid}-before")
        post_save.connect(record_save, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(record_delete, sender=model, dispatch_uid=f"{uid}-delete")
