"""The board's cards as HTML, built in Python.

Why not a template: a board shows up to ten columns of ``COLUMN_CAP`` cards, each with its move form; the
template engine spent ~1 ms per card resolving and localising a dozen variables (bench/onboarding_board.py:
p50 550 ms for 500 cards). Every translated label is looked up once per page here, every value escaped
by ``format_html``: the same markup for a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import MerchantKind
from onboarding.board import BOARD_STEPS, Card, Column, days_at_step
from onboarding.models import PATH, Step

_CARD = (
    '<li class="pipeline-card">'
    '<a class="pipeline-card-name" href="{url}">{name}</a>'
    '<span class="pipeline-card-meta">{meta}</span>'
    '<details class="pipeline-move"><summary>{move}<span class="visually-hidden"> {name}</span></summary>'
    '<form method="post" action="{url}etape/">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{back}">'
    '<label for="to-{id}">{to_label}</label>'
    '<select id="to-{id}" name="to_step">{options}</select>'
    '<label for="reason-{id}">{reason_label}</label>'
    '<input id="reason-{id}" name="reason" maxlength="300">'
    '<button type="submit">{move}</button>'
    "</form></details></li>"
)


def suggested_step(step: str) -> str:
    """What a card's move form proposes: the next step of the path (the same step off the path)."""
    if step in PATH and step != PATH[-1]:
        return PATH[PATH.index(Step(step)) + 1].value
    return step


def step_options(selected: str) -> SafeString:
    """The ``<option>``s of a move form with ``selected`` chosen."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((step.value, mark_safe(" selected") if step.value == selected else "", step.label) for step in BOARD_STEPS),
    )


def render_cards(
    columns: Iterable[Column], *, prospects_url: str, back: str, csrf_token: str, today: dt.date
) -> dict[str, SafeString]:
    """Each column's cards (``<li>``s), by step value."""
    kinds = {value: str(label) for value, label in MerchantKind.choices}
    labels = {
        "move": _("Déplacer"),
        "to_label": _("Nouvelle étape"),
        "reason_label": _("Motif (pause ou refus)"),
    }
    days_texts: dict[int, str] = {}
    rendered: dict[str, SafeString] = {}
    for column in columns:
        options = step_options(suggested_step(column.step.value))
        cards = []
        for card in column.cards:
            cards.append(_card(card, kinds, labels, days_texts, options, prospects_url, back, csrf_token, today))
        rendered[column.step.value] = mark_safe("".join(cards))  # noqa: S308  (each card built by format_html)
    return rendered


def _card(
    card: Card,
    kinds: dict[str, str],
    labels: dict[str, str],
    days_texts: dict[int, str],
    options: SafeString,
    prospects_url: str,
    back: str,
    csrf_token: str,
    today: dt.date,
) -> str:
    days = days_at_step(card, today)
    if days not in days_texts:
        days_texts[days] = ngettext("%(days)d jour", "%(days)d jours", days) % {"days": days}
    parts = [kinds.get(card.kind, card.kind), days_texts[days]]
    if card.agent_name:
        parts.append(card.agent_name)
    return format_html(
        _CARD,
        url=f"{prospects_url}{card.prospect_id}/",
        name=card.name,
        meta=" · ".join(parts),
        id=card.prospect_id,
        csrf=csrf_token,
        back=back,
        options=options,
        **labels,
    )
