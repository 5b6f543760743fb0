"""What a courier does on their round, as the courier app sends it: collect at a shop, deliver, fail.

Who may see what: ``require_courier`` (an active user with the courier role), then
``rounds_of_today_for`` and ``get_stop_for`` (404 for a stop of another courier's round). Every
action comes with a key chosen on the phone (``CourierAction.key``, unique): the phone queues its
actions while offline and sends them again when the network returns, possibly twice, so the first
request with a key applies the action and records its outcome; any later one with the same key
only reads that outcome back (``Outcome.replayed``). The key's row is inserted before the action is
applied, in the same transaction: a concurrent duplicate waits on the unique index, then replays.

An action refused (wrong code, photo refused) leaves nothing behind, not even its key: the courier
corrects and sends again.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AnyUser, Role, User
from accounts.ratelimit import is_over_limit
from checkout.actions import Actor, mark_delivered
from logistics import courier_messages
from logistics.models import (
    CourierAction,
    Delivery,
    DeliveryPart,
    DeliveryStatus,
    FailureReason,
    LogisticsSettings,
    PartStatus,
    ProofMode,
    Round,
    Stop,
    StopKind,
    StopStatus,
)
from tenants.current import town_today
from tenants.images import clean_image
from tenants.private_files import private_storage, random_private_name

# Outcomes recorded on CourierAction (max 20 characters).
COLLECTED = "collected"
ALREADY_COLLECTED = "already_collected"
DELIVERED = "delivered"
ALREADY_DELIVERED = "already_delivered"
FAILED = "failed"
RELOADED = "reloaded"

# A signature is SVG path data drawn on the phone: moves and lines with numbers, nothing else.
SIGNATURE_PATTERN = re.compile(r"[MLml][\d\s.,\-MLml]*")
MAX_SIGNATURE_CHARS = 20_000
MIN_SIGNATURE_POINTS = 5
# Six digits are a million tries: a phone may try a delivery's door code this often per hour.
DOOR_CODE_TRIES_PER_HOUR = 5


@dataclass(frozen=True)
class Outcome:
    """What an action did, or did the first time its key was sent (``replayed``)."""

    outcome: str
    stop_id: int | None
    replayed: bool = False

    @property
    def message(self) -> str:
        return outcome_message(self.outcome)


def outcome_message(outcome: str) -> str:
    return {
        COLLECTED: _("Colis retirés."),
        ALREADY_COLLECTED: _("Déjà retiré."),
        DELIVERED: _("Livraison enregistrée."),
        ALREADY_DELIVERED: _("Déjà livrée."),
        FAILED: _("Échec enregistré : le colis retourne au dépôt."),
        RELOADED: _("Passage au dépôt enregistré."),
    }.get(outcome, "")


# --- who sees what ------------------------------------------------------------------------------
def is_courier(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.COURIER)


def require_courier(user: AnyUser) -> None:
    """403 for anybody signed in who is not an active courier."""
    if not is_courier(user):
        raise PermissionDenied


def stops_with_their_targets() -> QuerySet[Stop]:
    return Stop.objects.select_related(
        "delivery__order", "part__merchant_order__merchant", "round__vehicle__hub"
    ).order_by("position")


def rounds_of_today_for(user: AnyUser, *, today: dt.date | None = None) -> list[Round]:
    """The courier's own rounds of the town's today, in order, each with its stops in order."""
    if not is_courier(user):
        return []
    return list(
        Round.objects.filter(courier_id=user.pk, date=today or town_today())
        .select_related("vehicle__hub", "vehicle__vehicle_type")
        .prefetch_related(Prefetch("stops", queryset=stops_with_their_targets()))
        .order_by("starts_at", "pk")
    )


def get_stop_for(user: AnyUser, stop_id: int) -> Stop:
    """404 (never 403) for a stop that is not on one of this courier's rounds."""
    stop = (
        stops_with_their_targets().filter(pk=stop_id, round__courier_id=user.pk).first() if is_courier(user) else None
    )
    if stop is None:
        raise Http404(stop_id)
    return stop


