"""The board's cards as HTML, built in Python.

Why not a template: a board shows up to ten columns of ``COLUMN_CAP`` cards, each with its move form; the
template engine spent ~1 ms per card resolving and localising a dozen variables (bench/onboarding_board.py:
p50 550 ms for 500 cards). Every translated label is looked up once per page here, every value escaped
once (``escape``): the same markup for a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import MerchantKind
from onboarding.board import BOARD_STEPS, Column, days_at_step
from onboarding.models import PATH, Step

_CARD = (
    '<li class="pipeline-card">'
    '<a class="pipeline-card-name" href="{url}">{name}</a>'
    '<span class="pipeline-card-meta">{meta}</span>{reason}'
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
    """Each column's cards (``<li>``s), by step value.

    What is the same on every card (labels, token, return address, a column's options) is escaped once;
    per card only the merchant's name and the meta line are escaped (``escape``, Django's own).
    """
    kinds = {value: str(label) for value, label in MerchantKind.choices}
    fixed = {
        "move": escape(_("Déplacer")),
        "to_label": escape(_("Nouvelle étape")),
        "reason_label": escape(_("Motif (pause ou refus)")),
        "csrf": escape(csrf_token),
        "back": escape(back),
    }
    base_url = escape(prospects_url)
    days_texts: dict[int, str] = {}
    rendered: dict[str, SafeString] = {}
    for column in columns:
        options = step_options(suggested_step(column.step.value))
        cards = []
        for card in column.cards:
            days = days_at_step(card, today)
            if days not in days_texts:
                days_texts[days] = ngettext("%(days)d jour", "%(days)d jours", days) % {"days": days}
            meta = [kinds.get(card.kind, card.kind), days_texts[days]]
            if card.agent_name:
                meta.append(card.agent_name)
            cards.append(
                _CARD.format(
                    url=f"{base_url}{int(card.prospect_id)}/",
                    name=escape(card.name),
                    meta=escape(" · ".join(meta)),
                    reason=f'<span class="pipeline-reason">{escape(card.reason)}</span>' if card.reason else "",
                    id=int(card.prospect_id),
                    options=options,
                    **fixed,
                )
            )
        rendered[column.step.value] = mark_safe("".join(cards))  # noqa: S308  (every value above is escaped)
    return rendered
