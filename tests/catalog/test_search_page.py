"""The search page on a phone (issue 11): products first, the filters behind a "Filtrer" button, a sort
that applies on choosing, and every script a static file the Content-Security-Policy lets in."""

from __future__ import annotations

import re

import pytest

from catalog.actions import save_merchant, save_product
from catalog.models import Category, Merchant, MerchantStatus, Product


@pytest.fixture
def fromageries(town_a):
    with town_a:
        shelf = Category.objects.get(slug="alimentation-fromagerie")
        for name in ("Fromagerie du Beffroi", "Fromagerie Leroy"):
            merchant = save_merchant(merchant=Merchant(name=name, city="Calais", status=MerchantStatus.LIVE))
            for title, price in (("Comté 18 mois", 2490), ("Maroilles AOP", 900)):
                save_product(
                    product=Product(
                        merchant=merchant, title=title, price_cents=price, category=shelf, is_published=True
                    )
                )
    return town_a


def _main(client, path: str) -> str:
    html = client.get(path).content.decode()
    return html[html.index('<main id="contenu"') : html.index("</main>")]


def test_the_filters_fold_behind_a_filtrer_button_before_the_products(fromageries, client_a):
    main = _main(client_a, "/recherche/?q=fromage")

    disclosure = re.search(r'<details class="facets-disclosure">\s*<summary>(.*?)</summary>', main, re.S)
    assert disclosure.group(1) == "Filtrer"
    assert main.index('<aside class="facets"') > disclosure.end()  # the facets are inside, folded
    assert main.index("</details>") < main.index('<section aria-labelledby="search-products"')


def test_the_filtrer_button_says_how_many_filters_are_on(fromageries, client_a):
    one = _main(client_a, "/recherche/?q=fromage&commerce=fromagerie-leroy")
    two = _main(client_a, "/recherche/?q=fromage&commerce=fromagerie-leroy&prix=moins-de-10")

    assert '<summary>Filtrer <span class="facets-active">(1 filtre actif)</span></summary>' in one
    assert '<summary>Filtrer <span class="facets-active">(2 filtres actifs)</span></summary>' in two


def test_products_come_before_the_shops_found_which_are_one_link_away(fromageries, client_a):
    main = _main(client_a, "/recherche/?q=fromage")

    products = main.index('<h2 id="search-products" tabindex="-1">4 produits</h2>')
    shops = main.index('<h2 id="search-merchants" tabindex="-1">Commerces</h2>')
    assert products < main.index("Comté 18 mois") < shops
    assert '<a href="#search-merchants">Voir les 2 commerces trouvés</a>' in main[products:shops]
    assert main.count('id="search-merchants"') == 1


def test_shops_found_without_any_product_still_come_first(town_a, client_a):
    with town_a:
        save_merchant(merchant=Merchant(name="Fleuriste du Beffroi", city="Calais", status=MerchantStatus.LIVE))

    main = _main(client_a, "/recherche/?q=fleuriste")

    assert main.index('id="search-merchants"') < main.index("Aucun produit ne correspond")
    assert "Filtrer" not in main


def test_the_sort_applies_on_choosing_and_keeps_a_button_for_browsers_without_javascript(fromageries, client_a):
    main = _main(client_a, "/recherche/?q=fromage&commerce=fromagerie-leroy")

    form = re.search(r'<form method="get" class="sort-form"[^>]*>.*?</form>', main, re.S).group(0)
    assert form.startswith('<form method="get" class="sort-form" action="#search-products">')
    assert '<input type="hidden" name="q" value="fromage">' in form
    assert '<input type="hidden" name="commerce" value="fromagerie-leroy">' in form
    assert '<select id="sort" name="tri" data-sort-on-change data-sort-help="sort-help">' in form
    assert re.findall(r"<button[^>]*>Trier</button>", form) == [
        '<button type="submit" class="button-secondary">Trier</button>'
    ]
    assert '<noscript><button type="submit" class="button-secondary">Trier</button></noscript>' in form
    # Said to screen readers only once the script makes it true (it unhides it).
    assert '<span id="sort-help" class="visually-hidden" hidden>La liste se met à jour dès votre choix.</span>' in form


def test_the_page_scripts_are_static_files_only(fromageries, client_a):
    html = client_a.get("/recherche/?q=fromage").content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [(attributes, body) for attributes, body in scripts] == [
        (' src="/static/js/sort-on-change.js"', ""),
        (' src="/static/js/search-page.js"', ""),
    ]
    for name in ("sort-on-change", "search-page"):
        assert client_a.get(f"/static/js/{name}.js").status_code == 200


def test_the_category_page_sorts_on_choosing_too_without_a_target(fromageries, client_a):
    main = _main(client_a, "/categories/alimentation-fromagerie/")

    assert '<form method="get" class="sort-form">' in main
    assert "data-sort-on-change" in main
