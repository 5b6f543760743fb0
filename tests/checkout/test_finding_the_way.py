"""Residents find their way (issue 11): the basket and its count in every page's header, the way from the
confirmation page and from "Mes commandes" to each order's status page, each basket line's photo."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from catalog.actions import add_photo
from catalog.models import Photo, PhotoStatus
from checkout.actions import Actor, mark_order_paid
from checkout.tokens import order_public_id_from_token
from tests.catalog.test_photos import image_bytes
from tests.checkout.conftest import basket_with, make_shop, order_from, place_through_pages

PASSWORD = "mot-de-passe-solide-42"


def _basket_link(html: str) -> str:
    """The header's basket link, whole."""
    navigation = html[html.index('<nav aria-label="Navigation principale">') :]
    return re.search(r'<a href="/panier/"[^>]*>.*?</a>', navigation, re.S).group(0)


def _accessible_name(link: str) -> str:
    """What a screen reader says of the link: its label, else its text less what is hidden from it."""
    if label := re.match(r'<a [^>]*aria-label="([^"]*)"', link):
        return label.group(1)
    spoken = re.sub(r'<span[^>]*aria-hidden="true"[^>]*>.*?</span>', "", link, flags=re.S)
    return re.sub(r"<[^>]+>", "", spoken).strip()


def _add(client: Client, variant: object, quantity: str = "1") -> None:
    response = client.post("/panier/ajouter/", {"variant": variant.pk, "quantity": quantity})
    assert response.status_code == 302


# --- the basket in the header ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",  # storefront
        "/recherche/?q=eclair",
        "/commerces/",
        "/panier/",  # checkout
        "/commande/",
        "/compte/login/",  # account pages
        "/compte/signup/",
        "/pages/mentions-legales/",  # legal pages
        "/pages/cgv/",
        "/cette-page-n-existe-pas/",  # the town's 404
    ],
)
def test_every_town_page_shows_the_basket_link_with_its_count_of_articles(client_a, shops, path):
    _add(client_a, shops["bakery"]["variants"][0], "2")
    _add(client_a, shops["bakery"]["variants"][1])
    _add(client_a, shops["grocer"]["variants"][0])

    html = client_a.get(path).content.decode()

    link = _basket_link(html)
    assert _accessible_name(link) == "Panier, 3 articles"
    assert '<span class="basket-count" aria-hidden="true">3</span>' in link


def test_one_article_is_said_in_the_singular(client_a, shops):
    _add(client_a, shops["bakery"]["variants"][0], "4")  # one line, four éclairs: one article

    link = _basket_link(client_a.get("/").content.decode())

    assert _accessible_name(link) == "Panier, 1 article"


def test_an_empty_basket_is_a_plain_basket_link(client_a, shops):
    _add(client_a, shops["bakery"]["variants"][0])
    client_a.post("/panier/modifier/", {"variant": shops["bakery"]["variants"][0].pk, "remove": "1"})

    link = _basket_link(client_a.get("/").content.decode())

    assert link == '<a href="/panier/">Panier</a>'


def test_the_count_follows_the_basket_on_the_next_page(client_a, shops):
    eclair = shops["bakery"]["variants"][0]
    assert _accessible_name(_basket_link(client_a.get("/").content.decode())) == "Panier"

    _add(client_a, eclair)
    after_adding = _basket_link(client_a.get("/commerces/").content.decode())
    client_a.post("/panier/modifier/", {"variant": eclair.pk, "remove": "1"})
    after_removing = _basket_link(client_a.get("/commerces/").content.decode())

    assert _accessible_name(after_adding) == "Panier, 1 article"
    assert _accessible_name(after_removing) == "Panier"


def test_two_visitors_of_the_same_page_each_see_their_own_count(town_a, shops):
    first, second = Client(HTTP_HOST=town_a.primary_host), Client(HTTP_HOST=town_a.primary_host)
    _add(first, shops["bakery"]["variants"][0])
    for variant in (*shops["bakery"]["variants"], *shops["grocer"]["variants"]):
        _add(second, variant)

    # In turns, on the same page, as a shared cache would have answered them.
    first_page, second_page, first_again = (client.get("/").content.decode() for client in (first, second, first))

    assert _accessible_name(_basket_link(first_page)) == "Panier, 1 article"
    assert _accessible_name(_basket_link(second_page)) == "Panier, 4 articles"
    assert _accessible_name(_basket_link(first_again)) == "Panier, 1 article"
    third = Client(HTTP_HOST=town_a.primary_host)
    assert _accessible_name(_basket_link(third.get("/").content.decode())) == "Panier"


