"""The collector (payments.collectors): one per collector mode, each answering the whole interface."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from payments.collectors import Collector, collector_by_mode, collector_for, collectors, towns_charging_on_platform
from tenants.models import CollectorMode, Town


@pytest.mark.parametrize("mode", CollectorMode.values)
def test_every_collector_mode_has_one_collector_answering_the_whole_interface(mode: str) -> None:
    collector = collector_by_mode(mode)

    assert isinstance(collector, Collector)
    assert collector.mode == mode
    assert collector_for(Town(collector_mode=mode)) is collector


def test_collectors_are_the_regie_then_connect() -> None:
    assert [collector.mode for collector in collectors()] == [CollectorMode.REGIE, CollectorMode.CONNECT]


def test_a_mode_without_a_collector_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ImproperlyConfigured, match="No collector is registered for the collector mode 'cheque'"):
        collector_for(Town(collector_mode="cheque"))


def test_only_connect_towns_charge_on_the_platform(town_a: Town, town_b: Town) -> None:
    Town.objects.filter(pk=town_b.pk).update(collector_mode=CollectorMode.CONNECT)

    assert list(towns_charging_on_platform().values_list("slug", flat=True)) == [town_b.slug]
