"""The national company directory (« Recherche d’entreprises », recherche-entreprises.api.gouv.fr): a
business looked up by its SIRET, or by its name in a commune, as typed ``Establishment`` values.

The API is public and needs no key (https://recherche-entreprises.api.gouv.fr/docs/). It answers
``GET /search?q=…`` with ``results[]``: one legal unit each (``siren``, ``nom_complet``,
``activite_principale``, ``siege`` — its head office) and ``matching_etablissements[]``, its
establishments that match the filters (``code_postal``, ``code_commune``), each with ``siret``,
``adresse``, ``code_postal``, ``libelle_commune``, ``commune`` (INSEE code), ``latitude``/``longitude``
(strings), ``activite_principale`` (NAF, "47.24Z"), ``etat_administratif`` ("A" open, "F" closed) and
``liste_enseignes`` (the shop signs).

Settings: ``COMPANY_DIRECTORY_URL`` (empty: no lookup, everything typed by hand) and
``COMPANY_DIRECTORY_TIMEOUT`` (seconds). Any failure — timeout, network down, 429 (the API allows a few
requests a second), 5xx, a body that is not the expected JSON — raises ``DirectoryUnavailable`` with a
French message: the forms then let people type the details themselves. Answers are cached ten minutes
(per town, through the tenant-aware cache keys). Only the standard library is used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from catalog.validators import compact_siret
from onboarding.naf import normalise_naf

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://recherche-entreprises.api.gouv.fr"
DEFAULT_TIMEOUT_SECONDS = 3.0
CACHE_SECONDS = 600
# The API refuses shorter queries (400).
MIN_NAME_LENGTH = 3
MAX_NAME_LENGTH = 100
PER_PAGE = 10
MAX_BODY_BYTES = 2_000_000
# Words left in lower case when a name or street written in capitals is put in title case.
_SMALL_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "et", "à", "au", "aux", "en", "sur", "sous"})


@dataclass(frozen=True)
class Establishment:
    """One establishment (a shop, a workshop) of a business, as the directory knows it."""

    # The shop's sign when the directory has one, else the business's name.
    name: str
    legal_name: str
    siren: str
    siret: str
    address_line: str
    postcode: str
    city: str
    insee_code: str
    # "4724Z", without the dot (``onboarding.naf.normalise_naf``); "" when unknown.
    naf_code: str
    latitude: Decimal | None
    longitude: Decimal | None
    is_active: bool
    is_head_office: bool

    @property
    def postal_address(self) -> str:
        return " ".join(part for part in (f"{self.address_line},", self.postcode, self.city) if part.strip(","))


class DirectoryUnavailable(Exception):
    """The directory could not answer (or is switched off): ``message`` says so in French."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or _("L’annuaire des entreprises ne répond pas : saisissez les informations à la main.")
        super().__init__(self.message)


def is_enabled() -> bool:
    """Whether the town's pages may look businesses up (``COMPANY_DIRECTORY_URL`` not empty)."""
    return bool(getattr(settings, "COMPANY_DIRECTORY_URL", DEFAULT_URL))


def find_establishment(siret: str) -> Establishment | None:
    """The establishment with this SIRET, or None when the directory does not know it.

    The SIRET must be 14 digits (check it with ``catalog.validators.validate_siret`` first: a bad
    checksum never reaches the API).
    """
    siret = compact_siret(siret)
    if not re.fullmatch(r"[0-9]{14}", siret):
        raise ValueError("a SIRET is 14 digits")
    for result in _search({"q": siret, "page": 1, "per_page": PER_PAGE}):
        for establishment in _establishments_of(result):
            if establishment.siret == siret:
                return establishment
    return None


def search_establishments(name: str, *, postcode: str = "", insee_code: str = "") -> list[Establishment]:
    """Establishments whose business matches ``name``, in the commune given by its postcode or INSEE code.

    At most ``PER_PAGE`` businesses, each with its establishments in that commune (its head office when
    the directory lists none); closed ones included (``is_active`` False) so people see why.
    """
    name = " ".join(name.split())[:MAX_NAME_LENGTH]
    if len(name) < MIN_NAME_LENGTH:
        return []
    params: dict[str, Any] = {"q": name, "page": 1, "per_page": PER_PAGE}
    if postcode:
        params["code_postal"] = postcode
    if insee_code:
        params["code_commune"] = insee_code
    found: list[Establishment] = []
    for result in _search(params):
        in_commune = [
            establishment
            for establishment in _establishments_of(result, matching_only=True)
            if (not postcode or establishment.postcode == postcode)
            and (not insee_code or establishment.insee_code == insee_code)
        ]
        found.extend(in_commune or [e for e in _establishments_of(result) if e.is_head_office][:1])
    return found


# --- the HTTP exchange ------------------------------------------------------------------------------