def proof_kinds_allowed(mode: str | None = None) -> list[str]:
    """The proofs the town accepts at the door (``LogisticsSettings.proof_mode``)."""
    mode = mode or LogisticsSettings.current().proof_mode
    if mode == ProofMode.ANY:
        return [ProofMode.PHOTO, ProofMode.SIGNATURE, ProofMode.CODE]
    return [mode]


# --- the key: one application per key --------------------------------------------------------------
def _claim_key(*, key: uuid.UUID, courier: User, kind: str, stop: Stop) -> CourierAction | Outcome:
    """Inside the caller's transaction: the new action's row, or the first outcome of a key already used."""
    try:
        with transaction.atomic():
            return CourierAction.objects.create(key=key, courier=courier, kind=kind, stop=stop)
    except IntegrityError:
        first = CourierAction.objects.filter(key=key, courier=courier).first()
        if first is None:  # another courier's key: nothing to say about it
            raise Http404(str(key)) from None
        return Outcome(outcome=first.outcome, stop_id=first.stop_id, replayed=True)


def _locked_stop(courier: User, stop_id: int) -> Stop:
    stop = Stop.objects.select_for_update().filter(pk=stop_id, round__courier=courier).first()
    if stop is None:
        raise Http404(stop_id)
    return stop


def _stop_done(stop: Stop, status: str, now: dt.datetime) -> None:
    stop.status, stop.done_at = status, now
    stop.save(update_fields=["status", "done_at"])
    round_ = Round.objects.select_for_update().get(pk=stop.round_id)
    fields = []
    if round_.started_at is None:
        round_.started_at = now
        fields.append("started_at")
    if not round_.stops.filter(status=StopStatus.TODO).exists():
        round_.finished_at = now
        fields.append("finished_at")
    if fields:
        round_.save(update_fields=fields)


def _run(
    *, courier: User, key: uuid.UUID, kind: str, stop_id: int, apply: Callable[[Stop, dt.datetime], str]
) -> Outcome:
    require_courier(courier)
    with transaction.atomic():
        stop = _locked_stop(courier, stop_id)
        claimed = _claim_key(key=key, courier=courier, kind=kind, stop=stop)
        if isinstance(claimed, Outcome):
            return claimed
        outcome = apply(stop, timezone.now())
        claimed.outcome = outcome
        claimed.save(update_fields=["outcome"])
        return Outcome(outcome=outcome, stop_id=stop.pk)


# --- at a shop ---------------------------------------------------------------------------------
def normalise_code(typed: str) -> str:
    """What was typed or scanned, as a code: no spaces or dashes, upper case; a scanned link's last part."""
    text = (typed or "").strip()
    if "/" in text or "=" in text:  # a QR code holding a link: the code is its last segment or value
        text = re.split(r"[/=]", text.rstrip("/"))[-1]
    return re.sub(r"[\s\-]", "", text).upper()


def codes_match(typed: str, expected: str) -> bool:
    """Constant-time comparison (no timing hint about how many characters were right)."""
    return bool(expected) and hmac.compare_digest(normalise_code(typed).encode(), expected.strip().upper().encode())


def collect_part(*, courier: User, key: uuid.UUID, stop_id: int, code: str) -> Outcome:
    """The courier took a shop's part, proved by the code of the shop's ticket: part collected, stop done.

    The same pickup confirmed again (another key) is no error: « Déjà retiré », nothing changes.
    """

    def apply(stop: Stop, now: dt.datetime) -> str:
        if stop.kind != StopKind.PICKUP or stop.part_id is None:
            raise ValidationError(_("Cet arrêt n'est pas un retrait."), code="kind")
        part = DeliveryPart.objects.select_for_update().get(pk=stop.part_id)
        if not codes_match(code, part.collect_code):
            raise ValidationError(
                _("Ce code ne correspond pas à cette commande. Vérifiez le ticket du commerce."), code="wrong_code"
            )
        if part.status == PartStatus.COLLECTED:
            if stop.status == StopStatus.TODO:
                _stop_done(stop, StopStatus.DONE, now)
            return ALREADY_COLLECTED
        if part.status == PartStatus.REFUSED:
            raise ValidationError(_("Le commerce a refusé cette commande : rien à retirer."), code="refused")
        part.status, part.collected_at = PartStatus.COLLECTED, now
        part.save(update_fields=["status", "collected_at"])
        Delivery.objects.filter(pk=part.delivery_id, status__in=(DeliveryStatus.PLANNED,)).update(
            status=DeliveryStatus.ON_THE_WAY, updated_at=now
        )
        _stop_done(stop, StopStatus.DONE, now)
        return COLLECTED

    return _run(courier=courier, key=key, kind="collect", stop_id=stop_id, apply=apply)


