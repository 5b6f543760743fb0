"""Reads of the pipeline pages, for the town's admins and agents: the board's columns, the filtered list,
counts per step, moves per week and the stalled prospects.

Every read goes through ``prospects_for`` / ``moves_for`` (nothing for anyone but town staff) and costs a
fixed number of queries whatever the number of prospects: the board takes the first cards of every
column in one windowed query, never one query per column or per card.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone

from accounts.models import AnyUser, User
from catalog.models import MerchantKind
from onboarding.models import PATH, OnboardingSettings, Prospect, ProspectMove, ProspectSource, Step
from onboarding.permissions import ONBOARDING_ROLES, is_onboarding_staff
from onboarding.queries import prospects_for
from tenants.current import town_local, town_zone

# The board's columns: the path in order, then the two steps off it.
BOARD_STEPS: tuple[Step, ...] = (*PATH, Step.PAUSED, Step.DECLINED)
# Steps whose prospects an agent is expected to move on; « En ligne », paused and declined ones never stall.
ACTIVE_STEPS: tuple[Step, ...] = PATH[:-1]
# Cards shown per column: with 1,000 prospects the board stays a light page; the rest is one link away.
COLUMN_CAP = 30
# The weeks the statistics go back (this one included).
STATISTICS_WEEKS = 12
# The fields a card or a list row shows, and nothing else (descriptions and search vectors stay in the database).
CARD_FIELDS = (
    "id",
    "step",
    "step_changed_at",
    "reason",
    "source",
    "agent_id",
    "merchant__id",
    "merchant__name",
    "merchant__slug",
    "merchant__kind",
    "merchant__siret",
    "merchant__status",
    "agent__id",
    "agent__email",
    "agent__first_name",
    "agent__last_name",
)


def onboarding_staff() -> QuerySet[User]:
    """The town's active admins and agents: who may follow a business (and receive the digest)."""
    return User.objects.filter(role__in=ONBOARDING_ROLES, is_active=True).order_by("first_name", "last_name", "email")


def agent_name(user: object) -> str:
    """How the pages name an agent (a user, or None): their name, else their address."""
    if not isinstance(user, User):
        return ""
    return user.get_full_name() or user.email


def moves_for(user: AnyUser) -> QuerySet[ProspectMove]:
    """The town's recorded moves, for its admins and agents; nothing for anyone else."""
    if not is_onboarding_staff(user):
        return ProspectMove.objects.none()
    return ProspectMove.objects.all()


