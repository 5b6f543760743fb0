"""Assisted mode: a town agent acting for one merchant (« agir pour le compte de … »).

The one rule of "who acts for whom", kept in the lowest app that knows people so that catalog,
checkout and settlement can read it without importing onboarding (which owns the sessions, their
pages and their log). While a request carries an assisted session, the agent's ``User`` instance of
that request *wears the merchant staff role*: every existing role check (``user.role in …``,
``is_town_admin``, ``is_town_staff``, ``can_manage_catalogue``) then answers as for the merchant's
own staff, so acting never grants a town admin's powers, and ``catalog.queries.merchants_for``
narrows "the merchant's staff's merchants" to the one being assisted (``acting_merchant_id``).
The borrowed role lives on that in-memory instance only: ``User.save`` writes the agent's own role.

The request's assisted context is also kept in a context variable for the code that has no request
(model signals that record each change with both identities).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from accounts.models import TOWN_STAFF_ROLES, AnyUser, Role, User


@dataclass(frozen=True)
class Assisted:
    """Who acts for whom in this request: the agent's own identity and the merchant they act for."""

    session_id: int
    merchant_id: int
    merchant_name: str
    merchant_slug: str
    agent_id: int
    agent_email: str
    agent_role: str
    agent_is_staff: bool
    agent_is_superuser: bool


_current: ContextVar[Assisted | None] = ContextVar("assisted", default=None)


def may_act_for_merchants(user: AnyUser) -> bool:
    """An active town admin or agent, not already acting for someone (their own role, not a borrowed one)."""
    return bool(user.is_authenticated and user.is_active and user.role in TOWN_STAFF_ROLES and not acting_for(user))


def act_for_merchant(user: User, assisted: Assisted) -> None:
    """Make this request's ``user`` the merchant's staff for ``assisted.merchant_id`` (this instance only)."""
    if user.pk != assisted.agent_id or user.role not in TOWN_STAFF_ROLES:
        raise ValueError("Only the town staff member who started an assisted session may act in it.")
    user.assisted = assisted
    user.role = Role.MERCHANT_STAFF
    user.is_staff = False
    user.is_superuser = False


def acting_for(user: AnyUser) -> Assisted | None:
    """The assisted session this request's user acts in, or None (their own self)."""
    if not user.is_authenticated:
        return None
    return getattr(user, "assisted", None)


def acting_merchant_id(user: AnyUser) -> int | None:
    """The one merchant an acting agent may reach, or None when the user is not acting."""
    assisted = acting_for(user)
    return assisted.merchant_id if assisted is not None else None


def current_assisted() -> Assisted | None:
    """The assisted session of the request being served in this thread, for code without a request."""
    return _current.get()


@contextmanager
def assisted_context(assisted: Assisted | None) -> Iterator[None]:
    """Serve one request with ``assisted`` as its current assisted session."""
    token = _current.set(assisted)
    try:
        yield
    finally:
        _current.reset(token)