# --- at the door -------------------------------------------------------------------------------
def clean_signature(path_data: str) -> str:
    """SVG path data of moves and lines only, within size limits; ValidationError otherwise."""
    path_data = (path_data or "").strip()
    if not path_data:
        raise ValidationError(_("Faites signer l'habitant dans le cadre."), code="no_signature")
    if len(path_data) > MAX_SIGNATURE_CHARS or not SIGNATURE_PATTERN.fullmatch(path_data):
        raise ValidationError(_("Cette signature n'est pas lisible : effacez-la et recommencez."), code="bad_signature")
    if len(re.findall(r"-?\d+(?:\.\d+)?", path_data)) < 2 * MIN_SIGNATURE_POINTS:
        raise ValidationError(_("Signature trop courte : faites signer l'habitant dans le cadre."), code="short")
    return path_data


@dataclass(frozen=True)
class Proof:
    kind: str  # a ProofMode other than ANY
    photo: IO[bytes] | None = None
    photo_size: int | None = None
    signature: str = ""
    code: str = ""


def _store_photo(photo: IO[bytes], size: int | None) -> str:
    cleaned = clean_image(photo, size=size, max_side=1600)  # the product photos' checks; EXIF gone
    return private_storage().save(random_private_name("proofs", f"proof.{cleaned.extension}"), cleaned.content)


def _check_proof(proof: Proof, delivery: Delivery) -> dict[str, str]:
    """The fields to record, once the proof is checked; ValidationError with a French message otherwise."""
    if proof.kind not in proof_kinds_allowed():
        raise ValidationError(_("Cette preuve n'est pas celle que demande la ville."), code="proof_kind")
    if proof.kind == ProofMode.CODE:
        if is_over_limit(
            scope="courier-door-code", client=str(delivery.pk), limit=DOOR_CODE_TRIES_PER_HOUR, window_seconds=3600
        ):
            raise ValidationError(
                _("Trop d'essais de code pour cette livraison : prenez une photo ou faites signer."), code="tries"
            )
        if not codes_match(proof.code, delivery.door_code):
            raise ValidationError(
                _("Code incorrect. Demandez à l'habitant le code à 6 chiffres reçu avec sa commande."),
                code="wrong_code",
            )
        return {}
    if proof.kind == ProofMode.SIGNATURE:
        return {"proof_signature": clean_signature(proof.signature)}
    if proof.photo is None:
        raise ValidationError(_("Prenez une photo du colis déposé."), code="no_photo")
    return {"proof_photo": "pending"}


