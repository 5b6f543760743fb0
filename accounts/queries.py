"""Reads of the town's people, with the checks that decide who may see them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.functional import Promise

from accounts.actions import COORDINATOR_GRANTED_ROLES, may_manage
from accounts.models import INVITABLE_ROLES, TOWN_STAFF_ROLES, AnyUser, AuditEntry, Invitation, Role, User
from accounts.signals import affiliations


def require_people_manager(user: AnyUser) -> None:
    """The people pages are for the town's admins and agents, and for delivery coordinators, who see
    the couriers only (who invites what is decided per role)."""
    if not (user.is_authenticated and user.is_active and user.role in (*TOWN_STAFF_ROLES, Role.DELIVERY_COORDINATOR)):
        raise PermissionDenied


def require_people_journal_reader(user: AnyUser) -> None:
    """The journal tells every change of every person: town admins and agents only."""
    if not (user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES):
        raise PermissionDenied


def visible_roles(user: AnyUser) -> tuple[str, ...]:
    """The roles whose people and invitations the user sees on the people pages."""
    if user.is_authenticated and user.role == Role.DELIVERY_COORDINATOR:
        return tuple(COORDINATOR_GRANTED_ROLES)
    return tuple(INVITABLE_ROLES)


@dataclass(frozen=True)
class PersonRow:
    person: User
    merchants: list[str]


def people_for(user: AnyUser, *, role: str = "") -> QuerySet[User]:
    """The town's back-office people (not residents), admins first (for a page of ``person_rows``)."""
    require_people_manager(user)
    people = User.objects.filter(role__in=visible_roles(user))
    if role:
        people = people.filter(role=role)
    return people.order_by("role", "last_name", "first_name", "email")


def person_rows(people: Iterable[User]) -> list[PersonRow]:
    """Each person (a page of ``people_for``) with the merchants they work for, in one query."""
    people = list(people)
    names = affiliations(person.pk for person in people)
    return [PersonRow(person, names.get(person.pk, [])) for person in people]


def open_invitations_for(user: AnyUser, *, role: str = "", merchant_id: int | None = None) -> QuerySet[Invitation]:
    """Invitations neither accepted nor cancelled (expired ones included: they may be resent)."""
    require_people_manager(user)
    invitations = Invitation.objects.filter(accepted_at=None, cancelled_at=None, role__in=visible_roles(user))
    if role:
        invitations = invitations.filter(role=role)
    if merchant_id is not None:
        invitations = invitations.filter(merchant_ids__contains=[merchant_id])
    return invitations.order_by("-sent_at", "-pk")


def get_person_for(user: AnyUser, person_id: int) -> PersonRow:
    """A person the user may manage (deactivate, change the role of); 404 for anyone else."""
    require_people_manager(user)
    person = User.objects.filter(pk=person_id, role__in=INVITABLE_ROLES).first()
    if person is None or not may_manage(user if isinstance(user, User) else None, person):
        raise Http404(person_id)
    return PersonRow(person, affiliations([person.pk]).get(person.pk, []))


def get_invitation_for(user: AnyUser, invitation_id: int) -> Invitation:
    require_people_manager(user)
    invitation = Invitation.objects.filter(pk=invitation_id, role__in=visible_roles(user)).first()
    if invitation is None:
        raise Http404(invitation_id)
    return invitation


def audit_entries_for(user: AnyUser) -> QuerySet[AuditEntry]:
    require_people_journal_reader(user)
    return AuditEntry.objects.all()


ROLE_FILTERS = [(role.value, role.label) for role in INVITABLE_ROLES]


StrOrPromise = str | Promise


def role_filters_for(user: AnyUser) -> list[tuple[str, StrOrPromise]]:
    """The role filters of the people list the user may choose from."""
    roles = visible_roles(user)
    return [(value, label) for value, label in ROLE_FILTERS if value in roles]
