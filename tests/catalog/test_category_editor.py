"""The town's category tree in the back-office: town staff list, add, rename, move, reorder and
delete categories; merchant staff and other towns are never affected."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.postgres.search import SearchQuery
from django.urls import reverse

from accounts.models import Role
from catalog.models import Category, Product
from tests.catalog.conftest import lenient
from tests.catalog.factories import MerchantFactory, ProductFactory
from tests.catalog.test_backoffice import sign_in


def url(name: str, **kwargs: object) -> str:
    return reverse(f"backoffice:{name}", kwargs=kwargs)


def tree() -> list[Any]:
    return list(Category.objects.order_by("pk").values("pk", "name", "slug", "parent_id", "position"))


@pytest.fixture
def town_admin(client_a, town_a):
    return sign_in(client_a, town_a, role=Role.TOWN_ADMIN)


@pytest.fixture
def food(town_a) -> Category:
    with town_a:
        return Category.objects.get(slug="alimentation", parent__isnull=True)


def test_town_staff_see_the_indented_tree_linked_from_the_merchant_list(client_a, town_a, food):
    sign_in(client_a, town_a, role=Role.TOWN_AGENT)
    assert url("category_list") in client_a.get(url("merchant_list")).text
    page = client_a.get(url("category_list"))
    assert page.status_code == 200
    html = page.text
    assert "Alimentation" in html
    assert "Boulangerie et pâtisserie" in html
    assert html.index("Alimentation") < html.index("Boulangerie et pâtisserie") < html.index("Mode")
    assert 'class="category-children"' in html
    assert "position 0" in html


def test_town_admin_creates_a_root_and_a_child_category(client_a, town_a, town_admin, food):
    response = client_a.post(url("category_create"), {"name": "  Artisanat d'art ", "parent": "", "position": "9"})
    assert response.status_code == 302
    assert response["Location"] == url("category_list")
    child = client_a.post(
        url("category_create"), {"name": "Boulangerie et pâtisserie", "parent": food.pk, "position": ""}
    )
    assert child.status_code == 302
    with town_a:
        root = Category.objects.get(name="Artisanat d'art")
        assert (root.slug, root.parent_id, root.position) == ("artisanat-dart", None, 9)
        twins = Category.objects.filter(name="Boulangerie et pâtisserie").order_by("pk")
        assert twins.count() == 2
        created = twins.last()
        assert created.parent_id == food.pk
        assert created.position == 0
        assert created.slug == "boulangerie-et-patisserie"  # unique: the seeded one is "alimentation-…"
    again = client_a.post(url("category_create"), {"name": "Artisanat d'art", "parent": "", "position": "1"})
    assert again.status_code == 302
    with town_a:
        assert Category.objects.filter(slug="artisanat-dart-2").exists()


def test_town_admin_renames_moves_and_reorders_keeping_the_slug(client_a, town_a, town_admin, food):
    with town_a:
        cheese = Category.objects.get(slug="alimentation-fromagerie")
        fashion = Category.objects.get(slug="mode")
        product = ProductFactory(title="Comté 18 mois", category=cheese)
    response = client_a.post(
        url("category_edit", category_id=cheese.pk),
        {"name": "Laiterie et fromagerie", "parent": fashion.pk, "position": "3"},
    )
    assert response.status_code == 302
    with town_a:
        cheese.refresh_from_db()
        assert (cheese.name, cheese.parent_id, cheese.position, cheese.slug) == (
            "Laiterie et fromagerie",
            fashion.pk,
            3,
            "alimentation-fromagerie",
        )
        product.refresh_from_db()
        assert product.category_id == cheese.pk
        # Products are found by their category's new name.
        found = Product.objects.filter(search_vector=SearchQuery("laiterie", config="french"))
        assert list(found) == [product]
    # Promoted to a root category.
    assert (
        client_a.post(
            url("category_edit", category_id=cheese.pk),
            {"name": "Laiterie et fromagerie", "parent": "", "position": "0"},
        ).status_code
        == 302
    )
    with town_a:
        cheese.refresh_from_db()
        assert cheese.parent_id is None


def test_a_category_never_becomes_its_own_parent_or_a_grandchild(client_a, town_a, town_admin, food):
    with town_a:
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        fashion = Category.objects.get(slug="mode")
        before = tree()
    own_parent = client_a.post(url("category_edit", category_id=food.pk), {"name": "Alimentation", "parent": food.pk})
    assert own_parent.status_code == 200
    assert "Le formulaire contient des erreurs" in own_parent.text
    under_a_child = client_a.post(
        url("category_edit", category_id=fashion.pk), {"name": "Mode", "parent": bakery.pk, "position": "1"}
    )
    assert under_a_child.status_code == 200
    with_children = client_a.post(
        url("category_edit", category_id=fashion.pk), {"name": "Mode", "parent": food.pk, "position": "1"}
    )
    assert with_children.status_code == 200
    assert "Cette catégorie a des sous-catégories" in with_children.text
    assert "<h1>Mode</h1>" in with_children.text
    with town_a:
        assert tree() == before


def test_the_save_action_refuses_a_bad_tree_whatever_the_form(town_a, food):
    from django.core.exceptions import ValidationError

    from catalog.actions import save_category

    with town_a:
        bakery = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        fashion = Category.objects.get(slug="mode")
        for category, parent in ((food, food), (fashion, bakery), (fashion, food)):
            category.parent = parent
            with pytest.raises(ValidationError):
                save_category(category=category)
            category.refresh_from_db()
            assert category.parent_id is None


def test_town_admin_deletes_an_unused_category(client_a, town_a, town_admin):
    with town_a:
        fish = Category.objects.get(slug="alimentation-poissonnerie")
    response = client_a.post(url("category_delete", category_id=fish.pk))
    assert response.status_code == 302
    with town_a:
        assert not Category.objects.filter(pk=fish.pk).exists()
    assert "est supprimée" in client_a.get(url("category_list")).text


@pytest.mark.parametrize("usage", ["product", "merchant", "children"])
def test_deleting_a_used_category_is_refused_and_changes_nothing(client_a, town_a, town_admin, food, usage):
    with town_a:
        category = Category.objects.get(slug="alimentation-fromagerie")
        if usage == "product":
            ProductFactory(category=category)
        elif usage == "merchant":
            MerchantFactory().categories.add(category)
        else:
            category = food
        before = tree()
    response = client_a.post(url("category_delete", category_id=category.pk), follow=True)
    assert response.status_code == 200
    assert "ne peut pas être supprimée" in response.text
    assert "Rien n&#x27;a été modifié." in response.text
    with town_a:
        assert tree() == before


@pytest.mark.slow
def test_merchant_staff_and_residents_get_403_and_anonymous_the_login(client_a, town_a, food):
    pages = [
        ("get", url("category_list")),
        ("get", url("category_create")),
        ("get", url("category_edit", category_id=food.pk)),
        ("post", url("category_create")),
        ("post", url("category_edit", category_id=food.pk)),
        ("post", url("category_delete", category_id=food.pk)),
    ]
    for method, target in pages:
        response = getattr(client_a, method)(target, {"name": "X", "parent": "", "position": "0"})
        assert response.status_code == 302, target
        assert response["Location"].startswith("/compte/login/"), target
    with town_a:
        shop = MerchantFactory()
        before = tree()
    for role in (Role.MERCHANT_STAFF, Role.RESIDENT):
        sign_in(client_a, town_a, role=role, merchant=shop if role == Role.MERCHANT_STAFF else None)
        for method, target in pages:
            response = getattr(client_a, method)(target, {"name": "Piraté", "parent": "", "position": "0"})
            assert response.status_code == 403, (role, target)
    assert url("category_list") not in client_a.get(url("merchant_list")).text
    with town_a:
        assert tree() == before


def test_another_town_is_never_affected(client_a, town_a, town_b, town_admin):
    with town_b:
        before_b = tree()
    with town_a:
        fish = Category.objects.get(slug="alimentation-poissonnerie")
        food = Category.objects.get(slug="alimentation")
    client_a.post(url("category_create"), {"name": "Nouveauté", "parent": food.pk, "position": "0"})
    client_a.post(url("category_edit", category_id=food.pk), {"name": "Manger", "parent": "", "position": "5"})
    client_a.post(url("category_delete", category_id=fish.pk))
    with town_a:
        assert Category.objects.filter(name="Nouveauté").exists()
        assert Category.objects.get(pk=food.pk).name == "Manger"
    with town_b:
        assert tree() == before_b


def test_a_missing_category_is_404_for_town_staff(client_a, town_admin):
    assert client_a.get(url("category_edit", category_id=2_000_000_000)).status_code == 404
    assert client_a.post(url("category_delete", category_id=2_000_000_000)).status_code == 404


def test_category_position_out_of_range_is_a_form_error(client_a, town_a):
    sign_in(client_a, town_a, role=Role.TOWN_ADMIN)
    response = lenient(client_a).post(url("category_create"), {"name": "Nouvelle", "position": "99999999999"})
    assert response.status_code == 200