def stalled_since(onboarding_settings: OnboardingSettings, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which a prospect still on the path, unmoved, counts as stalled."""
    return (now or timezone.now()) - dt.timedelta(days=onboarding_settings.stalled_after_days)


def stalled_condition(onboarding_settings: OnboardingSettings, now: dt.datetime | None = None) -> Q:
    """On the path (not live, not paused, not declined) with no move for ``stalled_after_days`` days."""
    return Q(step__in=ACTIVE_STEPS, step_changed_at__lt=stalled_since(onboarding_settings, now))


def stalled_prospects_for(
    user: AnyUser, onboarding_settings: OnboardingSettings, now: dt.datetime | None = None
) -> QuerySet[Prospect]:
    """The stalled prospects the user may see, the longest stalled first."""
    return (
        prospects_for(user)
        .select_related("agent")
        .only(*CARD_FIELDS)
        .filter(stalled_condition(onboarding_settings, now))
        .order_by("step_changed_at", "pk")
    )


def days_at_step(prospect: Prospect | Card, today: dt.date) -> int:
    """Whole days (town calendar) since the prospect reached its step."""
    return max(0, (today - town_local(prospect.step_changed_at).date()).days)


@dataclass(frozen=True)
class Card:
    """What a board card shows: plain values read in one query (no model instances for 300 cards)."""

    prospect_id: int
    name: str
    kind: str
    step_changed_at: dt.datetime
    agent_id: int | None
    agent_first_name: str | None
    agent_last_name: str | None
    agent_email: str | None
    reason: str = ""

    @property
    def agent_name(self) -> str:
        if self.agent_id is None:
            return ""
        full = f"{self.agent_first_name or ''} {self.agent_last_name or ''}".strip()
        return full or self.agent_email or ""


@dataclass
class Column:
    step: Step
    count: int
    cards: list[Card] = field(default_factory=list)

    @property
    def hidden_count(self) -> int:
        return max(0, self.count - len(self.cards))


def step_counts_for(user: AnyUser) -> dict[str, int]:
    """How many prospects stand at each step now (one query)."""
    rows = prospects_for(user).order_by().values_list("step").annotate(n=Count("pk")).values_list("step", "n")
    counts = dict.fromkeys(Step.values, 0)
    counts.update(dict(rows))
    return counts


def board_columns_for(user: AnyUser, *, cap: int | None = None) -> list[Column]:
    """One column per step with its count and its ``cap`` longest-waiting cards (two queries in all)."""
    cap = COLUMN_CAP if cap is None else cap
    counts = step_counts_for(user)
    ranked = (
        prospects_for(user)
        .annotate(rank=Window(RowNumber(), partition_by=[F("step")], order_by=[F("step_changed_at").asc(), F("pk")]))
        .filter(rank__lte=cap)
        .order_by("step_changed_at", "pk")
        .values_list(
            "step",
            "pk",
            "merchant__name",
            "merchant__kind",
            "step_changed_at",
            "agent_id",
            "agent__first_name",
            "agent__last_name",
            "agent__email",
            "reason",
        )
    )
    columns = {step.value: Column(step=step, count=counts[step.value]) for step in BOARD_STEPS}
    for step, prospect_id, name, kind, changed_at, agent_id, first_name, last_name, email, reason in ranked:
        columns[step].cards.append(
            Card(prospect_id, name, kind, changed_at, agent_id, first_name, last_name, email, reason)
        )
    return list(columns.values())


@dataclass(frozen=True)
class ProspectFilters:
    """What the list is filtered by (all optional)."""

    step: str = ""
    kind: str = ""
    agent: str = ""  # a user id, "none" (followed by nobody) or "" (anyone)
    source: str = ""
    stalled_only: bool = False
    text: str = ""


NO_AGENT = "none"


def filtered_prospects_for(
    user: AnyUser,
    filters: ProspectFilters,
    onboarding_settings: OnboardingSettings,
    now: dt.datetime | None = None,
) -> QuerySet[Prospect]:
    """The prospects matching ``filters``, by merchant name; a name or a SIRET (or its start) searched."""
    found = prospects_for(user).select_related("agent").only(*CARD_FIELDS)
    if filters.step in Step.values:
        found = found.filter(step=filters.step)
    if filters.kind in MerchantKind.values:
        found = found.filter(merchant__kind=filters.kind)
    if filters.source in ProspectSource.values:
        found = found.filter(source=filters.source)
    if filters.agent == NO_AGENT:
        found = found.filter(agent__isnull=True)
    elif filters.agent.isdigit():
        found = found.filter(agent_id=int(filters.agent))
    if filters.stalled_only:
        found = found.filter(stalled_condition(onboarding_settings, now))
    text = filters.text.strip()
    if text:
        digits = text.replace(" ", "")
        if digits.isdigit() and len(digits) >= 3:
            found = found.filter(Q(merchant__siret__startswith=digits) | Q(merchant__name__icontains=text))
        else:
            found = found.filter(merchant__name__icontains=text)
    return found.order_by("merchant__name", "pk")


@dataclass(frozen=True)
class WeekRow:
    monday: dt.date
    label: str  # "S49 2026"
    counts: tuple[int, ...]  # moves into each of BOARD_STEPS, in that order

    @property
    def total(self) -> int:
        return sum(self.counts)


def weekly_moves_for(user: AnyUser, *, weeks: int = STATISTICS_WEEKS, now: dt.datetime | None = None) -> list[WeekRow]:
    """Moves into each step per ISO week (Monday to Sunday, town time), the last ``weeks`` weeks, the
    latest first (one query)."""
    local_now = (now or timezone.now()).astimezone(town_zone())
    this_monday = local_now.date() - dt.timedelta(days=local_now.weekday())
    first_monday = this_monday - dt.timedelta(weeks=weeks - 1)
    start = dt.datetime.combine(first_monday, dt.time.min, tzinfo=town_zone())
    rows = (
        moves_for(user)
        .filter(moved_at__gte=start)
        .annotate(week=TruncWeek("moved_at", tzinfo=town_zone()))
        .order_by()
        .values_list("week", "to_step")
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[dt.date, str], int] = {}
    for week, to_step, n in rows:
        monday = week.astimezone(town_zone()).date() if isinstance(week, dt.datetime) else week
        counts[(monday, to_step)] = counts.get((monday, to_step), 0) + n
    result = []
    for index in range(weeks):
        monday = this_monday - dt.timedelta(weeks=index)
        iso_year, iso_week, _day = monday.isocalendar()
        result.append(
            WeekRow(
                monday=monday,
                label=f"S{iso_week:02d} {iso_year}",
                counts=tuple(counts.get((monday, step.value), 0) for step in BOARD_STEPS),
            )
        )
    return result
