"""Events of the accounts app, and the one hook a higher app registers to describe people.

``invitation_accepted(user, invitation)`` is sent inside the acceptance transaction, once the account
exists and the invitation is marked used: an app above ``accounts`` links the person to what the
invitation names (catalog: ``invitation.merchant_ids`` become merchant memberships). A failure there
rolls the acceptance back, so nobody ends up with an account but not the merchants they were invited to.

``affiliations`` answers "what does this person work for?" for the people pages, which live here and
may not import catalog: catalog registers a function ``(user_ids) -> {user_id: [merchant name, ...]}``
in its ``ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import django.dispatch

invitation_accepted = django.dispatch.Signal()

AffiliationsReader = Callable[[Iterable[int]], dict[int, list[str]]]
_affiliation_readers: list[AffiliationsReader] = []


def register_affiliations(reader: AffiliationsReader) -> None:
    """Adds a reader of people's affiliations (idempotent: ``ready()`` may run more than once)."""
    if reader not in _affiliation_readers:
        _affiliation_readers.append(reader)


def affiliations(user_ids: Iterable[int]) -> dict[int, list[str]]:
    """Every registered reader's answer for these people, merged: one query per reader, whatever the count."""
    ids = list(user_ids)
    merged: dict[int, list[str]] = {}
    if not ids:
        return merged
    for reader in _affiliation_readers:
        for user_id, names in reader(ids).items():
            merged.setdefault(user_id, []).extend(names)
    return merged
