"""The demo towns of ``make run``: the operator account, the towns (``demo/data/towns.toml``),
provisioned through the real provisioning action, one administrator per town, and the town's other
people (``demo.people``: a town agent, a login for every merchant)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.actions import record_verified_email
from accounts.models import Role, User
from demo.files import read_toml
from demo.people import seed_demo_people
from demo.pictures import brand_demo_town
from tenants.actions import ensure_template, provision_town, town_url
from tenants.models import Town

DEMO_TOWNS: list[dict[str, Any]] = read_toml("towns.toml")["towns"]


def set_up_demo_towns(*, password: str) -> list[str]:
    """Template, operator, demo towns and their administrators, each created once; returns where
    to log in, one line each (already existing accounts keep their password)."""
    ensure_template()
    operator_email = f"operateur@{settings.PLATFORM_DOMAIN}"
    with transaction.atomic():
        operator, created = User.objects.get_or_create(
            email=operator_email, defaults={"role": Role.OPERATOR, "is_staff": True, "is_superuser": True}
        )
        if created:
            operator.set_password(password)
            operator.save()
        record_verified_email(user=operator)
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    lines = [
        f"Site opérateur : http://{settings.PLATFORM_DOMAIN}{port}/  (console : /console/)",
        f"  opérateur : {operator_email} / {password}",
    ]
    for spec in DEMO_TOWNS:
        town = Town.objects.filter(slug=spec["slug"]).first()
        if town is None:
            result = provision_town(
                slug=spec["slug"],
                name=spec["name"],
                tagline=spec["tagline"],
                primary_color=spec["primary_color"],
                secondary_color=spec["secondary_color"],
                insee_codes=spec["insee_codes"],
            )
            town = result.town
            for field, value in spec["publisher"].items():
                setattr(town, field, value)
            town.save()
            town = brand_demo_town(town=town)
        admin_email = f"admin@{town.slug}.{settings.PLATFORM_DOMAIN}"
        with town, transaction.atomic():
            admin, created = User.objects.get_or_create(email=admin_email, defaults={"role": Role.TOWN_ADMIN})
            if created:
                admin.set_password(password)
                admin.save()
            record_verified_email(user=admin)
        lines.append(f"{town.name} : {town_url(town)}")
        lines.append(f"  administrateur : {admin_email} / {password}")
        with town:
            lines.extend(seed_demo_people(town=town, password=password))
    return lines
