from __future__ import annotations

from django.core.management.base import CommandError

from tenants.models import Town


def get_town(slug: str) -> Town:
    town = Town.objects.towns().filter(slug=slug).first()
    if town is None:
        raise CommandError(f"Aucune ville « {slug} ».")
    return town
