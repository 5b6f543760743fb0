"""The demo towns' people beyond their administrator: a town agent (a payout batch prepared by one
needs another to approve it: four eyes) and one login for every demo merchant, so that a newcomer can
open a merchant's screens straight away. All share the demo password.

Seeded once: the agent while its address has no account, the merchants' logins while no merchant has
any member. A re-run (every ``make run``) changes nothing the town changed since (a password, a role,
a deactivation, a membership removed or added).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Role, User
from catalog.models import Merchant, MerchantMembership, MerchantStatus
from tenants.models import Town

MERCHANT_LOGINS_SHOWN = 3


def demo_address(town: Town, local_part: str) -> str:
    return f"{local_part[:64]}@{town.slug}.{settings.PLATFORM_DOMAIN}"


def _create_once(*, email: str, password_hash: str, role: Role, first_name: str, last_name: str) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(email=email, password=None, role=role, first_name=first_name, last_name=last_name)
    user.password = password_hash
    user.save(update_fields=["password"])
    return user, True


def seed_demo_people(*, town: Town, password: str) -> list[str]:
    """Inside the town: its agent and its merchants' logins (once); returns the lines that tell them."""
    agent_email = demo_address(town, "agent")
    # Every demo login has the same password: hashed once (a quarter of a second each, the hasher's work factor, would
    # add minutes to the first `make run` for a town of 130 shops).
    password_hash = make_password(password)
    with transaction.atomic():
        _create_once(
            email=agent_email, password_hash=password_hash, role=Role.TOWN_AGENT, first_name="Alex", last_name="Agent"
        )
        if not MerchantMembership.objects.exists():
            for merchant in Merchant.objects.order_by("pk"):
                user, _created = _create_once(
                    email=demo_address(town, merchant.slug),
                    password_hash=password_hash,
                    role=Role.MERCHANT_STAFF,
                    first_name="Équipe",
                    last_name=merchant.name[:150],
                )
                MerchantMembership.objects.get_or_create(merchant=merchant, user_id=user.pk)
    lines = [f"  agent de la ville : {agent_email} / {password}"]
    with_members = Merchant.objects.filter(pk__in=MerchantMembership.objects.values("merchant_id")).order_by(
        "name", "pk"
    )
    # Shown first: shops that sell online (their screens have orders to look at).
    shown = list(with_members.filter(status=MerchantStatus.LIVE, sells_online=True)[:MERCHANT_LOGINS_SHOWN])
    shown += list(
        with_members.exclude(pk__in=[merchant.pk for merchant in shown])[: MERCHANT_LOGINS_SHOWN - len(shown)]
    )
    for merchant in shown:
        member = MerchantMembership.objects.filter(merchant=merchant).order_by("pk").values_list("user_id", flat=True)
        email = User.objects.filter(pk__in=member[:1]).values_list("email", flat=True).first()
        lines.append(f"  commerçant « {merchant.name} » : {email} / {password}")
    others = with_members.count() - len(shown)
    if others > 0:
        lines.append(
            f"  … et {others} autres commerçants : <identifiant du commerce>@{town.slug}.{settings.PLATFORM_DOMAIN}"
            " (même mot de passe)"
        )
    for user in User.objects.filter(role__in=(Role.DELIVERY_COORDINATOR, Role.COURIER), is_active=True).order_by(
        "role", "pk"
    ):
        who = "coordination des livraisons" if user.role == Role.DELIVERY_COORDINATOR else "livreur"
        lines.append(f"  {who} ({user.first_name}) : {user.email} / {password}")
    return lines
