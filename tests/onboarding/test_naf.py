"""NAF codes to the town's filing: the longest matching start wins, the town's rules before the defaults."""

from __future__ import annotations

import pytest

from catalog.models import Category, MerchantKind
from onboarding.models import NafRule
from onboarding.naf import classify_naf, display_naf, normalise_naf
from tenants.models import Town


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("47.24Z", "4724Z"),
        ("47 24 z", "4724Z"),
        ("4724z", "4724Z"),
        ("56", "56"),
        ("47.2", "472"),
        ("", ""),
        ("ABC", ""),
        ("47.24ZZ", ""),
        ("4Z", ""),
        ("47Z", ""),
    ],
)
def test_naf_codes_are_read_however_they_are_typed(typed: str, expected: str) -> None:
    assert normalise_naf(typed) == expected


def test_naf_codes_are_shown_with_their_dot() -> None:
    assert display_naf("4724Z") == "47.24Z"


def test_the_longest_default_wins_market_stalls_over_retail(town_a: Town) -> None:
    with town_a:
        assert classify_naf("47.81Z").kind == MerchantKind.MARKET_TRADER
        assert classify_naf("47.24Z").kind == MerchantKind.SHOP
        assert classify_naf("56.10A").kind == MerchantKind.RESTAURANT
        assert classify_naf("68.31Z").kind == MerchantKind.ESTATE_AGENT
        assert classify_naf("10.71C").kind == MerchantKind.ARTISAN
        unknown = classify_naf("01.11Z")
        assert (unknown.kind, unknown.matched, unknown.category_id) == (MerchantKind.SHOP, "", None)


def test_a_town_rule_comes_before_the_defaults_and_gives_its_category(town_a: Town) -> None:
    with town_a:
        bakery = Category.objects.create(name="Boulangeries", slug="boulangeries")
        NafRule.objects.create(code="1071", kind=MerchantKind.SHOP, category=bakery, label="Boulangerie")
        found = classify_naf("10.71C")
        assert (found.kind, found.category_id, found.matched, found.is_town_rule) == (
            MerchantKind.SHOP,
            bakery.pk,
            "1071",
            True,
        )
        # The longest matching start wins, whoever wrote it: the default "1013B" beats the town's "10".
        NafRule.objects.create(code="10", kind=MerchantKind.ARTISAN)
        assert classify_naf("10.13B").matched == "1013B"
