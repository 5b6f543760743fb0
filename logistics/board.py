"""The dispatcher board of a day: what it shows, and the edits dispatchers make on it.

Two dispatchers may have the same day open. Every edit names the ``Board.version`` its page
showed; the edit locks the day's ``Board`` row (``select_for_update``), so edits and re-plannings
of one day run one after another, and refuses with ``BoardConflict`` — changing nothing — when
the day moved on since that page was drawn. Every applied edit bumps the version (the planner's
``plan_rounds`` and ``insert_delivery`` bump it themselves).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from catalog.formatting import format_clock
from logistics import planner
from logistics.models import (
    Board,
    Delivery,
    DeliveryStatus,
    Plan,
    PlanStatus,
    Round,
    Stop,
    StopKind,
    StopStatus,
)
from logistics.planning import problem

# How the board words the planner's reason codes (logistics.planning.problem).
REASONS = {
    problem.OUT_OF_REACH: gettext_lazy("Hors de portée des véhicules du jour"),
    problem.NO_CAPACITY: gettext_lazy("Trop volumineuse pour les véhicules du jour"),
    problem.NO_TIME: gettext_lazy("Aucun service ne peut la livrer dans son créneau"),
    problem.RIDE_TOO_LONG: gettext_lazy("Produits frais : trajet trop long pour les services du jour"),
    problem.NOT_PLANNED: gettext_lazy("Pas de place dans les tournées (livreurs complets)"),
    # The planner's own codes (logistics/planner.py), for what it cannot even hand to the engine.
    "not_located": gettext_lazy("Adresse à vérifier"),
    "shop_not_located": gettext_lazy("Un commerce de la commande n'est pas placé sur la carte"),
    "shop_closed": gettext_lazy("Un commerce de la commande est fermé à l'heure du créneau"),
}
ADDRESS_TO_CHECK = gettext_lazy("Adresse à vérifier")
NOT_YET_PLANNED = gettext_lazy("Pas encore planifiée")
# One colour per courier on the map and the list (contrast ≥ 4.5:1 on white for the numbers).
COURIER_COLOURS = ("#1f5fa8", "#b3261e", "#2e7d32", "#6a3d9a", "#8a5a00", "#00695c", "#ad1457", "#37474f")
PLANS_SHOWN = 5
# Reason codes the planner may store that are not in the table (a future engine): shown as is.
_UNKNOWN_REASON = gettext_lazy("Non planifiée")


def reason_label(delivery: Delivery) -> str:
    """Why a delivery is not in a round, in French."""
    if delivery.needs_address_check or not delivery.is_located:
        return str(ADDRESS_TO_CHECK)
    if delivery.status == DeliveryStatus.TO_PLAN:
        return str(NOT_YET_PLANNED)
    return str(REASONS.get(delivery.unassigned_reason, _UNKNOWN_REASON))


# --- edits ---------------------------------------------------------------------------------------


class BoardConflict(Exception):
    """The day changed since the dispatcher's page was drawn: nothing was applied."""

    def __init__(self) -> None:
        super().__init__(
            _("Un autre répartiteur a modifié la journée : voici la version à jour, refaites votre changement.")
        )


class DispatchError(Exception):
    """An edit that cannot be made; the message is French, for the page."""


def board_version(date: dt.date) -> int:
    """The version of the day's board (0 before anything was planned)."""
    return Board.objects.filter(date=date).values_list("version", flat=True).first() or 0


def _locked_board(date: dt.date, version: int) -> Board:
    """The day's Board row, locked until the transaction ends; BoardConflict when it moved on."""
    try:
        with transaction.atomic():
            Board.objects.get_or_create(date=date)
    except IntegrityError:  # created meanwhile by another dispatcher: it exists now
        pass
    board = Board.objects.select_for_update().get(date=date)
    if board.version != version:
        raise BoardConflict
    return board


def _bump(board: Board) -> None:
    Board.objects.filter(pk=board.pk).update(version=F("version") + 1)


def set_round_locked(*, round_id: int, is_locked: bool, version: int, actor: User) -> Round:
    """Lock a round (re-planning keeps it as it is) or unlock it (re-planning may change it)."""
    with transaction.atomic():
        found = Round.objects.filter(pk=round_id).values_list("date", flat=True).first()
        if found is None:
            raise DispatchError(_("Cette tournée n'existe plus."))
        board = _locked_board(found, version)
        round_ = Round.objects.select_for_update().get(pk=round_id)
        round_.is_locked = is_locked
        round_.save(update_fields=["is_locked"])
        _bump(board)
    return round_


def set_stop_locked(*, stop_id: int, is_locked: bool, version: int, actor: User) -> Stop:
    """Lock a stop in its round and place (re-planning keeps it there) or unlock it."""
    with transaction.atomic():
        found = Stop.objects.filter(pk=stop_id).values_list("round__date", flat=True).first()
        if found is None:
            raise DispatchError(_("Cet arrêt n'existe plus : la journée a été replanifiée."))
        board = _locked_board(found, version)
        stop = Stop.objects.select_for_update().get(pk=stop_id)
        stop.is_locked = is_locked
        stop.save(update_fields=["is_locked"])
        _bump(board)
    return stop


