"""The demo's onboarding: a pipeline at every step with history, NAF rules, seeded once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from catalog.models import MerchantStatus
from demo.onboarding import NEW_AT_STEP, seed_demo_pipeline
from onboarding.models import NafRule, Prospect, ProspectMove, Step
from tenants.models import Town
from tests.catalog.factories import MerchantFactory


def test_the_demo_pipeline_has_businesses_at_every_step_with_their_history_once(
    town_a: Town, django_capture_on_commit_callbacks: Any
) -> None:
    with town_a:
        # As in `make run`: the catalogue's seeding saves its merchants, which enrols them as it goes.
        with django_capture_on_commit_callbacks(execute=True):
            live = [MerchantFactory(status=MerchantStatus.LIVE) for _ in range(3)]
        assert Prospect.objects.count() == 3
        seeded = seed_demo_pipeline()
        assert (seeded.live, seeded.new) == (3, 60)
        steps = Counter(Prospect.objects.values_list("step", flat=True))
        assert steps == Counter({**{step.value: count for step, count in NEW_AT_STEP.items()}, Step.LIVE.value: 3})
        # The live merchants have a history of months, not the seeding's minutes.
        for prospect in Prospect.objects.filter(merchant__in=live):
            first = ProspectMove.objects.filter(prospect=prospect).order_by("moved_at").first()
            assert (prospect.step, first.to_step) == (Step.LIVE, Step.TO_CONTACT)
            assert first.moved_at < timezone.now() - dt.timedelta(days=20)
        # Every prospect's last move is its current step, at the time it reached it.
        for prospect in Prospect.objects.all():
            last = ProspectMove.objects.filter(prospect=prospect).order_by("moved_at", "id").last()
            assert (last.to_step, last.moved_at) == (prospect.step, prospect.step_changed_at)
        assert not Prospect.objects.filter(step__in=[Step.PAUSED, Step.DECLINED], reason="").exists()
        assert NafRule.objects.exists()
        assert seed_demo_pipeline().new == 0
        assert Prospect.objects.count() == 63
