"""Geocoders: text typed by a resident → candidate addresses with coordinates and INSEE code.

Two implementations behind one protocol, chosen by the ``GEOCODER`` setting: ``"local"`` (default,
the town's ``LocalAddress`` table, no network) and ``"ban"`` (the national address base through the
Géoplateforme; the old api-adresse.data.gouv.fr endpoint moved to ``data.geopf.fr/geocodage``).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from delivery.models import AddressSearchText, LocalAddress

logger = logging.getLogger(__name__)

DEFAULT_BAN_API_URL = "https://data.geopf.fr/geocodage"
DEFAULT_BAN_TIMEOUT_SECONDS = 3.0
MIN_QUERY_LENGTH = 3
MAX_QUERY_LENGTH = 200
# Results the BAN may return that are not somewhere a courier can ring: a whole commune.
BAN_DELIVERABLE_TYPES = frozenset({"housenumber", "street", "locality"})


@dataclass(frozen=True)
class Address:
    """An address as checkout stores it on an order: coordinates and INSEE code come from the geocoder."""

    label: str  # "12 Rue Royale 62100 Calais"
    street: str  # the address line: "12 Rue Royale"
    postcode: str
    city: str
    insee_code: str
    latitude: float
    longitude: float


class _MatchesWords(models.Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = models.BooleanField()


class _SimpleQuery(models.Func):
    template = "to_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = models.TextField()


class GeocodingError(Exception):
    """The geocoding service failed (network, timeout, bad answer); ``message`` is for residents."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Geocoder(Protocol):
    def search(self, text: str, *, limit: int = 5) -> list[Address]: ...


def fold(text: str) -> str:
    """Lower case without accents, like ``public.comptoir_unaccent`` (œ → oe), spaces squeezed."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return " ".join(text.split())


class LocalGeocoder:
    """Searches the town's ``LocalAddress`` table, accent- and case-insensitively, by word prefixes."""

    def search(self, text: str, *, limit: int = 5) -> list[Address]:
        words = re.findall(r"[^\W_]+", fold(text[:MAX_QUERY_LENGTH]))
        # One-letter words are elisions ("l'", "d'"); one-digit ones are house numbers and count.
        words = [word for word in words if len(word) > 1 or word.isdigit()][:10]
        if not words:
            return []
        # Prefixes so "roy" already finds "Royale" while typing; letters and digits only, so nothing
        # typed can become a tsquery operator.
        query = " & ".join(f"{word}:*" for word in words)
        rows = LocalAddress.objects.filter(
            _MatchesWords(AddressSearchText("label"), _SimpleQuery(models.Value(query)))
        ).order_by("city", "street", "housenumber", "label")[:limit]
        return [address_of(row) for row in rows]


def address_of(row: LocalAddress) -> Address:
    return Address(
        label=row.label,
        street=row.address_line,
        postcode=row.postcode,
        city=row.city,
        insee_code=row.insee_code,
        latitude=row.latitude,
        longitude=row.longitude,
    )


class BanGeocoder:
    """The national address base (BAN) through the Géoplateforme's geocoding API, standard library only."""

    def __init__(self, *, base_url: str | None = None, timeout: float | None = None) -> None:
        base_url = (base_url or getattr(settings, "BAN_API_URL", "") or DEFAULT_BAN_API_URL).rstrip("/")
        # The setting may name the service ("…/geocodage") or its search endpoint ("…/geocodage/search").
        self.search_url = base_url if base_url.endswith("/search") else f"{base_url}/search"
        self.timeout = (
            timeout if timeout is not None else getattr(settings, "BAN_TIMEOUT_SECONDS", DEFAULT_BAN_TIMEOUT_SECONDS)
        )

    def search(self, text: str, *, limit: int = 5) -> list[Address]:
        text = " ".join(text.split())[:MAX_QUERY_LENGTH]
        if len(text) < MIN_QUERY_LENGTH:
            return []
        query = urllib.parse.urlencode({"q": text, "limit": limit, "index": "address"})
        url = f"{self.search_url}?{query}"
        if not url.startswith(("https://", "http://")):
            raise GeocodingError(_("Le service de recherche d'adresses est mal configuré."))
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read(2_000_000))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            # Not the text itself: it is often a resident's home address (personal data in the logs).
            logger.warning("BAN geocoding failed for a %d-character query: %s", len(text), error)
            raise GeocodingError(
                _("Le service national des adresses ne répond pas pour le moment. Réessayez dans un instant.")
            ) from error
        return self._addresses(payload)[:limit]

    @staticmethod
    def _addresses(payload: Any) -> list[Address]:
        features = payload.get("features") if isinstance(payload, dict) else None
        if not isinstance(features, list):
            raise GeocodingError(_("Le service national des adresses a envoyé une réponse illisible."))
        addresses = []
        for feature in features:
            try:
                properties = feature["properties"]
                longitude, latitude = feature["geometry"]["coordinates"][:2]
                if properties.get("type") not in BAN_DELIVERABLE_TYPES:
                    continue
                street = properties.get("name") or " ".join(
                    part for part in (properties.get("housenumber"), properties.get("street")) if part
                )
                addresses.append(
                    Address(
                        label=properties["label"],
                        street=street,
                        postcode=properties.get("postcode", ""),
                        city=properties.get("city", ""),
                        insee_code=properties.get("citycode", ""),
                        latitude=float(latitude),
                        longitude=float(longitude),
                    )
                )
            except (KeyError, TypeError, ValueError):
                logger.warning("BAN feature skipped, unexpected shape: %r", feature)
        return addresses


def get_geocoder() -> Geocoder:
    """The geocoder named by ``settings.GEOCODER``: "local" (default) or "ban"."""
    name = getattr(settings, "GEOCODER", "local")
    if name == "ban":
        return BanGeocoder()
    if name == "local":
        return LocalGeocoder()
    raise ValueError(f"Unknown GEOCODER setting: {name!r} (expected 'local' or 'ban')")