def _check_movable(delivery: Delivery) -> None:
    """A delivery leaves its round only while nothing of it is done and nothing of it is locked."""
    for stop in Stop.objects.filter(delivery=delivery).select_related("round"):
        if stop.status != StopStatus.TODO:
            raise DispatchError(_("Le livreur a déjà commencé cette livraison : elle ne peut plus changer de tournée."))
        if stop.round.is_locked or stop.is_locked:
            raise DispatchError(_("Cette livraison est verrouillée dans sa tournée : déverrouillez-la d'abord."))


class _Rejected(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.pk)
        self.plan = plan


def _keep_in_journal(plan: Plan) -> None:
    """A rejected plan's row, written again after the rollback of the edit that produced it."""
    plan.pk = None
    plan.save(force_insert=True)


def move_delivery(*, delivery_id: int, round_id: int, version: int, actor: User) -> Plan:
    """Move a delivery (its pickups and its drop) to another round of the same day.

    The planner takes it off its round and inserts it into the chosen one without reordering the
    others; when it does not fit there, or the checker rejects the result, nothing changes.
    """
    try:
        with transaction.atomic():
            delivery = Delivery.objects.filter(pk=delivery_id).first()
            target = Round.objects.filter(pk=round_id).first()
            if delivery is None or target is None or target.date != delivery.date:
                raise DispatchError(_("Choisissez une tournée du même jour."))
            _locked_board(delivery.date, version)
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.status not in (DeliveryStatus.TO_PLAN, DeliveryStatus.PLANNED, DeliveryStatus.UNASSIGNED):
                raise DispatchError(_("Cette livraison n'est plus à planifier."))
            if target.finished_at is not None:
                raise DispatchError(_("Cette tournée est terminée."))
            if target.is_locked:
                raise DispatchError(_("La tournée choisie est verrouillée : déverrouillez-la d'abord."))
            _check_movable(delivery)
            try:
                plan = planner.insert_delivery(delivery_id=delivery.pk, round_id=target.pk, actor_id=actor.pk)
            except planner.MoveRefused as refusal:
                raise DispatchError(
                    _("Cette livraison ne tient pas dans la tournée choisie (%(reason)s) : rien n'a changé.")
                    % {"reason": str(REASONS.get(refusal.reason, _UNKNOWN_REASON)).lower()}
                ) from refusal
            if plan.status != PlanStatus.PUBLISHED:
                raise _Rejected(plan)
    except _Rejected as rejected:
        _keep_in_journal(rejected.plan)
        raise DispatchError(_rejected_message(rejected.plan)) from rejected
    return plan


