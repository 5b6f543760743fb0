"""The town's NAF filing rules page: its admins and agents list, add, edit and delete the town's rules."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from catalog.models import Category, MerchantKind
from onboarding.models import NafRule
from tenants.models import Town
from tests.onboarding.factories import make_agent

URL = "/gestion/accompagnement/naf/"


@pytest.fixture
def agent_client(town_a: Town, client_a: Client) -> Client:
    with town_a:
        client_a.force_login(make_agent())
    return client_a


def test_the_page_lists_the_town_rules_and_the_platform_defaults(
    agent_client: Client, town_a: Town, django_assert_num_queries
) -> None:
    with town_a:
        food = Category.objects.create(name="Alimentation test", slug="alimentation-test")
        bakery = Category.objects.create(name="Pains", slug="pains", parent=food)
        for code in ("1071", "4724", "56"):
            NafRule.objects.create(code=code, kind=MerchantKind.ARTISAN, category=bakery, label=f"Règle {code}")
    agent_client.get(URL)  # warm the session and the town's caches
    with django_assert_num_queries(4):  # search_path, session, user, the rules with their categories
        response = agent_client.get(URL)
    page = response.content.decode()
    assert [rule.code for rule in response.context["rules"]] == ["1071", "4724", "56"]
    assert '<th scope="row">10.71</th>' in page
    assert "Alimentation test › Pains" in page
    assert [default["code"] for default in response.context["defaults"]][:3] == ["10", "10.13B", "10.71"]
    assert [d["overridden"] for d in response.context["defaults"] if d["code"] in ("10.71", "56")] == [True, True]


def test_an_agent_adds_a_rule_typed_with_its_dot(agent_client: Client, town_a: Town) -> None:
    with town_a:
        shops = Category.objects.create(name="Bouquinistes", slug="bouquinistes")
    response = agent_client.post(
        f"{URL}nouvelle/", {"code": "47.61z", "label": "Livres", "kind": MerchantKind.SHOP, "category": shops.pk}
    )
    assert (response.status_code, response.url) == (302, URL)
    with town_a:
        assert list(NafRule.objects.values_list("code", "label", "kind", "category_id")) == [
            ("4761Z", "Livres", MerchantKind.SHOP, shops.pk)
        ]


@pytest.mark.parametrize("typed", ["ABC", "47Z", "4Z"])
def test_a_code_that_is_not_naf_is_refused_in_french(agent_client: Client, town_a: Town, typed: str) -> None:
    response = agent_client.post(f"{URL}nouvelle/", {"code": typed, "kind": MerchantKind.SHOP})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        "Ce n’est pas un code NAF : saisissez par exemple 47.24Z, 47.24 ou 47."
    ]
    with town_a:
        assert NafRule.objects.count() == 0


def test_a_second_rule_for_the_same_code_is_refused(agent_client: Client, town_a: Town) -> None:
    with town_a:
        NafRule.objects.create(code="4724Z", kind=MerchantKind.SHOP)
    response = agent_client.post(f"{URL}nouvelle/", {"code": "47.24Z", "kind": MerchantKind.ARTISAN})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    with town_a:
        assert list(NafRule.objects.values_list("kind", flat=True)) == [MerchantKind.SHOP]


def test_an_agent_edits_then_deletes_a_rule(agent_client: Client, town_a: Town) -> None:
    with town_a:
        rule = NafRule.objects.create(code="56", kind=MerchantKind.RESTAURANT)
    edit = agent_client.get(f"{URL}{rule.pk}/")
    assert edit.context["form"]["code"].value() == "56"
    agent_client.post(f"{URL}{rule.pk}/", {"code": "56.10", "label": "Restaurants", "kind": MerchantKind.RESTAURANT})
    with town_a:
        assert list(NafRule.objects.values_list("pk", "code", "label")) == [(rule.pk, "5610", "Restaurants")]
    assert agent_client.get(f"{URL}{rule.pk}/supprimer/").status_code == 405
    assert agent_client.post(f"{URL}{rule.pk}/supprimer/").status_code == 302
    with town_a:
        assert NafRule.objects.count() == 0


def test_a_town_b_agent_sees_only_town_b_rules_and_cannot_reach_town_a(
    town_a: Town, town_b: Town, client_a: Client, client_b: Client
) -> None:
    with town_a:
        rule_a = NafRule.objects.create(code="4724Z", kind=MerchantKind.SHOP, label="Règle de la ville A")
    with town_b:
        client_b.force_login(make_agent("agent@ville-b.test"))
    page_b = client_b.get(URL)
    assert page_b.status_code == 200
    assert list(page_b.context["rules"]) == []
    assert "Règle de la ville A" not in page_b.content.decode()
    assert client_b.get(f"{URL}{rule_a.pk}/").status_code == 404
    assert client_b.post(f"{URL}{rule_a.pk}/supprimer/").status_code == 404
    # The town B session means nothing on town A's site.
    client_a.cookies = client_b.cookies
    assert client_a.get(URL).status_code == 302
    with town_a:
        assert NafRule.objects.filter(pk=rule_a.pk).exists()


def test_merchants_and_residents_cannot_open_the_page(town_a: Town, client_a: Client) -> None:
    with town_a:
        client_a.force_login(User.objects.create_user("habitant@ville-a.test", "pw-2026-hab", role=Role.RESIDENT))
    assert client_a.get(URL).status_code == 403
    assert client_a.post(f"{URL}nouvelle/", {"code": "47", "kind": MerchantKind.SHOP}).status_code == 403
