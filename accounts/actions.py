"""State changes of accounts: inviting a person to set their password, vouching for an address."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.signing import InvitationTokenGenerator
from tenants.actions import town_url
from tenants.models import Town

invitation_token_generator = InvitationTokenGenerator()


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


def invitation_url(*, user: User, site_url: str) -> str:
    """A one-use link (a password token salted with the town: void once the password is set, and elsewhere)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token_generator.make_token(user)
    path = reverse("accounts:accept_invitation", kwargs={"uidb64": uid, "token": token}, urlconf=settings.ROOT_URLCONF)
    return site_url.rstrip("/") + path


def invite_user(*, email: str, role: Role | str, site_url: str, town_name: str) -> User:
    """Create (or reuse) the account in the current town and e-mail it an invitation after commit."""
    user, _created = User.objects.get_or_create(email=email.lower(), defaults={"role": role, "is_active": True})
    if _created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    link = invitation_url(user=user, site_url=site_url)
    context = {"town_name": town_name, "link": link, "role": Role(role).label, "site_url": site_url}
    subject = _("Votre accès à la place de marché de %(town)s") % {"town": town_name}
    text_body = render_to_string("accounts/email/invitation.txt", context)
    html_body = render_to_string("accounts/email/invitation.html", context)

    def send() -> None:
        message = EmailMultiAlternatives(subject, text_body, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach_alternative(html_body, "text/html")
        message.send()

    transaction.on_commit(send)
    return user


def invite_town_admin(sender: Any = None, *, town: Town, admin_email: str | None = None, **kwargs: Any) -> None:
    """Receiver of ``town_provisioned``: the new town's first admin is invited to set a password."""
    if admin_email:
        invite_user(email=admin_email, role=Role.TOWN_ADMIN, site_url=town_url(town), town_name=town.name)
