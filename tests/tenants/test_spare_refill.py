"""The spare-pool refill after a town is created: never inside the request, always done after it."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from accounts.models import Role, User
from tenants import actions
from tenants.models import Town, TownStatus


@pytest.mark.slow
def test_console_answers_before_the_spare_pool_is_refilled_and_the_refill_follows(
    django_db_setup, django_db_blocker, settings, monkeypatch
):
    # Real commits (the refill starts at commit, on its own connection): no test transaction here.
    settings.TOWN_SPARE_POOL_SIZE = 1
    real_refill = actions.refill_spare_pool
    started, may_go_on, finished = threading.Event(), threading.Event(), threading.Event()
    refill_threads: list[threading.Thread] = []

    def refill_held_back(**options: Any) -> int:
        refill_threads.append(threading.current_thread())
        started.set()
        assert may_go_on.wait(timeout=60)
        try:
            return real_refill(**options)
        finally:
            finished.set()

    monkeypatch.setattr(actions, "refill_spare_pool", refill_held_back)
    slug = f"rapide-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        operator = User.objects.create_user(email=f"operateur-{slug}@comptoir.test", role=Role.OPERATOR, is_staff=True)
        client = Client(HTTP_HOST="test")
        client.force_login(operator)
        try:
            response = client.post(
                "/console/villes/nouvelle/",
                {
                    "name": "Ville rapide",
                    "slug": slug,
                    "kind": "commune",
                    "insee_codes": "",
                    "primary_color": "#1d3557",
                    "secondary_color": "#6b2737",
                    "admin_email": "",
                    "custom_domain": "",
                    "tagline": "",
                },
            )

            # The page answered while the refill, in another thread, had not made a single spare.
            assert response.status_code == 302
            assert started.wait(timeout=30)
            assert refill_threads[0] is not threading.current_thread()
            assert not finished.is_set()
            assert not Town.objects.filter(status=TownStatus.SPARE).exists()
            [message] = [str(message) for message in get_messages(response.wsgi_request)]
            assert re.fullmatch(rf"La ville « Ville rapide » est créée en \d+,\d\d s : https://{slug}\.test/", message)

            may_go_on.set()
            assert finished.wait(timeout=120)
            refill_threads[0].join(timeout=30)
            spare = Town.objects.get(status=TownStatus.SPARE)
            assert schema_exists(spare.schema_name)
        finally:
            may_go_on.set()
            finished.wait(timeout=120)
            connection.set_schema_to_public()
            for town in Town.objects.filter(status=TownStatus.SPARE):
                town.delete(force_drop=True)
            town = Town.objects.filter(slug=slug).first()
            if town is not None:
                actions.delete_town(town=town)
            operator.delete()
