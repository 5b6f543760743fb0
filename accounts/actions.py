"""State changes of the town's people: invitations, acceptance, deactivation, roles, the audit journal.

Every change writes its ``AuditEntry`` in the same transaction, so the journal never misses a change
nor records one that was rolled back. The rules of who may do what are the functions ``may_invite``
and ``may_manage``: the pages show what they allow and the actions refuse the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from email.utils import formataddr, parseaddr
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import (
    AuditAction,
    AuditEntry,
    Invitation,
    InvitationStatus,
    Role,
    User,
)
from accounts.signals import invitation_accepted
from accounts.sms import fit_single_sms, gsm7_length, normalise_french_mobile, send_sms, to_gsm7
from tenants.actions import town_absolute_url
from tenants.current import current_town
from tenants.models import Town

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = dt.timedelta(days=7)
# Roles only a town admin hands out; town agents invite and manage the others.
ADMIN_GRANTED_ROLES = frozenset({Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR})
AGENT_GRANTED_ROLES = frozenset({Role.MERCHANT_STAFF, Role.COURIER})
# Delivery coordinators run the couriers: they invite and manage them, and nobody else.
COORDINATOR_GRANTED_ROLES = frozenset({Role.COURIER})
# Roles the people page switches between; merchant staff stay merchant staff (their merchants say where).
CHANGEABLE_ROLES = (Role.TOWN_ADMIN, Role.TOWN_AGENT, Role.DELIVERY_COORDINATOR, Role.COURIER)
# Higher reaches further: "raising one's own role" compares these.
_RANK = {
    Role.TOWN_ADMIN: 4,
    Role.TOWN_AGENT: 3,
    Role.DELIVERY_COORDINATOR: 2,
    Role.COURIER: 1,
    Role.MERCHANT_STAFF: 1,
}


class PeopleError(Exception):
    """A change the actor may not make, or that would break a rule; the message is French, for the page."""


def record_verified_email(*, user: User) -> None:
    """Record the account's address as confirmed, so that mandatory e-mail confirmation lets it log in.

    For addresses proven another way (the invitation link was opened from that mailbox) or vouched
    for by whoever made the account in code (a command, the demo seeds). Self-service signups
    confirm through allauth's link instead.
    """
    address, _created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


# --- rules ------------------------------------------------------------------------------------------


def may_invite(actor: User | None, role: str) -> bool:
    """Town admins invite anyone with a back-office role; town agents invite merchant staff and couriers;
    delivery coordinators invite couriers."""
    if actor is None or not (actor.is_authenticated and actor.is_active):
        return False
    if role in ADMIN_GRANTED_ROLES:
        return actor.role == Role.TOWN_ADMIN
    if actor.role == Role.DELIVERY_COORDINATOR:
        return role in COORDINATOR_GRANTED_ROLES
    if role in AGENT_GRANTED_ROLES:
        return actor.role in (Role.TOWN_ADMIN, Role.TOWN_AGENT)
    return False


def may_manage(actor: User | None, person: User) -> bool:
    """Who may deactivate, reactivate or see the detail of a person: whoever may invite their role."""
    return may_invite(actor, person.role)


def manageable_roles(actor: User | None) -> set[str]:
    """The roles whose people and invitations the actor may act on (the pages show buttons for these only)."""
    return {role.value for role in Role if may_invite(actor, role)}


def invitable_roles(actor: User | None) -> list[Role]:
    """The roles the actor may hand out from the people page (merchant staff: from the merchant's page)."""
    return [role for role in CHANGEABLE_ROLES if may_invite(actor, role)]


def role_rank(role: str) -> int:
    return _RANK.get(Role(role), 0)


def _label(user: User | None) -> str:
    return user.email if user is not None else ""


# --- the journal ------------------------------------------------------------------------------------


def record_audit(
    *,
    actor: User | None,
    action: AuditAction,
    target_label: str,
    target_user: User | None = None,
    invitation: Invitation | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one line to the people journal; call it inside the transaction of the change it records."""
    return AuditEntry.objects.create(
        actor_id=actor.pk if actor is not None else None,
        actor_label=_label(actor),
        action=action,
        target_user_id=target_user.pk if target_user is not None else None,
        target_invitation_id=invitation.pk if invitation is not None else None,
        target_label=target_label,
        details=details or {},
    )


# --- invitations ------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(token: str) -> Invitation | None:
    """The current town's invitation for a link's token (another town's token names nothing here)."""
    return Invitation.objects.filter(token_hash=_digest(token)).first()


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = _digest(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    return token


def invite_person(
    *,
    actor: User | None,
    role: Role | str,
    email: str = "",
    phone: str = "",
    merchant_ids: Iterable[int] = (),
) -> Invitation:
    """Invite someone to join the town with ``role``; the link leaves by e-mail (by SMS when only a
    French mobile number is given) once the transaction commits.

    ``actor`` None is the platform itself (the first admin of a new town). Refused: a role the actor
    may not hand out, an address that already has an account, a second open invitation for the same
    address (resend that one) — except for merchant staff, whose open invitation gains the merchant and
    is sent again.
    """
    role = Role(role)
    if actor is not None and not may_invite(actor, role):
        raise PeopleError(
            _("Vous ne pouvez pas inviter une personne avec le rôle « %(role)s ».") % {"role": role.label}
        )
    email = email.strip().lower()
    mobile = ""
    if phone.strip():
        mobile = normalise_french_mobile(phone) or ""
        if not mobile:
            raise PeopleError(_("Ce numéro n'est pas un numéro de mobile français (06 ou 07)."))
    if not email and not mobile:
        raise PeopleError(_("Indiquez une adresse e-mail ou, à défaut, un numéro de mobile."))
    merchants = sorted(set(merchant_ids))
    if (role == Role.MERCHANT_STAFF) != bool(merchants):
        raise PeopleError(_("Une personne d'un commerce s'invite depuis la page de ce commerce."))
    with transaction.atomic():
        if email and User.objects.filter(email=email).exists():
            raise PeopleError(
                _("Un compte existe déjà avec l'adresse %(email)s : modifiez-le depuis sa fiche.") % {"email": email}
            )
        open_invitations = Invitation.objects.select_for_update().filter(accepted_at=None, cancelled_at=None)
        existing = (
            open_invitations.filter(email=email).first()
            if email
            else open_invitations.filter(email="", phone=mobile).first()
        )
        if existing is not None:
            if role == Role.MERCHANT_STAFF and existing.role == Role.MERCHANT_STAFF:
                # The same person asked for by a second merchant: one invitation naming both, sent again
                # (a fresh link, seven more days; the previous link stops working).
                added = [merchant for merchant in merchants if merchant not in existing.merchant_ids]
                existing.merchant_ids = sorted({*existing.merchant_ids, *merchants})
                token = _new_token(existing)
                existing.save(update_fields=["merchant_ids", "token_hash", "sent_at", "expires_at"])
                record_audit(
                    actor=actor,
                    action=AuditAction.MERCHANT_ADDED,
                    target_label=existing.contact,
                    invitation=existing,
                    details={"merchant_ids": added},
                )
                _send_after_commit(invitation=existing, token=token)
                return existing
            raise PeopleError(
                _("Une invitation est déjà en attente pour %(contact)s : renvoyez-la ou annulez-la.")
                % {"contact": existing.contact}
            )
        invitation = Invitation(
            email=email,
            phone=mobile,
            role=role,
            merchant_ids=merchants,
            invited_by_id=actor.pk if actor is not None else None,
        )
        token = _new_token(invitation)
        invitation.save()
        record_audit(
            actor=actor,
            action=AuditAction.INVITED,
            target_label=invitation.contact,
            invitation=invitation,
            details={"role": role.value, "merchant_ids": merchants, "channel": "email" if email else "sms"},
        )
        _send_after_commit(invitation=invitation, token=token)
    return invitation


def invite_town_admin(sender: Any = None, *, town: Town, admin_email: str | None = None, **kwargs: Any) -> None:
    """Receiver of ``town_provisioned``: the new town's first admin is invited to set a password."""
    if admin_email:
        invite_person(actor=None, role=Role.TOWN_ADMIN, email=admin_email)


def _open_invitation_for(actor: User | None, invitation: Invitation) -> Invitation:
    """The invitation re-read under a row lock, if the actor may act on it and it is still open."""
    if not may_invite(actor, invitation.role):
        raise PeopleError(_("Vous ne pouvez pas gérer cette invitation."))
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise PeopleError(_("Cette invitation a déjà été acceptée."))
    if locked.cancelled_at is not None:
        raise PeopleError(_("Cette invitation a été annulée."))
    return locked


def resend_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """A new link, valid seven days from now; the previous link stops working at once."""
    with transaction.atomic():
        invitation = _open_invitation_for(actor, invitation)
        token = _new_token(invitation)
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        record_audit(actor=actor, action=AuditAction.RESENT, target_label=invitation.contact, invitation=invitation)
        _send_after_commit(invitation=invitation, token=token)
    return invitation


def cancel_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    """The link stops working; the address may be invited again."""
    with transaction.atomic():
        invitation = _open_invitation_for(actor, invitation)
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        record_audit(actor=actor, action=AuditAction.CANCELLED, target_label=invitation.contact, invitation=invitation)
    return invitation


def invitation_problem(invitation: Invitation | None) -> str:
    """Why a link cannot be used, in plain French; "" when it can."""
    status = invitation.status if invitation is not None else None
    if status == InvitationStatus.PENDING:
        return ""
    if status == InvitationStatus.EXPIRED:
        return _("Ce lien d'invitation a expiré : il n'était valable que 7 jours.")
    if status == InvitationStatus.ACCEPTED:
        return _("Ce lien d'invitation a déjà servi : il ne sert qu'une fois.")
    if status == InvitationStatus.CANCELLED:
        return _("Cette invitation a été annulée.")
    return _("Ce lien d'invitation n'est pas valable sur ce site (il a peut-être été remplacé par un plus récent).")


def accept_invitation(
    *, invitation: Invitation, first_name: str, last_name: str, password: str, email: str = ""
) -> User:
    """The invited person's account, made with the password they chose; the invitation is used up.

    ``email`` is asked only of people invited by SMS (their login); an address the invitation was
    mailed to is confirmed by the opening of the link. Catalog adds the merchants of a merchant staff
    invitation (``invitation_accepted``), in this same transaction.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        problem = invitation_problem(invitation)
        if problem:
            raise PeopleError(problem)
        address = (invitation.email or email).strip().lower()
        if not address:
            raise PeopleError(_("Indiquez votre adresse e-mail : elle vous servira à vous connecter."))
        if User.objects.filter(email=address).exists():
            raise PeopleError(
                _("Un compte existe déjà avec l'adresse %(email)s : connectez-vous avec lui.") % {"email": address}
            )
        user = User.objects.create_user(
            email=address,
            password=password,
            role=invitation.role,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            phone=invitation.phone,
        )
        if not invitation.email:
            # Typed on the page, not proven: allauth asks to confirm it at the next login.
            EmailAddress.objects.filter(user=user).update(verified=False)
        invitation.accepted_at = timezone.now()
        invitation.user_id = user.pk
        invitation.save(update_fields=["accepted_at", "user_id"])
        record_audit(
            actor=user,
            action=AuditAction.ACCEPTED,
            target_label=address,
            target_user=user,
            invitation=invitation,
            details={"role": invitation.role},
        )
        invitation_accepted.send(sender=Invitation, user=user, invitation=invitation)
    return user


def invitation_link(token: str, town: Town) -> str:
    return town_absolute_url(town, reverse("accounts:invitation", kwargs={"token": token}))


def invitation_sms_text(*, town_name: str, role: Role, link: str) -> str:
    """One GSM-7 SMS ending with the whole link: the words are shortened if need be, never the link."""
    head = to_gsm7(
        _("%(town)s : invitation comme %(role)s. Créez votre accès (lien valable 7 jours) :")
        % {"town": town_name, "role": str(role.label).lower()}
    )
    room = 160 - gsm7_length(link) - 1
    while gsm7_length(head) > room:
        head = head[:-4].rstrip() + "..."
    return fit_single_sms(f"{head} {link}")


def _send_after_commit(*, invitation: Invitation, token: str) -> None:
    """Renders the message now (the town is active) and sends it once the invitation is committed."""
    town = current_town()
    link = invitation_link(token, town)
    role = Role(invitation.role)
    with translation.override("fr"):
        if not invitation.email:
            text = invitation_sms_text(town_name=town.name, role=role, link=link)
            transaction.on_commit(partial(send_sms, to=invitation.phone, text=text), robust=True)
            return
        context = {
            "town_name": town.name,
            "link": link,
            "role": role.label,
            "site_url": town_absolute_url(town, "/"),
            "expires_at": timezone.localtime(invitation.expires_at),
        }
        subject = _("Votre accès à la place de marché de %(town)s") % {"town": town.name}
        text_body = render_to_string("accounts/email/invitation.txt", context)
        html_body = render_to_string("accounts/email/invitation.html", {**context, "subject": subject})
    _name, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject,
        text_body,
        formataddr((town.name, sender)) if sender else None,
        [invitation.email],
        reply_to=[town.publisher_email] if town.publisher_email else None,
    )
    message.attach_alternative(html_body, "text/html")
    transaction.on_commit(message.send, robust=True)


# --- people -----------------------------------------------------------------------------------------


def _locked_active_admins() -> list[int]:
    """Ids of the active admins, their rows locked: two admins demoting each other at once wait in turn."""
    return list(
        User.objects.select_for_update().filter(role=Role.TOWN_ADMIN, is_active=True).values_list("pk", flat=True)
    )


def _refuse_losing_the_last_admin(person: User) -> None:
    if person.role == Role.TOWN_ADMIN and person.is_active and _locked_active_admins() == [person.pk]:
        raise PeopleError(
            _("%(email)s est le dernier administrateur actif : nommez-en un autre d'abord.") % {"email": person.email}
        )


def end_sessions(*, user: User) -> int:
    """Deletes every session of the account in this town; returns how many.

    Sessions are database rows keyed by a random key, with the user's id inside the signed data: they
    are read to find the account's. Deactivations are rare; the live sessions of one town are few.
    """
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def _managed(actor: User, person: User) -> User:
    if not may_manage(actor, person):
        raise PeopleError(_("Vous ne pouvez pas modifier le compte de %(email)s.") % {"email": person.email})
    return User.objects.select_for_update().get(pk=person.pk)


def deactivate_person(*, actor: User, person: User) -> User:
    """The account can no longer log in, and its open sessions end at once (next request: logged out)."""
    with transaction.atomic():
        if person.pk == actor.pk:
            raise PeopleError(_("Vous ne pouvez pas désactiver votre propre compte."))
        person = _managed(actor, person)
        if not person.is_active:
            raise PeopleError(_("Ce compte est déjà désactivé."))
        _refuse_losing_the_last_admin(person)
        person.is_active = False
        person.save(update_fields=["is_active"])
        ended = end_sessions(user=person)
        record_audit(
            actor=actor,
            action=AuditAction.DEACTIVATED,
            target_label=person.email,
            target_user=person,
            details={"sessions_ended": ended},
        )
    return person


def reactivate_person(*, actor: User, person: User) -> User:
    """The account may log in again, with its password and role unchanged."""
    with transaction.atomic():
        person = _managed(actor, person)
        if person.is_active:
            raise PeopleError(_("Ce compte est déjà actif."))
        person.is_active = True
        person.save(update_fields=["is_active"])
        record_audit(actor=actor, action=AuditAction.REACTIVATED, target_label=person.email, target_user=person)
    return person


def change_role(*, actor: User, person: User, role: Role | str) -> User:
    """A new role among the town's back-office roles. Nobody raises their own; the last active admin stays one."""
    role = Role(role)
    with transaction.atomic():
        if person.pk == actor.pk and role_rank(role) > role_rank(actor.role):
            raise PeopleError(_("Vous ne pouvez pas élever votre propre rôle."))
        if role not in CHANGEABLE_ROLES or person.role not in CHANGEABLE_ROLES:
            raise PeopleError(_("Ce rôle ne se change pas ici."))
        if not (may_invite(actor, role) and may_invite(actor, person.role)):
            raise PeopleError(_("Seul un administrateur de la ville peut attribuer ce rôle."))
        person = User.objects.select_for_update().get(pk=person.pk)
        previous = Role(person.role)
        if previous == role:
            return person
        if previous == Role.TOWN_ADMIN:
            _refuse_losing_the_last_admin(person)
        person.role = role
        person.save(update_fields=["role"])
        record_audit(
            actor=actor,
            action=AuditAction.ROLE_CHANGED,
            target_label=person.email,
            target_user=person,
            details={"from": previous.value, "to": role.value},
        )
    return person
