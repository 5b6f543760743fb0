"""The courier app, at /livreur/: today's round on a phone, usable offline.

Every stop comes from ``logistics.courier.get_stop_for(user, ...)`` (404 for another courier's stop)
and every change goes through ``logistics.courier``'s actions, which apply each phone-chosen key once.
Actions answer JSON to the app's script (``Accept: application/json``) and redirect back to the round
otherwise, so the page works without JavaScript too (online only, then).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.requests import AuthenticatedRequest, signed_in_view
from catalog.formatting import format_clock
from logistics import courier
from logistics.forms_courier import CollectForm, DeliverForm, FailForm, KeyedForm, ReloadForm
from logistics.models import FailureReason, LogisticsSettings
from tenants.current import town_today

# Anonymous → login page; signed in without the courier role → 403.
courier_view = signed_in_view(courier.require_courier)


def _rounds(user: User) -> list[dict[str, object]]:
    return [
        {
            "round": round_,
            "hours": f"{format_clock(round_.starts_at)} – {format_clock(round_.ends_at)}",
            "stops": [courier.describe_stop(stop, round_) for stop in round_.stops.all()],
        }
        for round_ in courier.rounds_of_today_for(user)
    ]


def _script_texts() -> dict[str, str]:
    """The words of courier.js, translated here."""
    return {
        "todo": _("À faire"),
        "done": _("Fait"),
        "failed": _("Échec"),
        "pending": _("En attente d'envoi"),
        "waiting": _("Actions en attente d'envoi : %(count)s."),
        "sending": _("Envoi en cours…"),
        "savedOffline": _("Hors ligne : action gardée sur le téléphone, elle sera envoyée au retour du réseau."),
        "login": _("Reconnectez-vous pour envoyer les actions en attente : elles restent gardées sur le téléphone."),
        "tooLarge": _("Photo trop lourde : reprenez-la."),
        "notFound": _("Cet arrêt ne fait plus partie de votre tournée."),
        "refused": _("Action refusée : recommencez."),
        "noSignature": _("Faites signer l'habitant dans le cadre."),
        "noPhoto": _("Prenez une photo du colis déposé."),
        "noCode": _("Saisissez le code de l'habitant."),
        "noCamera": _("Caméra indisponible : saisissez le code du ticket."),
        "logoutWithPending": _(
            "Des actions ne sont pas encore envoyées. Si vous vous déconnectez, elles partiront à votre prochaine "
            "connexion. Se déconnecter quand même ?"
        ),
    }


@courier_view
@require_GET
def round_today(request: AuthenticatedRequest) -> HttpResponse:
    proof_mode = LogisticsSettings.current().proof_mode
    context = {
        "rounds": _rounds(request.user),
        "today": town_today(),
        "proof_kinds": courier.proof_kinds_allowed(proof_mode),
        "failure_reasons": FailureReason.choices,
        "new_key": uuid.uuid4,
        "texts": json.dumps(_script_texts()),
    }
    return render(request, "logistics/courier/round.html", context)


@courier_view
@require_GET
def round_json(request: AuthenticatedRequest) -> JsonResponse:
    """The round as data, cached by the service worker with the page; carries a fresh CSRF token for replays."""
    rounds = [
        {
            "id": entry["round"].pk,  # type: ignore[attr-defined]
            "starts_at": entry["round"].starts_at.isoformat(timespec="minutes"),  # type: ignore[attr-defined]
            "ends_at": entry["round"].ends_at.isoformat(timespec="minutes"),  # type: ignore[attr-defined]
            "vehicle": entry["round"].vehicle.name,  # type: ignore[attr-defined]
            "stops": [stop.as_json() for stop in entry["stops"]],  # type: ignore[attr-defined]
        }
        for entry in _rounds(request.user)
    ]
    return JsonResponse({"date": town_today().isoformat(), "rounds": rounds, "csrf_token": get_token(request)})


def _answer(request: HttpRequest, outcome: courier.Outcome | None, error: str = "") -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if wants_json:
        if outcome is None:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse(
            {"ok": True, "outcome": outcome.outcome, "message": outcome.message, "replayed": outcome.replayed}
        )
    if outcome is None:
        messages.error(request, error)
    else:
        messages.success(request, outcome.message)
    anchor = f"#arret-{outcome.stop_id}" if outcome and outcome.stop_id else ""
    return redirect(reverse("courier:round") + anchor)


def _first_error(form: KeyedForm) -> str:
    if "key" in form.errors:
        return _("Envoi incomplet : rechargez la page et recommencez.")
    return str(next(iter(form.errors.values()))[0])


def _stop_action(
    form_class: type[KeyedForm], run: Callable[[AuthenticatedRequest, int, KeyedForm], courier.Outcome]
) -> Callable[[HttpRequest, int], HttpResponse]:
    @courier_view
    @require_POST
    def view(request: AuthenticatedRequest, stop_id: int) -> HttpResponse:
        courier.get_stop_for(request.user, stop_id)  # 404 before anything is read
        form = form_class(request.POST, request.FILES)
        if not form.is_valid():
            return _answer(request, None, _first_error(form))
        try:
            outcome = run(request, stop_id, form)
        except ValidationError as refusal:
            return _answer(request, None, refusal.messages[0])
        return _answer(request, outcome)

    return view


collect = _stop_action(
    CollectForm,
    lambda request, stop_id, form: courier.collect_part(
        courier=request.user, key=form.cleaned_data["key"], stop_id=stop_id, code=form.cleaned_data["code"]
    ),
)


def _deliver(request: AuthenticatedRequest, stop_id: int, form: KeyedForm) -> courier.Outcome:
    data = form.cleaned_data
    photo = data.get("photo")
    proof = courier.Proof(
        kind=data["proof_kind"],
        photo=photo,
        photo_size=photo.size if photo is not None else None,
        signature=data.get("signature", ""),
        code=data.get("code", ""),
    )
    return courier.deliver(courier=request.user, key=data["key"], stop_id=stop_id, proof=proof)


deliver = _stop_action(DeliverForm, _deliver)
fail = _stop_action(
    FailForm,
    lambda request, stop_id, form: courier.fail_delivery(
        courier=request.user,
        key=form.cleaned_data["key"],
        stop_id=stop_id,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
    ),
)
reload = _stop_action(
    ReloadForm,
    lambda request, stop_id, form: courier.reload_done(
        courier=request.user, key=form.cleaned_data["key"], stop_id=stop_id
    ),
)


# --- installable, offline ----------------------------------------------------------------------
# What the service worker keeps for offline use: the page, its data and every file the page loads.
SHELL_FILES = (
    "css/site.css",
    "logistics/courier/courier.css",
    "logistics/courier/courier.js",
    "logistics/courier/queue.js",
    "logistics/courier/icon-192.png",
    "logistics/courier/icon-512.png",
    "js/site-menu.js",
)
# Bumped when the worker's own logic changes; the files' hashed names (in production) change the cache by themselves.
CACHE_VERSION = "1"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /livreur/ so that its scope is the app's; never cached by the browser's HTTP cache."""
    files = [static(name) for name in SHELL_FILES]
    digest = hashlib.sha256("\n".join([CACHE_VERSION, *files]).encode()).hexdigest()[:12]
    config = {
        "cacheName": f"courier-{digest}",
        "pages": [reverse("courier:round"), reverse("courier:round_json")],
        "files": files,
    }
    script = render_to_string("logistics/courier/sw.js", {"config": json.dumps(config)})
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installed from the round's page, it opens on it, full screen."""
    data = {
        "name": _("Livraisons du jour"),
        "short_name": _("Livreur"),
        "lang": "fr",
        "start_url": reverse("courier:round"),
        "scope": reverse("courier:round"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b3d91",
        "icons": [
            {"src": static("logistics/courier/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {
                "src": static("logistics/courier/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    return response