def deliver(*, courier: User, key: uuid.UUID, stop_id: int, proof: Proof) -> Outcome:
    """The resident has their parcels, with the town's proof: delivery delivered, each shop's part too
    (``checkout.actions.mark_delivered``: the merchant order is delivered and the ledger's hold starts)."""
    # The photo is checked and stored before the transaction: decoding takes a while and holds no lock.
    stop_preview = get_stop_for(courier, stop_id)
    photo_name = ""
    if (
        proof.kind == ProofMode.PHOTO
        and proof.photo is not None
        and proof.kind in proof_kinds_allowed()
        and not CourierAction.objects.filter(key=key).exists()  # a replay: the first photo was kept
    ):
        photo_name = _store_photo(proof.photo, proof.photo_size)

    def apply(stop: Stop, now: dt.datetime) -> str:
        if stop.kind != StopKind.DROP or stop.delivery_id is None:
            raise ValidationError(_("Cet arrêt n'est pas une livraison."), code="kind")
        delivery = Delivery.objects.select_for_update().get(pk=stop.delivery_id)
        if delivery.status == DeliveryStatus.DELIVERED:
            if stop.status == StopStatus.TODO:
                _stop_done(stop, StopStatus.DONE, now)
            return ALREADY_DELIVERED
        if delivery.status not in (DeliveryStatus.PLANNED, DeliveryStatus.ON_THE_WAY):
            raise ValidationError(_("Cette livraison n'est plus à faire."), code="state")
        parts = list(delivery.parts.select_for_update().exclude(status=PartStatus.REFUSED))
        # A part back at the hub after a failed attempt is loaded there (the planner makes no pickup for it).
        missing = [part for part in parts if part.status not in (PartStatus.COLLECTED, PartStatus.AT_HUB)]
        if missing:
            raise ValidationError(_("Retirez d'abord tous les colis de cette livraison."), code="not_collected")
        fields = _check_proof(proof, delivery)
        if photo_name:
            fields["proof_photo"] = photo_name
        for name, value in fields.items():
            setattr(delivery, name, value)
        delivery.status, delivery.delivered_at, delivery.proof_kind = DeliveryStatus.DELIVERED, now, proof.kind
        delivery.save(update_fields=[*fields, "status", "delivered_at", "proof_kind", "updated_at"])
        actor = Actor(kind="courier", user_id=courier.pk)
        for part in parts:
            mark_delivered(merchant_order_id=part.merchant_order_id, actor=actor)
        _stop_done(stop, StopStatus.DONE, now)
        return DELIVERED

    try:
        return _run(courier=courier, key=key, kind="deliver", stop_id=stop_preview.pk, apply=apply)
    except BaseException:
        if photo_name:
            private_storage().delete(photo_name)
        raise


def fail_delivery(*, courier: User, key: uuid.UUID, stop_id: int, reason: str, note: str = "") -> Outcome:
    """Nobody took the parcels (absent, refused, wrong address, damaged): delivery failed, one more attempt
    counted, the collected parts back to the hub, and the resident told with a link to choose what next."""
    if reason not in FailureReason.values:
        raise ValidationError(_("Choisissez la raison de l'échec."), code="reason")

    def apply(stop: Stop, now: dt.datetime) -> str:
        if stop.kind != StopKind.DROP or stop.delivery_id is None:
            raise ValidationError(_("Cet arrêt n'est pas une livraison."), code="kind")
        delivery = Delivery.objects.select_for_update().get(pk=stop.delivery_id)
        if delivery.status not in (DeliveryStatus.PLANNED, DeliveryStatus.ON_THE_WAY):
            raise ValidationError(_("Cette livraison n'est plus à faire."), code="state")
        delivery.status, delivery.failed_at = DeliveryStatus.FAILED, now
        delivery.failure_reason, delivery.failure_note = reason, note.strip()[:300]
        delivery.attempts += 1
        delivery.save(update_fields=["status", "failed_at", "failure_reason", "failure_note", "attempts", "updated_at"])
        delivery.parts.filter(status=PartStatus.COLLECTED).update(status=PartStatus.AT_HUB)
        _stop_done(stop, StopStatus.FAILED, now)
        courier_messages.tell_resident_delivery_failed(delivery)
        return FAILED

    return _run(courier=courier, key=key, kind="fail", stop_id=stop_id, apply=apply)


def reload_done(*, courier: User, key: uuid.UUID, stop_id: int) -> Outcome:
    """The courier went through the hub (reload stop)."""

    def apply(stop: Stop, now: dt.datetime) -> str:
        if stop.kind != StopKind.RELOAD:
            raise ValidationError(_("Cet arrêt n'est pas un passage au dépôt."), code="kind")
        if stop.status == StopStatus.TODO:
            _stop_done(stop, StopStatus.DONE, now)
        return RELOADED

    return _run(courier=courier, key=key, kind="reload", stop_id=stop_id, apply=apply)


