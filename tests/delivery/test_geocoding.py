"""Geocoders (BAN adapter against recorded answers, local table), address resolution, suggestions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from delivery.geocoding import Address, BanGeocoder, GeocodingError, LocalGeocoder, get_geocoder
from delivery.provider import DeliveryUnavailable, provider
from tests.delivery.factories import LocalAddressFactory

FIXTURES = Path(__file__).parent / "fixtures"
# Query typed → recorded answer of the BAN (Géoplateforme) in tests/delivery/fixtures/.
RECORDED = {
    "12 rue royale calais": ("ban_12_rue_royale_calais.json", 200),
    "12 rue royale 62100 calais": ("ban_12_rue_royale_calais.json", 200),
    "rue royale calais": ("ban_rue_royale_calais.json", 200),
    "zzzz introuvable": ("ban_empty.json", 200),
}
SLOW_QUERY = "adresse lente"
BROKEN_QUERY = "panne serveur"

TWELVE_RUE_ROYALE = Address(
    label="12 Rue Royale 62100 Calais",
    street="12 Rue Royale",
    postcode="62100",
    city="Calais",
    insee_code="62193",
    latitude=50.956614,
    longitude=1.851296,
)


class RecordedBan(BaseHTTPRequestHandler):
    requests: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        RecordedBan.requests.append(query)
        text = query.get("q", [""])[0].lower()
        if url.path != "/geocodage/search":
            self._send(404, b'{"code": 404, "message": "Not Found"}')
        elif text == SLOW_QUERY:
            time.sleep(0.6)
            self._send(200, (FIXTURES / "ban_empty.json").read_bytes())
        elif text == BROKEN_QUERY:
            self._send(500, b"<html><body>500 Internal Server Error</body></html>", content_type="text/html")
        elif text in RECORDED:
            name, status = RECORDED[text]
            self._send(status, (FIXTURES / name).read_bytes())
        else:
            self._send(400, (FIXTURES / "ban_bad_request.json").read_bytes())

    def _send(self, status: int, body: bytes, *, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ban_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedBan)
    server.daemon_threads = True
    server.block_on_close = False  # the slow answer outlives its client: do not wait for it
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    RecordedBan.requests = []
    yield f"http://127.0.0.1:{server.server_port}/geocodage"
    server.shutdown()
    server.server_close()


@pytest.fixture
def ban_settings(settings, ban_url):
    settings.GEOCODER = "ban"
    settings.BAN_API_URL = ban_url
    settings.BAN_TIMEOUT_SECONDS = 0.3
    return settings


# --- BAN adapter ---------------------------------------------------------------------------------


def test_ban_answer_becomes_addresses_with_insee_code_and_lat_lon(ban_settings):
    assert BanGeocoder().search("12 rue royale calais") == [TWELVE_RUE_ROYALE]
    assert RecordedBan.requests == [{"q": ["12 rue royale calais"], "limit": ["5"], "index": ["address"]}]


def test_ban_setting_may_name_the_search_endpoint_itself(ban_settings, ban_url):
    assert BanGeocoder(base_url=f"{ban_url}/search/").search("12 rue royale calais") == [TWELVE_RUE_ROYALE]
    assert BanGeocoder().search_url == f"{ban_url}/search"


def test_ban_results_of_a_whole_commune_are_left_out(ban_settings):
    labels = [address.label for address in BanGeocoder().search("rue royale calais")]
    assert labels == ["Rue Royale 62100 Calais", "12 Rue Royale 62100 Calais"]


def test_ban_no_result_is_an_empty_list(ban_settings):
    assert BanGeocoder().search("zzzz introuvable") == []


@pytest.mark.parametrize("text", [SLOW_QUERY, BROKEN_QUERY], ids=["timeout", "server-error"])
def test_ban_failure_is_a_french_error_not_a_crash(ban_settings, text):
    with pytest.raises(GeocodingError) as failure:
        BanGeocoder().search(text)
    assert failure.value.message == (
        "Le service national des adresses ne répond pas pour le moment. Réessayez dans un instant."
    )


def test_ban_unreachable_is_the_same_french_error(settings):
    settings.BAN_API_URL = "http://127.0.0.1:9/geocodage/search"  # discard port: nothing listens
    with pytest.raises(GeocodingError):
        BanGeocoder(timeout=0.3).search("12 rue royale calais")


def test_ban_short_text_is_not_sent(ban_settings):
    assert BanGeocoder().search("12") == []
    assert RecordedBan.requests == []


def test_get_geocoder_follows_the_setting(settings):
    settings.GEOCODER = "ban"
    assert isinstance(get_geocoder(), BanGeocoder)
    settings.GEOCODER = "local"
    assert isinstance(get_geocoder(), LocalGeocoder)
    del settings.GEOCODER
    assert isinstance(get_geocoder(), LocalGeocoder)


# --- local geocoder ------------------------------------------------------------------------------


@pytest.fixture
def local_addresses(town_a):
    with town_a:
        LocalAddressFactory()
        LocalAddressFactory(housenumber="35", latitude=50.9575, longitude=1.8506)
        LocalAddressFactory(
            housenumber="12",
            street="Rue de l'Église",
            postcode="62231",
            city="Coquelles",
            insee_code="62239",
            latitude=50.9305,
            longitude=1.7990,
        )
        LocalAddressFactory(housenumber="40", street="Boulevard de l'Égalité", latitude=50.943, longitude=1.870)


def labels(addresses: list[Address]) -> list[str]:
    return [address.label for address in addresses]


def test_local_search_ignores_case(town_a, local_addresses):
    with town_a:
        found = LocalGeocoder().search("rue royale")
    assert labels(found) == ["12 Rue Royale 62100 Calais", "35 Rue Royale 62100 Calais"]


def test_local_search_ignores_accents(town_a, local_addresses):
    with town_a:
        assert labels(LocalGeocoder().search("eglise")) == ["12 Rue de l'Église 62231 Coquelles"]
        assert labels(LocalGeocoder().search("ÉGALITÉ")) == ["40 Boulevard de l'Égalité 62100 Calais"]


def test_local_search_matches_word_beginnings_while_typing(town_a, local_addresses):
    with town_a:
        assert labels(LocalGeocoder().search("35 rue roy")) == ["35 Rue Royale 62100 Calais"]
        assert LocalGeocoder().search("royale marck") == []


def test_local_search_returns_full_addresses(town_a, local_addresses):
    with town_a:
        assert LocalGeocoder().search("12 rue de l eglise coquelles") == [
            Address(
                label="12 Rue de l'Église 62231 Coquelles",
                street="12 Rue de l'Église",
                postcode="62231",
                city="Coquelles",
                insee_code="62239",
                latitude=50.9305,
                longitude=1.799,
            )
        ]


def test_local_search_text_cannot_inject_query_operators(town_a, local_addresses):
    with town_a:
        assert LocalGeocoder().search("royale & ! | :* ()") == LocalGeocoder().search("royale")


def test_local_search_respects_the_limit(town_a, local_addresses):
    with town_a:
        assert len(LocalGeocoder().search("rue", limit=1)) == 1


# --- resolving the address a resident picked -----------------------------------------------------


def test_resolve_address_geocodes_the_picked_label_again(town_a, local_addresses):
    with town_a:
        resolved = provider.resolve_address("12 rue Royale 62100 CALAIS")
    assert (resolved.label, resolved.insee_code, resolved.latitude) == ("12 Rue Royale 62100 Calais", "62193", 50.9566)


def test_resolve_address_refuses_an_ambiguous_text(town_a, local_addresses):
    with town_a, pytest.raises(DeliveryUnavailable) as refusal:
        provider.resolve_address("rue royale")
    assert refusal.value.code == "address_ambiguous"
    assert refusal.value.message == "Plusieurs adresses correspondent : choisissez-en une dans la liste proposée."


def test_resolve_address_refuses_an_unknown_address(town_a, local_addresses):
    with town_a, pytest.raises(DeliveryUnavailable) as refusal:
        provider.resolve_address("8 impasse inconnue")
    assert refusal.value.code == "address_not_found"
    assert refusal.value.message == "Adresse introuvable : vérifiez le numéro, la rue et la commune."


def test_resolve_address_through_the_ban(ban_settings, town_a):
    with town_a:
        assert provider.resolve_address("12 Rue Royale 62100 Calais") == TWELVE_RUE_ROYALE


def test_resolve_address_when_the_ban_is_down_says_so_in_french(ban_settings, town_a):
    with town_a, pytest.raises(DeliveryUnavailable) as refusal:
        provider.resolve_address(BROKEN_QUERY)
    assert refusal.value.code == "geocoder_unavailable"


# --- suggestions endpoint ------------------------------------------------------------------------

SUGGESTIONS = "/livraison/adresses/"


def test_suggestions_as_an_html_fragment_of_keyboard_buttons(client_a, local_addresses):
    response = client_a.get(SUGGESTIONS, {"q": "rue royale"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="address-suggestions-status" role="status" aria-live="polite">2 adresses proposées</p>' in html
    assert html.count('<button type="button" name="address"') == 2
    assert 'value="12 Rue Royale 62100 Calais"' in html


def test_suggestions_as_json(client_a, local_addresses):
    response = client_a.get(SUGGESTIONS, {"q": "eglise", "format": "json"})
    assert response.status_code == 200
    assert response.json() == {
        "query": "eglise",
        "results": [
            {
                "label": "12 Rue de l'Église 62231 Coquelles",
                "street": "12 Rue de l'Église",
                "postcode": "62231",
                "city": "Coquelles",
                "insee_code": "62239",
                "latitude": 50.9305,
                "longitude": 1.799,
            }
        ],
    }


def test_suggestions_need_three_characters(client_a, local_addresses):
    assert client_a.get(SUGGESTIONS, {"q": "ru", "format": "json"}).json() == {"query": "ru", "results": []}
    html = client_a.get(SUGGESTIONS, {"q": "ru"}).content.decode()
    assert "Tapez au moins 3 caractères pour voir des adresses." in html


def test_suggestions_say_when_nothing_matches(client_a, local_addresses):
    html = client_a.get(SUGGESTIONS, {"q": "introuvable"}).content.decode()
    assert "Aucune adresse ne correspond à « introuvable »." in html


def test_suggestions_of_one_town_never_show_another_towns_addresses(client_b, local_addresses):
    assert client_b.get(SUGGESTIONS, {"q": "rue royale", "format": "json"}).json()["results"] == []


def test_suggestions_when_the_ban_is_down(client_a, ban_settings):
    response = client_a.get(SUGGESTIONS, {"q": BROKEN_QUERY, "format": "json"})
    assert response.status_code == 503
    assert response.json()["error"].startswith("Le service national des adresses ne répond pas")
    assert (
        "Le service national des adresses ne répond pas"
        in client_a.get(SUGGESTIONS, {"q": BROKEN_QUERY}).content.decode()
    )


def test_suggestions_are_cached_and_each_client_is_limited(client_a, local_addresses, settings, monkeypatch):
    from delivery import views

    calls = []
    real = views.get_geocoder

    def counting_geocoder():
        geocoder = real()
        search = geocoder.search

        def counted(text, *, limit=5):
            calls.append(text)
            return search(text, limit=limit)

        geocoder.search = counted
        return geocoder

    monkeypatch.setattr(views, "get_geocoder", counting_geocoder)
    monkeypatch.setattr(views, "REQUESTS_PER_MINUTE", 3)

    first = client_a.get("/livraison/adresses/", {"q": "rue royale", "format": "json"})
    second = client_a.get("/livraison/adresses/", {"q": "Rue  Royale", "format": "json"})
    third = client_a.get("/livraison/adresses/", {"q": "rue royale", "format": "json"})
    fourth = client_a.get("/livraison/adresses/", {"q": "rue royale", "format": "json"})

    assert first.json()["results"] == second.json()["results"] != []
    assert calls == ["rue royale"]  # one lookup, then the cache
    assert third.status_code == 200
    assert fourth.status_code == 429
    assert "Trop de recherches" in fourth.content.decode()


def test_cached_suggestions_of_one_town_never_answer_another(client_a, client_b, town_a, town_b):
    with town_a:
        LocalAddressFactory(street="Rue Royale", city="Calais")
    with town_b:
        LocalAddressFactory(street="Rue Royale", city="Autreville", postcode="59000", insee_code="59350")
    first = client_a.get(SUGGESTIONS, {"q": "rue royale", "format": "json"}).json()["results"]
    second = client_b.get(SUGGESTIONS, {"q": "rue royale", "format": "json"}).json()["results"]
    assert [address["city"] for address in first] == ["Calais"]
    assert [address["city"] for address in second] == ["Autreville"]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 5000},
        {"q": "rue & | ! :* ( ) '"},
        {"q": "rue", "format": "xml"},
        {"q": ["a", "b"]},
        {},
    ],
)
def test_suggestions_survive_absurd_input(client_a, town_a, query):
    client_a.raise_request_exception = False
    response = client_a.get(SUGGESTIONS, query)
    assert response.status_code == 200


def test_a_nul_character_in_the_query_gets_the_400_page(client_a, town_a):
    response = client_a.get(SUGGESTIONS, {"q": "\x00\x00\x00"})
    assert response.status_code == 400


def test_suggestions_do_not_accept_writes(client_a):
    assert client_a.post(SUGGESTIONS, {"q": "rue royale"}).status_code == 405


@pytest.fixture
def limit_of_three(town_a, monkeypatch):
    from delivery import views

    monkeypatch.setattr(views, "REQUESTS_PER_MINUTE", 3)
    with town_a:
        LocalAddressFactory()


def _five_lookups(client, *, remote: str, forwarded_for: list[str]) -> list[int]:
    return [
        client.get(
            SUGGESTIONS, {"q": "rue royale", "format": "json"}, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
        ).status_code
        for forwarded in forwarded_for
    ]


def test_residents_behind_the_reverse_proxy_are_not_limited_together(client_a, limit_of_three, settings):
    """Behind Caddy/nginx REMOTE_ADDR is the proxy: the limit is keyed on the address the proxy saw, so a
    town's residents never share one budget of lookups a minute."""
    settings.TRUSTED_PROXY_COUNT = 1  # one reverse proxy in front, as deployed (infra/)
    residents = [f"203.0.113.{resident}" for resident in range(1, 6)]
    assert _five_lookups(client_a, remote="127.0.0.1", forwarded_for=residents) == [200] * 5


def test_without_a_trusted_proxy_a_forged_forwarded_for_changes_nothing(client_a, limit_of_three, settings):
    """gunicorn facing clients directly (the default): X-Forwarded-For is the client's own words, so
    sending a new one with each request must not reset the limit."""
    settings.TRUSTED_PROXY_COUNT = 0
    forged = [f"203.0.113.{number}" for number in range(1, 6)]
    assert _five_lookups(client_a, remote="198.51.100.7", forwarded_for=forged) == [200, 200, 200, 429, 429]


def test_behind_one_proxy_only_the_address_it_wrote_counts(client_a, limit_of_three, settings):
    """The client can prepend anything to X-Forwarded-For; the proxy appends the real address last."""
    settings.TRUSTED_PROXY_COUNT = 1
    forged = [f"10.0.0.{number}, 203.0.113.9" for number in range(1, 6)]
    assert _five_lookups(client_a, remote="127.0.0.1", forwarded_for=forged) == [200, 200, 200, 429, 429]
