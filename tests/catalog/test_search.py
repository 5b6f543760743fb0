"""French search of the catalogue: accents, stemming, misspellings, ranking, facets, empty results."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from catalog.actions import refresh_search_vectors, save_merchant, save_product
from catalog.models import Category, Merchant, MerchantStatus, Product
from catalog.search import (
    SearchFilters,
    SearchTerms,
    correct_words,
    parse_filters,
    parse_terms,
    query_words,
    search_catalogue,
    suggest_terms,
    terms_that_find_something,
    town_lexicon,
    tsquery_text,
)
from tests.catalog.conftest import lenient
from tests.catalog.factories import MerchantFactory, ProductFactory


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The lexicon is cached per town for minutes; each test builds its own catalogue.
    cache.clear()


def _merchant(name: str, **fields: object) -> Merchant:
    return save_merchant(merchant=Merchant(name=name, city="Calais", status=MerchantStatus.LIVE, **fields))


def _product(merchant: Merchant, title: str, price_cents: int = 1000, **fields: object) -> Product:
    fields.setdefault("is_published", True)
    return save_product(product=Product(merchant=merchant, title=title, price_cents=price_cents, **fields))


def _titles(text: str, **kwargs: object) -> list[str]:
    return [product.title for product in search_catalogue(text=text, **kwargs).products]


@pytest.fixture
def catalogue(town_a):
    with town_a:
        bakery = _merchant("Boulangerie Dupont")
        pastry = _merchant("Pâtisserie Lenôtre")
        shoes = _merchant("Chausseur du Centre")
        _product(
            bakery,
            "Baguette tradition",
            120,
            category=Category.objects.get(slug="alimentation-boulangerie-et-patisserie"),
        )
        _product(
            pastry, "Éclair au café", 290, category=Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        )
        _product(pastry, "Tarte au citron", 2400, description="<p>Meringuée, comme un éclair de génie</p>")
        _product(shoes, "Chaussure de randonnée", 8900, category=Category.objects.get(slug="mode-chaussures"))
        _product(shoes, "Bottes de pluie", 12900, category=Category.objects.get(slug="mode-chaussures"))
        draft = save_merchant(merchant=Merchant(name="Éclairs Cachés", status=MerchantStatus.DRAFT))
        _product(draft, "Éclair caché")
        _product(pastry, "Éclair en préparation", is_published=False)
    return town_a


def test_accents_are_optional(catalogue, client_a):
    with catalogue:
        assert _titles("eclair") == ["Éclair au café", "Tarte au citron"]
        assert _titles("ÉCLAIR") == ["Éclair au café", "Tarte au citron"]

    html = client_a.get("/recherche/?q=eclair").content.decode()
    assert "Éclair au café" in html
    assert "Éclair caché" not in html
    assert "Éclair en préparation" not in html


def test_a_misspelled_merchant_name_is_corrected(catalogue, client_a):
    html = client_a.get("/recherche/?q=boulangrie").content.decode()

    assert "Résultats pour « boulangerie »" in html
    assert "Boulangerie Dupont" in html
    assert "Baguette tradition" in html


def test_french_stemming_matches_plurals(catalogue):
    with catalogue:
        # The category "Chaussures" is searchable too, but a title match ranks first.
        assert _titles("chaussures") == ["Chaussure de randonnée", "Bottes de pluie"]
        assert _titles("randonnees") == ["Chaussure de randonnée"]


def test_a_merchant_name_finds_its_products(catalogue):
    with catalogue:
        assert _titles("lenotre", sort="prix") == ["Éclair au café", "Tarte au citron"]
        assert [merchant.name for merchant in search_catalogue(text="lenotre").merchants] == ["Pâtisserie Lenôtre"]


def test_the_last_word_is_a_prefix(catalogue):
    with catalogue:
        outcome = search_catalogue(text="boul")
        assert [merchant.name for merchant in outcome.merchants] == ["Boulangerie Dupont"]
        assert "Baguette tradition" in [product.title for product in outcome.products]
        assert _titles("chaussure rand") == ["Chaussure de randonnée"]


def test_a_title_match_ranks_above_a_description_match(catalogue):
    with catalogue:
        assert _titles("eclair")[0] == "Éclair au café"


def test_sorting_by_price_and_novelty(catalogue):
    with catalogue:
        Product.objects.filter(title="Bottes de pluie").update(created_at="2020-01-01T00:00:00Z")
        assert _titles("chausseur", sort="prix") == ["Chaussure de randonnée", "Bottes de pluie"]
        assert _titles("chausseur", sort="prix-desc") == ["Bottes de pluie", "Chaussure de randonnée"]
        assert _titles("chausseur", sort="nouveautes") == ["Chaussure de randonnée", "Bottes de pluie"]


def test_facets_count_by_category_merchant_and_price_band(catalogue):
    with catalogue:
        outcome = search_catalogue(text="eclair")
        assert [(facet.label, facet.count) for facet in outcome.merchant_facets] == [("Pâtisserie Lenôtre", 2)]
        assert [(facet.label, facet.count) for facet in outcome.category_facets] == [("Boulangerie et pâtisserie", 1)]
        assert [(facet.value, facet.count) for facet in outcome.price_facets] == [("moins-de-10", 1), ("10-25", 1)]

        filtered = search_catalogue(text="eclair", filters=parse_filters(price_key="10-25"))
        assert [product.title for product in filtered.products] == ["Tarte au citron"]
        assert [(facet.value, facet.count, facet.is_selected) for facet in filtered.price_facets] == [
            ("moins-de-10", 1, False),
            ("10-25", 1, True),
        ]
        by_category = search_catalogue(text="lenotre", filters=parse_filters(category_slug="alimentation"))
        assert [product.title for product in by_category.products] == ["Éclair au café"]


def test_facets_are_links_that_filter_the_results(catalogue, client_a):
    html = client_a.get("/recherche/?q=chausseur").content.decode()
    assert 'href="?q=chausseur&amp;prix=50-100"' in html
    assert 'href="?q=chausseur&amp;commerce=chausseur-du-centre"' in html

    filtered = client_a.get("/recherche/?q=chausseur&prix=50-100").content.decode()
    assert "Chaussure de randonnée" in filtered
    assert "Bottes de pluie" not in filtered
    assert 'aria-current="true"' in filtered


def test_an_empty_result_suggests_terms_and_categories(catalogue, client_a):
    html = client_a.get("/recherche/?q=eclair+chaussure").content.decode()

    assert "Aucun résultat pour « eclair chaussure »" in html
    assert 'href="/categories/mode-chaussures/"' in html


def test_gibberish_still_gets_categories(catalogue, client_a):
    html = client_a.get("/recherche/?q=zzqxw").content.decode()

    assert "Aucun résultat pour « zzqxw »" in html
    assert 'href="/categories/alimentation/"' in html


def test_suggested_terms_come_from_the_town_lexicon(catalogue):
    with catalogue:
        lexicon = town_lexicon()
        assert lexicon["eclair"] == "éclair"
        assert "cache" not in lexicon  # a draft merchant's product ("Éclair caché") is not public
        assert "tarte" in suggest_terms(["tartes"], lexicon)
        assert correct_words(["boulangrie", "dupnt"], lexicon) == ["boulangerie", "dupont"]
        assert correct_words(["chauss"], lexicon) == ["chauss"]  # a prefix of a known word is left alone


def test_the_lexicon_is_per_town(catalogue, town_b):
    with catalogue:
        assert "dupont" in town_lexicon()
    with town_b:
        assert "dupont" not in town_lexicon()


@pytest.mark.parametrize(
    "text", ["a & b | !c", "':* <-> (", "x" * 5000, "l'", "   ", "le la les", "- -- -pain -!", "pain -le -'"]
)
def test_any_query_text_is_safe(catalogue, client_a, text):
    response = client_a.get("/recherche/", {"q": text})

    assert response.status_code == 200
    assert "Parcourir" in response.content.decode() or "Aucun résultat" in response.content.decode()


def test_query_words_keep_only_letters_and_digits():
    assert query_words("L'éclair & co | 2 x:*") == ["éclair", "co"]
    assert tsquery_text(["pain", "complet"]) == "pain & complet:*"
    assert tsquery_text(["pain", "les"]) == "pain & les"


def test_search_page_without_query_offers_categories(town_a, client_a):
    html = client_a.get("/recherche/").content.decode()

    assert "<h1>Rechercher</h1>" in html
    assert 'href="/categories/alimentation/"' in html
    assert '<meta name="robots" content="noindex, follow">' in html


def test_products_of_merchants_renamed_or_paused_follow_the_merchant(catalogue):
    with catalogue:
        merchant = Merchant.objects.get(name="Pâtisserie Lenôtre")
        save_merchant(merchant=merchant, status=MerchantStatus.PAUSED)
        assert _titles("eclair") == []


def test_unknown_filters_are_ignored(catalogue):
    with catalogue:
        filters = parse_filters(category_slug="inconnue", merchant_slug="inconnu", price_key="gratuit")
        assert filters == SearchFilters()
        assert _titles("eclair", filters=filters) == ["Éclair au café", "Tarte au citron"]


def test_a_leading_minus_excludes_a_word_and_quotes_only_separate_words():
    assert parse_terms('"pain" -seigle') == SearchTerms(
        words=("pain",), excluded=("seigle",), is_last_word_a_prefix=False
    )
    assert parse_terms("pain-seigle") == SearchTerms(words=("pain", "seigle"))  # a hyphen, not an exclusion
    assert parse_terms("(-pain) «-noix» blé") == SearchTerms(words=("blé",), excluded=("pain", "noix"))
    assert parse_terms("-seigle").words == ()
    assert SearchTerms(words=("pain", "complet"), excluded=("seigle",)).tsquery() == "pain & complet:* & !seigle"
    assert SearchTerms(words=("pain",), excluded=("seigle",), is_last_word_a_prefix=False).tsquery() == "pain & !seigle"


def test_excluded_words_leave_out_the_products_holding_them(catalogue):
    with catalogue:
        assert _titles("tarte -citron") == []
        assert _titles("eclair -cafe") == ["Tarte au citron"]
        assert _titles("-eclair") == []  # nothing asked for: nothing found


# --- absurd query strings: a page, never a 500 -----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=0",
        f"page={10**20}",
        "page=abc",
        "page=1e5",
        "tri=inconnu",
        "tri=-price_cents",
        "prix=abc",
        "prix=%27%3B--",
        "categorie=inexistante",
        "commerce=inexistant",
        "q=" + "comte%20" * 2000,
        "q=%26%7C%21%3A*%28%29%27",
        "q=comte&tri=prix-desc&page=999999999999999999999",
    ],
)
def test_search_survives_absurd_query_strings(client_a, shelf, query):
    response = lenient(client_a).get(f"/recherche/?{query}")
    assert response.status_code == 200


def test_search_with_a_nul_byte_in_the_merchant_filter_is_not_a_500(client_a, shelf):
    """A NUL anywhere in the address gets the 400 page (config.middleware): PostgreSQL refuses NUL in text,
    so ``recherche/?commerce=%00`` would be a 500 (DataError)."""
    response = lenient(client_a).get("/recherche/?q=comte&commerce=%00")
    assert response.status_code == 400


# --- the site and the API: one engine ----------------------------------------------------------
@pytest.fixture
def bakery_and_dairy(town_a):
    """Enough matches for several pages on both front doors (24 a page on the site, 50 in the API)."""
    with town_a:
        bread = Category.objects.get(slug="alimentation-boulangerie-et-patisserie")
        bakeries = [MerchantFactory(name=name) for name in ("Boulangerie Dupont", "Boulangerie du Phare")]
        dairy = MerchantFactory(name="Fromagerie du Beffroi")
        pastry = MerchantFactory(name="Pâtisserie Lenôtre")
        products = [
            ProductFactory(merchant=bakeries[index % 2], title=f"Pain {kind} n° {index // 6}", category=bread)
            for index, kind in enumerate(
                ("de campagne", "de seigle", "aux noix", "complet", "de mie", "au levain") * 10
            )
        ]
        products += [
            ProductFactory(merchant=bakeries[0], title="Pain de campagne", price_cents=300),  # same title: pk decides
            ProductFactory(merchant=dairy, title="Maroilles AOP"),
            ProductFactory(merchant=dairy, title="Plateau de fromages", description="<p>Maroilles, mimolette</p>"),
            ProductFactory(merchant=dairy, title="Fromage de chèvre"),
            ProductFactory(merchant=pastry, title="Éclair au café", category=bread),
            ProductFactory(merchant=pastry, title="Tarte au citron", description="<p>Comme un éclair de génie</p>"),
            ProductFactory(merchant=pastry, title="Tarte aux pommes"),
            ProductFactory(merchant=pastry, title="Pain au chocolat", is_published=False),
        ]
        refresh_search_vectors(
            product_ids=[product.pk for product in products],
            merchant_ids=[merchant.pk for merchant in (*bakeries, dairy, pastry)],
        )
    return town_a


FRONT_DOOR_QUERIES = (
    # exact, accented or not, capitals, plurals, several words, a prefix being typed
    "pain", "maroilles", "éclair", "eclair", "ÉCLAIR", "pains", "tartes", "pain de campagne", "tarte citron", "boul",
    "pâtisserie lenôtre", "patisserie lenotre", "l'éclair",
    # misspelled: corrected against the town's words
    "marolles", "fromaje", "boulangrie", "boulangrie dupnt",
    # nothing found, or merchants only (their town), or stop words only
    "zzqxw", "eclair chaussure", "calais", "le la les",
    # operators, quotes and what looks like injection
    '"pain" -seigle', '"tarte aux" -eclair', "pain -seigle -noix", "-seigle", "pain-seigle", "pain | seigle",
    "pain or seigle", "') OR 1=1 --", "a & b | !c", "':* <-> (",
)  # fmt: skip


def _site_ids(client, text: str) -> list[int]:
    ids, number = [], 1
    while True:
        page = client.get("/recherche/", {"q": text, "page": number}).context["page"]
        ids += [product.pk for product in page.object_list]
        if not page.has_next():
            return ids
        number += 1


def _api_ids(client, text: str) -> list[int]:
    ids, body = [], client.get("/api/v1/products/", {"search": text}).json()
    while True:
        ids += [product["id"] for product in body["results"]]
        if not body["next"]:
            return ids
        url = urlsplit(body["next"])
        body = client.get(f"{url.path}?{url.query}").json()


@pytest.mark.slow
def test_the_site_and_the_api_find_the_same_products_in_the_same_order(bakery_and_dairy, client_a):
    found = {text: _site_ids(client_a, text) for text in FRONT_DOOR_QUERIES}

    for text, site_ids in found.items():
        assert _api_ids(client_a, text) == site_ids, text
    with bakery_and_dairy:
        titles = dict(Product.objects.values_list("pk", "title"))
    assert len(found["pain"]) == 61  # three pages on the site, two in the API
    assert [titles[pk] for pk in found["marolles"]] == ["Maroilles AOP", "Plateau de fromages"]
    assert [titles[pk] for pk in found["fromaje"]] == ["Fromage de chèvre", "Plateau de fromages", "Maroilles AOP"]
    assert [titles[pk] for pk in found['"tarte aux" -eclair']] == ["Tarte aux pommes"]
    assert sorted(titles[pk] for pk in found["pain -seigle -noix"]) == sorted(
        title for pk, title in titles.items() if pk in found["pain"] and "seigle" not in title and "noix" not in title
    )
    assert found["zzqxw"] == found["calais"] == found["-seigle"] == found["') OR 1=1 --"] == []


def test_words_that_find_shops_but_no_product_say_so_plainly_without_mentioning_filters(town_a, client_a):
    with town_a:
        _merchant("Fleuriste du Beffroi")
        _merchant("Les Fleurs de Léa", description="<p>Artisan fleuriste depuis 1990</p>")

    html = client_a.get("/recherche/?q=fleuriste").content.decode()

    assert "Fleuriste du Beffroi" in html
    assert "Les Fleurs de Léa" in html
    assert 'Aucun produit ne correspond à « fleuriste ». Consultez <a href="#search-merchants">' in html
    assert "0 produits" not in html
    assert "ces filtres" not in html
    assert "Retirer les filtres" not in html


def test_a_town_without_a_catalogue_suggests_no_word(town_a, client_a):
    # Given only the category tree seeded at provisioning ("Maison", "Alimentation"…): no product, no shop.
    html = client_a.get("/recherche/?q=pain").content.decode()

    assert "Aucun résultat pour « pain »" in html
    assert "Essayez plutôt" not in html
    assert "?q=maison" not in html


def test_suggested_terms_each_find_something_on_their_own(catalogue, client_a):
    with catalogue:
        assert "maison" not in town_lexicon()  # a category holding no published product is no word of the town
        assert "chaussures" in town_lexicon()  # a category holding one is ("Chaussures")
        assert terms_that_find_something(["tarte", "maison", "avec", "dupont", "caché"]) == ["tarte", "dupont"]

    html = client_a.get("/recherche/?q=tartes+chaussettes").content.decode()

    suggestions = re.findall(r'<li><a href="\?q=([^"]+)">', html)
    assert suggestions
    for term in suggestions:
        with catalogue:
            assert search_catalogue(text=term).has_matches, term


# --- ranking: the shelf and the specialist shop named by the words come first -----------------------
@pytest.fixture
def cheese_and_bread(town_a):
    """The issue's "fromage" on the demo Calais: a supermarket's "Fromage blanc" and a cheese shop."""
    with town_a:
        shelf = {slug: Category.objects.get(slug=f"alimentation-{slug}") for slug in ("fromagerie", "epicerie")}
        local = Category.objects.get(slug="alimentation-produits-locaux")
        supermarket = _merchant("Supermarché du Beau-Marais", kind="partner_supermarket", description="Vos courses")
        supermarket.categories.set([shelf["epicerie"]])
        cheese_shop = _merchant("La Cloche à Fromage", description="<p>Fromages affinés dans notre cave.</p>")
        cheese_shop.categories.set([shelf["fromagerie"]])
        snack = _merchant("Snack du Port")
        bakery = _merchant("Boulangerie du Phare")
        bakery.categories.set([Category.objects.get(slug="alimentation-boulangerie-et-patisserie")])
        bookshop = _merchant("Le Pain de 4 Livres")  # a bookshop with a pun for a name
        bookshop.categories.set([Category.objects.get(slug="culture-loisirs-librairie-et-presse")])
        _product(supermarket, "Fromage blanc 4 × 125 g", category=local, description="<p>Fromage blanc frais.</p>")
        _product(supermarket, "Comté 200 g", category=shelf["fromagerie"])
        _product(supermarket, "Pain de mie")
        _product(cheese_shop, "Maroilles AOP", category=shelf["fromagerie"])
        _product(cheese_shop, "Comté 18 mois", category=shelf["fromagerie"])
        _product(snack, "Pizza 4 fromages")
        _product(bakery, "Pain de campagne")
        _product(bookshop, "Roman de Calais")
    return town_a


CHEESE_FIRST = ["Comté 18 mois", "Maroilles AOP", "Comté 200 g", "Fromage blanc 4 × 125 g", "Pizza 4 fromages"]


def test_the_cheese_shops_cheeses_come_before_the_supermarkets_fromage_blanc(cheese_and_bread):
    with cheese_and_bread:
        assert _titles("fromage") == CHEESE_FIRST
        assert _titles("fromages") == CHEESE_FIRST


def test_a_shop_named_with_the_word_does_not_outrank_the_products_titled_with_it(cheese_and_bread):
    with cheese_and_bread:
        assert _titles("pain") == ["Pain de campagne", "Pain de mie", "Roman de Calais"]


def test_the_site_and_the_api_rank_the_specialist_shop_first_alike(cheese_and_bread, client_a):
    with cheese_and_bread:
        titles = dict(Product.objects.values_list("pk", "title"))

    assert [titles[pk] for pk in _site_ids(client_a, "fromage")] == CHEESE_FIRST
    assert [titles[pk] for pk in _api_ids(client_a, "fromage")] == CHEESE_FIRST