def test_a_signed_in_resident_sees_the_count_of_the_account_basket(client_a, town_a, shops):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password=PASSWORD, role=Role.RESIDENT)
        basket_with([(shops["grocer"]["variants"][0], 1), (shops["grocer"]["variants"][1], 2)], user_id=user.pk)
    client_a.force_login(user)

    link = _basket_link(client_a.get("/compte/commandes/").content.decode())

    assert _accessible_name(link) == "Panier, 2 articles"


def _queries_of(client: Client, path: str) -> list[str]:
    """The SQL of one page (read at once: the next request clears Django's query log)."""
    with CaptureQueriesContext(connection) as page:
        client.get(path)
    return [query["sql"] for query in page.captured_queries]


def test_the_basket_count_costs_one_query_and_none_without_a_basket(client_a, shops):
    client_a.get("/")  # the town's host, cached, as on any later page
    without_basket = _queries_of(client_a, "/")
    _add(client_a, shops["bakery"]["variants"][0])
    client_a.get("/")
    with_basket = _queries_of(client_a, "/")

    assert not any('"checkout_basket' in sql for sql in without_basket)
    counts = [sql for sql in with_basket if '"checkout_basket' in sql]
    assert len(counts) == 1
    assert counts[0].startswith('SELECT COUNT(*) AS "__count" FROM "checkout_basketline"')
    # The visitor now has a session (read to know who they are) and a basket: one query more for it.
    assert sum("django_session" in sql for sql in with_basket) == 1
    assert len(with_basket) == len(without_basket) + 2


@pytest.mark.parametrize("path", ["/", "/commerces/", "/recherche/?q=eclair", "/pages/cgv/"])
def test_a_signed_in_resident_pays_one_query_for_the_count_on_each_page(client_a, town_a, shops, path):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password=PASSWORD, role=Role.RESIDENT)
    client_a.force_login(user)
    client_a.get(path)
    empty = _queries_of(client_a, path)
    with town_a:
        basket_with([(shops["grocer"]["variants"][0], 1)], user_id=user.pk)
    filled = _queries_of(client_a, path)

    assert _accessible_name(_basket_link(client_a.get(path).content.decode())) == "Panier, 1 article"
    assert len(filled) == len(empty)
    assert sum('"checkout_basket' in sql for sql in filled) == 1


def test_the_basket_page_reuses_its_own_lines_for_the_header_count(client_a, shops):
    _add(client_a, shops["bakery"]["variants"][0])
    client_a.get("/panier/")
    page = _queries_of(client_a, "/panier/")

    assert _accessible_name(_basket_link(client_a.get("/panier/").content.decode())) == "Panier, 1 article"
    assert not any("COUNT(*)" in sql for sql in page)


def test_staff_see_no_basket_and_pay_no_query_for_it(client_a, town_a, shops):
    with town_a:
        agent = User.objects.create_user(email="agent@ville-a.fr", password=PASSWORD, role=Role.TOWN_AGENT)
    client_a.force_login(agent)
    page = _queries_of(client_a, "/pages/cgv/")

    assert 'href="/panier/"' not in client_a.get("/pages/cgv/").content.decode()
    assert not any('"checkout_basket' in sql for sql in page)


# --- from the order to its status page -------------------------------------------------------------
def _status_links(html: str) -> list[str]:
    return re.findall(r'href="(/commande/suivi/[^"]+/)"', html)


def _order_behind(link: str) -> str | None:
    return order_public_id_from_token(link.removeprefix("/commande/suivi/").rstrip("/"))


def test_a_guests_confirmation_page_links_to_the_orders_status_page(client_a, town_a, shops):
    public_id = place_through_pages(client_a, shops)

    html = client_a.get(f"/commande/{public_id}/confirmation/").content.decode()

    links = _status_links(html)
    assert len(links) == 1
    with town_a:
        assert _order_behind(links[0]) == public_id
    assert client_a.get(links[0]).status_code == 200
    assert 'href="/compte/commandes/"' not in html.split("</header>")[1]  # no account, no "Mes commandes"


def test_a_residents_confirmation_page_links_to_the_status_page_and_to_mes_commandes(client_a, town_a, shops):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password=PASSWORD, role=Role.RESIDENT)
    client_a.force_login(user)
    public_id = place_through_pages(client_a, shops)

    html = client_a.get(f"/commande/{public_id}/confirmation/").content.decode()
    main = html.split('<main id="contenu"')[1]

    assert '<li><a href="/compte/commandes/">Mes commandes</a></li>' in main
    links = _status_links(main)
    assert [link for link in links if f'<a href="{link}">Suivre cette commande</a>' in main] == links
    with town_a:
        assert [_order_behind(link) for link in links] == [public_id]


