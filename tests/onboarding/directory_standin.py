"""A local stand-in for the national company directory (recherche-entreprises.api.gouv.fr), replaying
the answers saved in tests/onboarding/data/directory/ (see its README), plus the ways it fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_django.fixtures import Settings

DATA = Path(__file__).parent / "data" / "directory"

# (q, code_postal, code_commune) → saved answer; anything else: no result.
RECORDED = {
    ("81234567600017", "", ""): "siret_81234567600017.json",
    ("49876543700021", "", ""): "siret_49876543700021.json",
    ("52311478300013", "", ""): "siret_52311478300013.json",
    ("88120934000010", "", ""): "siret_88120934000010.json",
    ("fleurs", "62100", ""): "search_fleurs_62100.json",
    ("fournil", "", "62193"): "search_fournil_62193.json",
}
# Valid checksums, each answered by a failure.
SLOW_SIRET = "79045612300021"
BROKEN_SIRET = "79045612300039"
BUSY_SIRET = "88120934000028"
GARBLED_SIRET = "88120934000036"
TIMEOUT_SECONDS = 0.3


class RecordedDirectory(BaseHTTPRequestHandler):
    requests: list[dict[str, list[str]]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        RecordedDirectory.requests.append(query)
        text = query.get("q", [""])[0].lower()
        key = (text, query.get("code_postal", [""])[0], query.get("code_commune", [""])[0])
        if url.path != "/search":
            self._send(404, b'{"erreur": "Not Found"}')
        elif text == SLOW_SIRET:
            time.sleep(TIMEOUT_SECONDS * 3)
            self._send(200, (DATA / "empty.json").read_bytes())
        elif text == BROKEN_SIRET:
            self._send(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
        elif text == BUSY_SIRET:
            self._send(429, b'{"erreur": "Trop de requ\\u00eates, veuillez r\\u00e9essayer plus tard."}')
        elif text == GARBLED_SIRET:
            self._send(200, b'{"results": [{"siren": "881209340", "nom_complet": ')
        elif len(text) < 3:
            self._send(400, b'{"erreur": "Veuillez indiquer au moins 3 caract\\u00e8res."}')
        else:
            self._send(200, (DATA / RECORDED.get(key, "empty.json")).read_bytes())

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
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


@pytest.fixture(name="directory")
def directory_fixture(settings: Settings) -> Iterator[list[dict[str, list[str]]]]:
    """The stand-in, running; ``COMPANY_DIRECTORY_URL`` points at it. Yields the requests it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordedDirectory)
    server.daemon_threads = True
    server.block_on_close = False  # the slow answer outlives its client: do not wait for it
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    RecordedDirectory.requests = []
    settings.COMPANY_DIRECTORY_URL = f"http://127.0.0.1:{server.server_port}"
    settings.COMPANY_DIRECTORY_TIMEOUT = TIMEOUT_SECONDS
    yield RecordedDirectory.requests
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_company_directory(settings: Settings) -> None:
    """Imported by each test module of the directory: off (no network) unless a test starts the stand-in."""
    settings.COMPANY_DIRECTORY_URL = ""
