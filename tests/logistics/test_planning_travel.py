"""Travel-time providers: the straight line, the benchmarks' plane, and OSRM's table service against a
local stand-in server speaking OSRM's JSON."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from logistics.planning.problem import Location, VehicleKind
from logistics.planning.travel import Euclidean, OsrmTable, StraightLine, TravelTimesUnavailable

BIKE = VehicleKind("cargo_bike", speed_kmh=18, capacity=(10,), centre_only=True)
CAR = VehicleKind("car", speed_kmh=36, capacity=(30,))
PLACES = [Location(50.95, 1.85), Location(50.96, 1.85), Location(50.95, 1.87)]


def test_straight_line_is_great_circle_times_detour_at_the_kind_speed() -> None:
    distances, durations = StraightLine(detour_factor=1.3).matrix(PLACES, CAR)

    # 0.01° of latitude is 1,111.95 m on a 6,371 km sphere; × 1.3 = 1,445.5 m; at 10 m/s, 145 s.
    assert distances[0, 1] == 1446
    assert durations[0, 1] == 145
    assert distances[1, 0] == distances[0, 1]
    assert distances[0, 0] == 0
    _, bike_durations = StraightLine(detour_factor=1.3).matrix(PLACES, BIKE)
    assert bike_durations[0, 1] == 289  # half the speed, twice the time


def test_euclidean_scales_and_travel_time_equals_distance() -> None:
    distances, durations = Euclidean(scale=1000).matrix([Location(0, 0), Location(3, 4)], CAR)

    assert distances.tolist() == [[0, 5000], [5000, 0]]
    assert durations.tolist() == distances.tolist()


class _Osrm(BaseHTTPRequestHandler):
    """Answers like OSRM's table service, or fails the way the class attribute ``mode`` says."""

    mode = "ok"
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        if self.mode == "slow":
            time.sleep(1.0)
        if self.mode == "error":
            self._send(500, b'{"code":"InvalidQuery"}')
            return
        if self.mode == "garbage":
            self._send(200, b"<html>proxy error</html>")
            return
        count = len(self.path.split("/")[-1].split("?")[0].split(";"))
        durations = [[0.0 if i == j else 60.4 * abs(i - j) for j in range(count)] for i in range(count)]
        distances = [[0.0 if i == j else 501.6 * abs(i - j) for j in range(count)] for i in range(count)]
        if self.mode == "unroutable":
            durations[0][1] = None  # type: ignore[call-overload]
        answer = {
            "code": "NoSegment" if self.mode == "no-segment" else "Ok",
            "durations": durations,
            "distances": distances,
        }
        self._send(200, json.dumps(answer).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up waiting ("slow")
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def osrm() -> Iterator[str]:
    _Osrm.mode = "ok"
    _Osrm.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_table_reads_distances_and_durations_with_the_kind_profile(osrm: str) -> None:
    table = OsrmTable(osrm, profile_by_kind={"cargo_bike": "bike"}, timeout=2)

    distances, durations = table.matrix(PLACES, BIKE)

    assert durations.tolist() == [[0, 60, 121], [60, 0, 60], [121, 60, 0]]
    assert distances.tolist() == [[0, 502, 1003], [502, 0, 502], [1003, 502, 0]]
    assert _Osrm.paths == [
        "/table/v1/bike/1.850000,50.950000;1.850000,50.960000;1.870000,50.950000?annotations=duration,distance"
    ]


def test_osrm_table_uses_the_default_profile_for_other_kinds(osrm: str) -> None:
    OsrmTable(osrm, profile_by_kind={"cargo_bike": "bike"}, timeout=2).matrix(PLACES[:2], CAR)

    assert _Osrm.paths[0].startswith("/table/v1/driving/")


@pytest.mark.parametrize("mode", ["error", "garbage", "unroutable", "no-segment", "slow"])
def test_osrm_table_failures_raise_travel_times_unavailable(osrm: str, mode: str) -> None:
    _Osrm.mode = mode

    with pytest.raises(TravelTimesUnavailable):
        OsrmTable(osrm, timeout=0.3).matrix(PLACES, CAR)


def test_osrm_table_down_raises_travel_times_unavailable() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osrm)
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more

    with pytest.raises(TravelTimesUnavailable):
        OsrmTable(f"http://127.0.0.1:{port}", timeout=1).matrix(PLACES, CAR)
