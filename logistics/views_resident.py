"""The page of the link sent to a resident after a failed delivery: a new day, or collection at the hub."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog.formatting import format_clock, format_day
from logistics import rescheduling
from logistics.forms_courier import NewDayForm


def _by_day(choices: list[rescheduling.Choice]) -> list[tuple[str, list[rescheduling.Choice]]]:
    """The choices under their day (« mardi 8 décembre »), days in order."""
    days: dict[str, list[rescheduling.Choice]] = {}
    for choice in choices:
        days.setdefault(format_day(choice.date), []).append(choice)
    return list(days.items())


@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    delivery = rescheduling.delivery_from_token(token)
    if delivery is None:
        raise Http404("link")
    error = ""
    if request.method == "POST" and rescheduling.can_choose(delivery):
        form = NewDayForm(request.POST)
        choice = form.cleaned_data["choice"] if form.is_valid() else ""
        try:
            if choice == "hub":
                rescheduling.choose_collection_at_hub(delivery_id=delivery.pk)
            else:
                rescheduling.choose_new_day(delivery_id=delivery.pk, choice=choice)
        except ValidationError as refusal:
            error = refusal.messages[0]
        else:
            return redirect(request.path)
    delivery.refresh_from_db()
    context = {
        "delivery": delivery,
        "order": delivery.order,
        "can_choose": rescheduling.can_choose(delivery),
        "collected_at_hub": rescheduling.is_collected_at_hub(delivery),
        "days": _by_day(rescheduling.offered_choices()),
        "new_day": format_day(delivery.date),
        "window": f"{format_clock(delivery.window_start)} – {format_clock(delivery.window_end)}",
        "hub": rescheduling.collection_hub(),
        "error": error,
    }
    response = render(request, "logistics/resident/reschedule.html", context, status=400 if error else 200)
    response["Referrer-Policy"] = "same-origin"  # the token must not leak to another site (and POSTs keep their Origin)
    return response