def _search_url() -> str:
    base = str(getattr(settings, "COMPANY_DIRECTORY_URL", DEFAULT_URL)).rstrip("/")
    if not base:
        raise DirectoryUnavailable(
            _("La recherche dans l’annuaire des entreprises n’est pas activée : saisissez les informations à la main.")
        )
    if not base.startswith(("https://", "http://")):
        logger.error("COMPANY_DIRECTORY_URL is not an http(s) URL: %r", base)
        raise DirectoryUnavailable()
    return base if base.endswith("/search") else f"{base}/search"


def _search(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``results`` of one search, from the cache or the API."""
    url = f"{_search_url()}?{urllib.parse.urlencode(params)}"
    key = "company-directory:" + hashlib.sha256(url.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    timeout = float(getattr(settings, "COMPANY_DIRECTORY_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 — checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = json.loads(response.read(MAX_BODY_BYTES))
    except urllib.error.HTTPError as error:
        # 429: over the API's rate; 5xx: down; 400: a query it refuses (none of ours should be).
        logger.warning("Company directory answered HTTP %s", error.code)
        raise DirectoryUnavailable() from error
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        logger.warning("Company directory unreachable or unreadable: %s", error)
        raise DirectoryUnavailable() from error
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list) or not all(isinstance(result, dict) for result in results):
        logger.warning("Company directory answer without a list of results")
        raise DirectoryUnavailable()
    cache.set(key, results, CACHE_SECONDS)
    return results


# --- reading an answer ------------------------------------------------------------------------------


def _establishments_of(result: dict[str, Any], *, matching_only: bool = False) -> list[Establishment]:
    """The result's matching establishments then its head office (each SIRET once), shapes checked."""
    raw: list[Any] = list(result.get("matching_etablissements") or [])
    if not matching_only:
        raw.append(result.get("siege"))
    seen: set[str] = set()
    establishments = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        try:
            establishment = _establishment(result, item)
        except (KeyError, TypeError, ValueError):
            logger.warning("Company directory establishment skipped, unexpected shape")
            continue
        if establishment.siret not in seen:
            seen.add(establishment.siret)
            establishments.append(establishment)
    return establishments


def _establishment(result: dict[str, Any], item: dict[str, Any]) -> Establishment:
    siret = str(item["siret"])
    if not re.fullmatch(r"[0-9]{14}", siret):
        raise ValueError(siret)
    legal_name = _title(str(result.get("nom_complet") or result.get("nom_raison_sociale") or ""))
    signs = [sign for sign in item.get("liste_enseignes") or [] if isinstance(sign, str) and sign.strip()]
    name = _title(signs[0]) if signs else _title(str(item.get("nom_commercial") or "")) or legal_name
    postcode = str(item.get("code_postal") or "")
    city = str(item.get("libelle_commune") or "")
    return Establishment(
        name=name[:160],
        legal_name=legal_name,
        siren=str(result.get("siren") or siret[:9]),
        siret=siret,
        address_line=_street_of(str(item.get("adresse") or ""), postcode=postcode, city=city)[:200],
        postcode=postcode[:5],
        city=_title(city)[:100],
        insee_code=str(item.get("commune") or "")[:5],
        naf_code=normalise_naf(str(item.get("activite_principale") or result.get("activite_principale") or "")),
        latitude=_coordinate(item.get("latitude"), limit=90),
        longitude=_coordinate(item.get("longitude"), limit=180),
        is_active=item.get("etat_administratif") == "A",
        is_head_office=bool(item.get("est_siege")) or item is result.get("siege"),
    )


def _street_of(address: str, *, postcode: str, city: str) -> str:
    """ "12 RUE ROYALE 62100 CALAIS" → "12 Rue Royale": the directory's one-line address without its commune."""
    address = " ".join(address.split())
    tail = f" {postcode} {city}".rstrip()
    if postcode and address.upper().endswith(tail.upper()):
        address = address[: -len(tail)]
    elif postcode and f" {postcode} " in f" {address} ":
        address = address[: f" {address} ".index(f" {postcode} ")].rstrip()
    return _title(address)


def _title(text: str) -> str:
    """ "BOULANGERIE DE LA PLACE D'ARMES" → "Boulangerie de la Place d'Armes" (text in capitals only)."""
    text = " ".join(text.split())
    if text != text.upper():
        return text
    words = []
    for index, word in enumerate(text.lower().split(" ")):
        if index and word in _SMALL_WORDS:
            words.append(word)
        elif len(word) > 2 and word[1] == "'" and word[0] in "dl":
            words.append(f"{word[0].upper() if index == 0 else word[0]}'{word[2:].capitalize()}")
        else:
            words.append("-".join(part.capitalize() for part in word.split("-")))
    return " ".join(words)


def _coordinate(value: Any, *, limit: int) -> Decimal | None:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() and abs(number) <= limit else None
