"""Demo posters: one finished batch of A4 posters for the town's live merchants (Calais in the demo).

``seed_demo_posters()`` runs in the current town's schema (``with calais: seed_demo_posters()``): it renders,
through the real action, one PDF of A4 posters for every live merchant, so that the « Affiches » tab of
/gestion/accompagnement/ shows a batch ready to download. Running it again changes nothing while a finished
batch covers exactly the live merchants; once they change, it renders a new batch.
"""

from __future__ import annotations

from accounts.models import Role, User
from catalog.models import Merchant, MerchantStatus
from onboarding.posters.actions import render_batch
from onboarding.posters.models import PosterBatch, PosterBatchStatus, PosterFormat
from tenants.collation import by_name


def seed_demo_posters() -> PosterBatch | None:
    """A finished A4 poster batch for the live merchants of the current town (None when it has none)."""
    live = list(
        Merchant.objects.filter(status=MerchantStatus.LIVE)
        .order_by(*by_name("name"), "pk")
        .values_list("pk", flat=True)
    )
    if not live:
        return None
    existing = PosterBatch.objects.filter(
        format=PosterFormat.A4_POSTER, status=PosterBatchStatus.DONE, merchant_ids=live
    ).first()
    if existing is not None:
        return existing
    admin = User.objects.filter(role=Role.TOWN_ADMIN).order_by("pk").first()
    batch = PosterBatch.objects.create(
        format=PosterFormat.A4_POSTER, merchant_ids=live, total_count=len(live), requested_by=admin
    )
    return render_batch(batch=batch)
