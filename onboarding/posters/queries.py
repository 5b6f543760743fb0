"""Reads of poster batches and of the merchants they may cover, for the town's admins and agents only."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import AnyUser
from catalog.models import Merchant, MerchantStatus
from onboarding.permissions import is_onboarding_staff
from onboarding.posters.models import PosterBatch
from tenants.collation import by_name


def poster_batches_for(user: AnyUser) -> QuerySet[PosterBatch]:
    """The town's batches, newest first, for its admins and agents; nothing for anyone else."""
    if not is_onboarding_staff(user):
        return PosterBatch.objects.none()
    return PosterBatch.objects.all()


def get_poster_batch_for(user: AnyUser, batch_id: int) -> PosterBatch:
    """The batch if the user may see it (Http404 otherwise)."""
    return get_object_or_404(poster_batches_for(user), pk=batch_id)


def live_merchants_for_posters(user: AnyUser, search: str = "") -> QuerySet[Merchant]:
    """The town's live merchants by name (optionally those whose name contains ``search``)."""
    if not is_onboarding_staff(user):
        return Merchant.objects.none()
    merchants = Merchant.objects.filter(status=MerchantStatus.LIVE)
    if search:
        merchants = merchants.filter(Q(name__icontains=search))
    return merchants.only("pk", "name", "kind").order_by(*by_name("name"), "pk")
