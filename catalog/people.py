"""Merchants' people: who works for which merchant, and how a person joins one.

Accounts owns people, invitations and the journal; this module adds what only catalog knows: the
memberships. It answers the people pages' "which merchants?" (``merchant_names_by_user``, registered
with ``accounts.signals.register_affiliations``) and turns an accepted merchant staff invitation into
memberships (``join_invited_merchants``, receiver of ``invitation_accepted``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actions import PeopleError, invite_person, may_invite, record_audit
from accounts.models import AuditAction, Invitation, Role, User
from catalog.models import Merchant, MerchantMembership


def merchant_names_by_user(user_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each person's merchants' names, in one query."""
    names: dict[int, list[str]] = {}
    rows = (
        MerchantMembership.objects.filter(user_id__in=list(user_ids))
        .order_by("merchant__name")
        .values_list("user_id", "merchant__name")
    )
    for user_id, name in rows:
        names.setdefault(user_id, []).append(name)
    return names


def join_invited_merchants(sender: Any, *, user: User, invitation: Invitation, **kwargs: Any) -> None:
    """Receiver of ``invitation_accepted``: the merchants named by the invitation (those still there)."""
    for merchant_id in Merchant.objects.filter(pk__in=invitation.merchant_ids).values_list("pk", flat=True):
        MerchantMembership.objects.get_or_create(merchant_id=merchant_id, user_id=user.pk)


def merchant_people(merchant: Merchant) -> list[User]:
    """The accounts that work for this merchant, by name."""
    user_ids = MerchantMembership.objects.filter(merchant=merchant).values("user_id")
    return list(User.objects.filter(pk__in=user_ids).order_by("last_name", "first_name", "email"))


def invite_merchant_staff(*, actor: User, merchant: Merchant, email: str = "", phone: str = "") -> str:
    """Adds a person to the merchant's staff; returns what happened, in French, for the page.

    Someone who already works for another merchant just gains this one (one person, several
    merchants); anyone else gets an invitation naming the merchant.
    """
    if not may_invite(actor, Role.MERCHANT_STAFF):
        raise PeopleError(_("Vous ne pouvez pas inviter les personnes des commerces."))
    email = email.strip().lower()
    with transaction.atomic():
        existing = User.objects.filter(email=email).first() if email else None
        if existing is None:
            invitation = invite_person(
                actor=actor, role=Role.MERCHANT_STAFF, email=email, phone=phone, merchant_ids=[merchant.pk]
            )
            return _("Invitation envoyée à %(contact)s.") % {"contact": invitation.contact}
        if existing.role != Role.MERCHANT_STAFF:
            raise PeopleError(
                _("%(email)s a déjà un compte avec le rôle « %(role)s » : il ne peut pas travailler pour un commerce.")
                % {"email": email, "role": existing.get_role_display()}
            )
        _membership, created = MerchantMembership.objects.get_or_create(merchant=merchant, user_id=existing.pk)
        if not created:
            raise PeopleError(_("%(email)s travaille déjà pour ce commerce.") % {"email": email})
        record_audit(
            actor=actor,
            action=AuditAction.MERCHANT_ADDED,
            target_label=existing.email,
            target_user=existing,
            details={"merchant_ids": [merchant.pk]},
        )
    return _("%(email)s peut maintenant gérer ce commerce aussi.") % {"email": email}


def remove_merchant_staff(*, actor: User, merchant: Merchant, person_id: int) -> str:
    """Takes a person off the merchant's staff (their account stays, with its other merchants); returns
    what happened, in French, for the page. From their next page on, this merchant is no longer theirs."""
    if not may_invite(actor, Role.MERCHANT_STAFF):
        raise PeopleError(_("Vous ne pouvez pas gérer les personnes des commerces."))
    with transaction.atomic():
        membership = MerchantMembership.objects.select_for_update().filter(merchant=merchant, user_id=person_id).first()
        person = User.objects.filter(pk=person_id).first()
        if membership is None or person is None:
            raise PeopleError(_("Cette personne ne travaille pas pour ce commerce."))
        membership.delete()
        record_audit(
            actor=actor,
            action=AuditAction.MERCHANT_REMOVED,
            target_label=person.email,
            target_user=person,
            details={"merchant_ids": [merchant.pk]},
        )
        others = MerchantMembership.objects.filter(user_id=person.pk).exists()
    if others:
        return _("%(email)s ne gère plus ce commerce.") % {"email": person.email}
    return _(
        "%(email)s ne gère plus ce commerce, ni aucun autre : désactivez son compte depuis sa fiche s’il n’en a plus besoin."
    ) % {"email": person.email}