# --- what the app shows ------------------------------------------------------------------------
@dataclass(frozen=True)
class StopView:
    """One stop as the courier sees it, for the page and its JSON."""

    id: int
    position: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    name: str
    address: str
    instructions: str
    phone_link: str
    phone: str
    window: str
    eta: str
    parcels: int
    chilled: bool
    geo_link: str
    map_link: str
    for_whom: str  # a pickup: the resident whose order it is

    @property
    def is_todo(self) -> bool:
        return self.status == StopStatus.TODO

    def as_json(self) -> dict[str, object]:
        return {field: getattr(self, field) for field in self.__dataclass_fields__}


def navigation_links(
    latitude: float | None, longitude: float | None, address: str, *, by_bike: bool
) -> tuple[str, str]:
    """(geo: URI for the phone's own map app, OpenStreetMap directions on the web)."""
    from urllib.parse import quote

    if latitude is None or longitude is None:
        return f"geo:0,0?q={quote(address)}", f"https://www.openstreetmap.org/search?query={quote(address)}"
    point = f"{float(latitude):.6f},{float(longitude):.6f}"
    engine = "fossgis_osrm_bike" if by_bike else "fossgis_osrm_car"
    return (
        f"geo:{point}?q={point}({quote(address)})",
        f"https://www.openstreetmap.org/directions?engine={engine}&route=%3B{quote(point)}",
    )


def describe_stop(stop: Stop, round_: Round) -> StopView:
    from catalog.formatting import format_address, format_clock, tel_link

    hub = round_.vehicle.hub
    by_bike = round_.vehicle.vehicle_type.is_bike
    window = eta = instructions = for_whom = phone = ""
    latitude: float | None
    longitude: float | None
    if stop.kind == StopKind.DROP and stop.delivery is not None:
        delivery, order = stop.delivery, stop.delivery.order
        name = f"{order.first_name} {order.last_name}".strip()
        address = format_address(order.delivery_address_label, order.delivery_postcode, order.delivery_city)
        instructions, phone = order.delivery_instructions, order.phone
        window = f"{format_clock(delivery.window_start)} – {format_clock(delivery.window_end)}"
        parcels, chilled = delivery.parcels, delivery.chilled
        latitude, longitude = delivery.latitude, delivery.longitude
        if delivery.eta_start and delivery.eta_end:
            eta = f"{format_clock(delivery.eta_start)} – {format_clock(delivery.eta_end)}"
    elif stop.kind == StopKind.PICKUP and stop.part is not None:
        part, resident_order = stop.part, stop.delivery.order if stop.delivery else None
        merchant = part.merchant_order.merchant
        for_whom = f"{resident_order.first_name} {resident_order.last_name}".strip() if resident_order else ""
        parcels, chilled = part.parcels, part.chilled
        if part.status == PartStatus.AT_HUB:  # brought back after a failed attempt: it waits at the hub
            name, address, latitude, longitude = hub.name, hub.address, hub.latitude, hub.longitude
        else:
            name, address, phone = merchant.name, merchant.postal_address, merchant.phone
            latitude = float(merchant.latitude) if merchant.latitude is not None else None
            longitude = float(merchant.longitude) if merchant.longitude is not None else None
    else:
        name, address, parcels, chilled = hub.name, hub.address, 0, False
        latitude, longitude = hub.latitude, hub.longitude
    geo_link, map_link = navigation_links(latitude, longitude, address, by_bike=by_bike)
    return StopView(
        id=stop.pk,
        position=stop.position,
        kind=stop.kind,
        kind_label=stop.get_kind_display(),
        status=stop.status,
        status_label=stop.get_status_display(),
        name=name,
        address=address,
        instructions=instructions,
        phone=phone,
        phone_link=tel_link(phone) if phone else "",
        window=window,
        eta=eta or format_clock(stop.arrives_at),
        parcels=parcels,
        chilled=chilled,
        geo_link=geo_link,
        map_link=map_link,
        for_whom=for_whom,
    )