def insert_delivery(*, delivery_id: int, version: int, actor: User) -> Plan:
    """Insert a delivery paid after the day was planned into the live plan (other rounds untouched)."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.filter(pk=delivery_id).first()
            if delivery is None:
                raise DispatchError(_("Cette livraison n'existe pas."))
            _locked_board(delivery.date, version)
            if delivery.status not in (DeliveryStatus.TO_PLAN, DeliveryStatus.UNASSIGNED):
                raise DispatchError(_("Cette livraison est déjà dans une tournée."))
            plan = planner.insert_delivery(delivery_id=delivery.pk, actor_id=actor.pk)
            if plan.status != PlanStatus.PUBLISHED:
                raise _Rejected(plan)
    except _Rejected as rejected:
        _keep_in_journal(rejected.plan)
        raise DispatchError(_rejected_message(rejected.plan)) from rejected
    return plan


def plan_day(*, date: dt.date, version: int, actor: User) -> Plan:
    """Plan (or re-plan) the day: locked rounds and rounds under way stay as they are.

    A plan the checker rejects is kept in the journal and changes no round.
    """
    with transaction.atomic():
        _locked_board(date, version)
        return planner.plan_rounds(date=date, actor_id=actor.pk, trigger="button")


def _rejected_message(plan: Plan) -> str:
    return _("Le contrôle a refusé le plan calculé (%(problems)s) : rien n'a changé.") % {
        "problems": "; ".join(str(item) for item in plan.problems[:3]) or _("raison inconnue")
    }


def plan_outcome_message(plan: Plan) -> tuple[bool, str]:
    """(is_success, French sentence) telling the dispatcher what a planning did."""
    if plan.status == PlanStatus.PUBLISHED:
        left = len(plan.unassigned)
        if left:
            return True, _(
                "Journée planifiée : %(served)d livraisons dans les tournées, %(left)d non planifiées (voir la liste)."
            ) % {"served": plan.served, "left": left}
        return True, _("Journée planifiée : %(served)d livraisons dans les tournées.") % {"served": plan.served}
    if plan.status == PlanStatus.REJECTED:
        return False, _rejected_message(plan)
    return False, _("Le calcul des tournées a échoué : les tournées affichées n'ont pas changé.")


# --- the page --------------------------------------------------------------------------------------


@dataclass
class StopRow:
    stop: Stop
    number: int  # 1, 2, … in the courier's order (reloads included)
    title: str
    address: str
    window: tuple[dt.time, dt.time] | None
    latitude: float | None
    longitude: float | None


@dataclass
class RoundRow:
    round: Round
    colour_index: int
    courier_name: str
    stops: list[StopRow]
    parcels: int
    kilograms: float
    distance_km: float
    delivery_ids: list[int] = field(default_factory=list)
    move_choices: list[tuple[int, str]] = field(default_factory=list)  # the other rounds its deliveries may go to

    @property
    def is_editable(self) -> bool:
        return not self.round.is_locked and self.round.finished_at is None


@dataclass
class WaitingRow:
    delivery: Delivery
    reason: str
    is_late: bool  # paid after the day was planned: insert it into the live plan


@dataclass
class DayBoard:
    date: dt.date
    version: int
    rounds: list[RoundRow]
    waiting: list[WaitingRow]
    plans: list[Plan]
    has_plan: bool
    map_data: dict[str, Any]

    @property
    def round_choices(self) -> list[tuple[int, str]]:
        return [
            (row.round.pk, f"{row.courier_name}, {format_clock(row.round.starts_at)}–{format_clock(row.round.ends_at)}")
            for row in self.rounds
            if row.is_editable
        ]


def _person(user: User) -> str:
    return user.get_full_name() or user.email


def _drop_title(delivery: Delivery) -> str:
    order = delivery.order
    return f"{order.first_name} {order.last_name}".strip()


def _stop_row(stop: Stop, number: int, hub: tuple[str, str, float, float]) -> StopRow:
    if stop.kind == StopKind.PICKUP and stop.part is not None:
        merchant = stop.part.merchant_order.merchant
        return StopRow(
            stop,
            number,
            merchant.name,
            " ".join(part for part in (merchant.address_line, merchant.city) if part),
            None,
            float(merchant.latitude) if merchant.latitude is not None else None,
            float(merchant.longitude) if merchant.longitude is not None else None,
        )
    if stop.kind == StopKind.DROP and stop.delivery is not None:
        delivery = stop.delivery
        return StopRow(
            stop,
            number,
            _drop_title(delivery),
            delivery.order.delivery_address_label,
            (delivery.window_start, delivery.window_end),
            delivery.latitude,
            delivery.longitude,
        )
    return StopRow(stop, number, hub[0], hub[1], None, hub[2], hub[3])


def day_board(date: dt.date) -> DayBoard:
    """Everything the board shows for a day, in a fixed number of queries whatever its size."""
    version = board_version(date)
    stops = Stop.objects.select_related("delivery__order", "part__merchant_order__merchant", "part__delivery").order_by(
        "position"
    )
    rounds = list(
        Round.objects.filter(date=date)
        .select_related("courier", "vehicle__vehicle_type", "vehicle__hub")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("courier__last_name", "courier__first_name", "courier_id", "starts_at", "pk")
    )
    colours: dict[int, int] = {}
    round_rows = []
    map_rounds = []
    for round_ in rounds:
        colour_index = colours.setdefault(round_.courier_id, len(colours) % len(COURIER_COLOURS))
        colour = COURIER_COLOURS[colour_index]
        hub_model = round_.vehicle.hub
        hub = (hub_model.name, hub_model.address, hub_model.latitude, hub_model.longitude)
        rows = [_stop_row(stop, index + 1, hub) for index, stop in enumerate(round_.stops.all())]
        drops = [row.stop.delivery for row in rows if row.stop.kind == StopKind.DROP and row.stop.delivery]
        courier_name = _person(round_.courier)
        round_rows.append(
            RoundRow(
                round_,
                colour_index,
                courier_name,
                rows,
                parcels=sum(delivery.parcels for delivery in drops),
                kilograms=round(sum(delivery.grams for delivery in drops) / 1000, 1),
                distance_km=round(round_.distance_m / 1000, 1),
                delivery_ids=[delivery.pk for delivery in drops],
            )
        )
        map_rounds.append(
            {
                "colour": colour,
                "courier": courier_name,
                "hub": [hub[2], hub[3], hub[0]],
                "stops": [
                    [row.latitude, row.longitude, row.number, row.title]
                    for row in rows
                    if row.latitude is not None and row.longitude is not None and row.stop.kind != StopKind.RELOAD
                ],
            }
        )
    plans = list(Plan.objects.filter(date=date).select_related("created_by")[:PLANS_SHOWN])
    has_plan = any(plan.status == PlanStatus.PUBLISHED for plan in plans) or bool(rounds)
    waiting = [
        WaitingRow(delivery, reason_label(delivery), is_late=has_plan and delivery.status == DeliveryStatus.TO_PLAN)
        for delivery in Delivery.objects.filter(
            date=date, status__in=(DeliveryStatus.TO_PLAN, DeliveryStatus.UNASSIGNED)
        ).select_related("order")
    ]
    day = DayBoard(
        date=date,
        version=version,
        rounds=round_rows,
        waiting=waiting,
        plans=plans,
        has_plan=has_plan,
        map_data={"rounds": map_rounds},
    )
    for row in round_rows:
        row.move_choices = [choice for choice in day.round_choices if choice[0] != row.round.pk]
    return day