def test_mes_commandes_links_each_order_to_its_status_page_not_to_the_thank_you_page(client_a, town_a, shops):
    with town_a:
        user = User.objects.create_user(email="jeanne@exemple.fr", password=PASSWORD, role=Role.RESIDENT)
        orders = []
        for variant in (shops["bakery"]["variants"][0], shops["grocer"]["variants"][0]):
            order = order_from(
                basket_with([(variant, 1)], user_id=user.pk), actor=Actor(kind="resident", user_id=user.pk)
            )
            mark_order_paid(
                order_id=order.pk, amount_cents=order.total_cents, currency="EUR", actor=Actor(kind="gateway")
            )
            orders.append(order)
    client_a.force_login(user)

    html = client_a.get("/compte/commandes/").content.decode()

    assert "/confirmation/" not in html
    links = _status_links(html)
    with town_a:
        behind = {_order_behind(link): link for link in links}
    assert sorted(behind) == sorted(str(order.public_id) for order in orders)
    for order in orders:
        link = behind[str(order.public_id)]
        assert f'<a href="{link}">{order.number}<span class="visually-hidden"> — suivre la commande</span></a>' in html
        status_page = client_a.get(link).content.decode()
        assert f'Suivi de la commande <span class="order-number">{order.number}</span>' in status_page


# --- each basket line's photo ----------------------------------------------------------------------
def test_basket_lines_show_the_products_photo_or_its_initial(client_a, town_a, django_capture_on_commit_callbacks):
    with town_a:
        shop = make_shop(
            "Fromagerie du Beffroi", products=[("Comté 18 mois", 2490, None), ("Maroilles AOP", 900, None)]
        )
        comte = shop["variants"][0].product
        with django_capture_on_commit_callbacks(execute=True):
            photo = add_photo(
                upload=io.BytesIO(image_bytes("JPEG", size=(1000, 750))), product=comte, alt_text="Meule de comté"
            )
        photo.refresh_from_db()
        thumbnail = default_storage.url(photo.renditions["320"]["name"])
    for variant in shop["variants"]:
        _add(client_a, variant)

    html = client_a.get("/panier/").content.decode()

    comte_line, maroilles_line = re.findall(r'<li class="basket-line">(.*?)</li>', html, re.S)
    assert 'alt="Meule de comté"' in comte_line
    assert f'src="{thumbnail}"' in comte_line
    assert 'sizes="5rem"' in comte_line
    assert "<img" not in maroilles_line
    assert '<span class="placeholder" aria-hidden="true">M</span>' in maroilles_line


def test_a_failed_photo_is_not_shown_in_the_basket(client_a, town_a, django_capture_on_commit_callbacks):
    with town_a:
        shop = make_shop("Fromagerie du Beffroi", products=[("Comté 18 mois", 2490, None)])
        with django_capture_on_commit_callbacks(execute=True):
            add_photo(upload=io.BytesIO(image_bytes("JPEG", size=(400, 300))), product=shop["variants"][0].product)
        Photo.objects.update(status=PhotoStatus.FAILED)
    _add(client_a, shop["variants"][0])

    html = client_a.get("/panier/").content.decode()

    assert '<span class="placeholder" aria-hidden="true">C</span>' in html


def test_the_basket_page_costs_the_same_queries_for_one_photo_or_eight(
    client_a, town_a, django_capture_on_commit_callbacks
):
    with town_a:
        shop = make_shop("Grande surface", products=[(f"Article {index}", 100 + index, None) for index in range(8)])
        with django_capture_on_commit_callbacks(execute=True):
            add_photo(upload=io.BytesIO(image_bytes("JPEG", size=(40, 30))), product=shop["variants"][0].product)
    _add(client_a, shop["variants"][0])
    client_a.get("/panier/")
    one = _queries_of(client_a, "/panier/")
    with town_a, django_capture_on_commit_callbacks(execute=True):
        for variant in shop["variants"][1:]:
            add_photo(upload=io.BytesIO(image_bytes("JPEG", size=(40, 30))), product=variant.product)
    for variant in shop["variants"][1:]:
        _add(client_a, variant)
    eight = _queries_of(client_a, "/panier/")

    assert client_a.get("/panier/").content.decode().count('class="line-photo"') == 8
    assert len(eight) == len(one)
    assert sum('"catalog_photo"' in sql for sql in eight) == 1
