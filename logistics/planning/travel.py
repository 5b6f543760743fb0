"""Travel distances and times between locations, per vehicle kind (no Django).

A provider answers ``matrix(locations, kind) -> (distances_m, durations_s)``: two square integer
numpy arrays indexed like ``locations``. ``StraightLine`` needs no server (the default);
``OsrmTable`` asks an OSRM server and raises ``TravelTimesUnavailable`` when it cannot answer, so
the caller can fall back to the straight line; ``Euclidean`` serves the academic benchmarks.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from logistics.planning.problem import Location, VehicleKind

Matrix = NDArray[np.int64]

EARTH_RADIUS_M = 6_371_000.0


class TravelTimesUnavailable(Exception):
    """The travel-time provider could not answer (server down, timeout, unexpected answer)."""


class TravelTimes(Protocol):
    def matrix(self, locations: Sequence[Location], kind: VehicleKind) -> tuple[Matrix, Matrix]:
        """(distances in metres, durations in seconds) between every pair of ``locations``."""
        ...


def haversine_matrix(locations: Sequence[Location]) -> NDArray[np.float64]:
    """Great-circle distances in metres between every pair of locations."""
    lat = np.radians(np.array([location.lat for location in locations], dtype=np.float64))
    lon = np.radians(np.array([location.lon for location in locations], dtype=np.float64))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class StraightLine:
    """Great-circle distance × a detour factor, travelled at the vehicle kind's speed."""

    def __init__(self, detour_factor: float = 1.3) -> None:
        self.detour_factor = detour_factor

    def matrix(self, locations: Sequence[Location], kind: VehicleKind) -> tuple[Matrix, Matrix]:
        metres = haversine_matrix(locations) * self.detour_factor
        seconds = metres / (kind.speed_kmh / 3.6)
        return np.rint(metres).astype(np.int64), np.rint(seconds).astype(np.int64)


class Euclidean:
    """Plain x/y distance (``Location.lat`` is x, ``lon`` is y) × ``scale``; travel time = distance.

    The convention of the published Solomon / Li & Lim comparisons (scaled to integers)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def matrix(self, locations: Sequence[Location], kind: VehicleKind) -> tuple[Matrix, Matrix]:
        x = np.array([location.lat for location in locations], dtype=np.float64)
        y = np.array([location.lon for location in locations], dtype=np.float64)
        distances = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]) * self.scale
        rounded = np.rint(distances).astype(np.int64)
        return rounded, rounded.copy()


class OsrmTable:
    """An OSRM server's table service: ``/table/v1/{profile}/{lon,lat;...}``.

    ``profile_by_kind`` maps a vehicle kind's key to the server's profile ("bike", "car"); a kind
    not in it uses ``default_profile``. Any failure — connection, HTTP status, timeout, malformed or
    incomplete JSON, an unroutable pair — raises ``TravelTimesUnavailable``."""

    def __init__(
        self,
        base_url: str,
        profile_by_kind: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        default_profile: str = "driving",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile_by_kind = dict(profile_by_kind or {})
        self.timeout = timeout
        self.default_profile = default_profile

    def url(self, locations: Sequence[Location], kind: VehicleKind) -> str:
        profile = self.profile_by_kind.get(kind.key, self.default_profile)
        coordinates = ";".join(f"{location.lon:.6f},{location.lat:.6f}" for location in locations)
        return f"{self.base_url}/table/v1/{profile}/{coordinates}?annotations=duration,distance"

    def matrix(self, locations: Sequence[Location], kind: VehicleKind) -> tuple[Matrix, Matrix]:
        size = len(locations)
        if size == 0:
            empty = np.zeros((0, 0), dtype=np.int64)
            return empty, empty.copy()
        url = self.url(locations, kind)
        if not url.startswith(("http://", "https://")):
            raise TravelTimesUnavailable(f"OSRM base URL must be http(s): {self.base_url!r}")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310 (scheme checked above)
                body = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise TravelTimesUnavailable(f"OSRM table request failed: {error}") from error
        try:
            answer = json.loads(body)
        except ValueError as error:
            raise TravelTimesUnavailable("OSRM table answer is not JSON") from error
        if not isinstance(answer, dict) or answer.get("code") != "Ok":
            code = answer.get("code") if isinstance(answer, dict) else None
            raise TravelTimesUnavailable(f"OSRM table answered code {code!r}")
        return self._square(answer, "distances", size), self._square(answer, "durations", size)

    @staticmethod
    def _square(answer: dict[str, object], key: str, size: int) -> Matrix:
        rows = answer.get(key)
        if not isinstance(rows, list) or len(rows) != size:
            raise TravelTimesUnavailable(f"OSRM table answer has no {size}×{size} {key!r}")
        values = np.zeros((size, size), dtype=np.int64)
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != size:
                raise TravelTimesUnavailable(f"OSRM table answer has a malformed {key!r} row")
            for j, value in enumerate(row):
                if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                    # OSRM answers null for a pair it cannot route.
                    raise TravelTimesUnavailable(f"OSRM table cannot route {key} from {i} to {j}")
                values[i, j] = round(value)
        return values
