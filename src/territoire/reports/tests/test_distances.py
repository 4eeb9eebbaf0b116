"""Distance providers: straight line, OSRM table service (against a local fake server), settings."""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from territoire.core.geo import haversine_m
from territoire.reports.distances import (
    DistanceError,
    OsrmTableProvider,
    StraightLineProvider,
    _parse_distances,
    provider_from_settings,
)

TOULOUSE = (43.6045, 1.4440)
BLAGNAC = (43.6370, 1.3903)
BALMA = (43.6111, 1.4994)


# --- straight line ---------------------------------------------------------------------------


def test_straight_line_is_haversine_times_detour() -> None:
    matrix = StraightLineProvider(detour_factor=1.5).matrix([TOULOUSE, BLAGNAC, BALMA])
    assert matrix[0][1] == pytest.approx(haversine_m(*TOULOUSE, *BLAGNAC) * 1.5)
    assert [matrix[i][i] for i in range(3)] == [0.0, 0.0, 0.0]
    assert all(matrix[i][j] == matrix[j][i] for i in range(3) for j in range(3))


def test_straight_line_one_degree_of_latitude() -> None:
    # 1° of latitude is 111.2 km on the mean sphere; default detour factor 1.3.
    matrix = StraightLineProvider().matrix([(43.0, 1.0), (44.0, 1.0)])
    assert matrix[0][1] == pytest.approx(111_195 * 1.3, rel=1e-4)


def test_straight_line_empty_and_single() -> None:
    provider = StraightLineProvider()
    assert provider.matrix([]) == []
    assert provider.matrix([TOULOUSE]) == [[0.0]]


@pytest.mark.parametrize("factor", [0.9, 0, -1, math.nan, math.inf])
def test_straight_line_rejects_a_detour_factor_below_one(factor: float) -> None:
    with pytest.raises(ValueError, match="detour_factor"):
        StraightLineProvider(detour_factor=factor)


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ((91.0, 1.0), "latitude"),
        ((43.0, 181.0), "longitude"),
        ((math.nan, 1.0), "latitude"),
        ((1.0,), "expected"),
    ],
)
def test_straight_line_rejects_invalid_coordinates(point: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StraightLineProvider().matrix([TOULOUSE, point])


# --- OSRM: a fake table service on 127.0.0.1 ----------------------------------------------------


class FakeOsrm(ThreadingHTTPServer):
    mode = "ok"
    requests: list[str]


class FakeOsrmHandler(BaseHTTPRequestHandler):
    server: FakeOsrm

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        mode = self.server.mode
        if mode == "http-400":
            self._send(400, {"code": "InvalidQuery", "message": "Query string malformed close to position 3"})
            return
        if mode == "http-500":
            self._send(500, b"<html>Internal error</html>")
            return
        if mode == "not-json":
            self._send(200, b"this is not json")
            return
        if mode == "no-table":
            self._send(200, {"code": "NoTable", "message": "No table found"})
            return
        url = urlsplit(self.path)
        parts = url.path.split("/")
        # /table/v1/<profile>/<lon,lat;...>
        assert parts[1:3] == ["table", "v1"]
        points = [tuple(float(x) for x in pair.split(",")) for pair in parts[4].split(";")]
        query = parse_qs(url.query)
        assert query["annotations"] == ["distance"]
        everything = list(range(len(points)))
        sources = [int(i) for i in query["sources"][0].split(";")] if "sources" in query else everything
        destinations = (
            [int(i) for i in query["destinations"][0].split(";")] if "destinations" in query else everything
        )
        # Road distance: 1.2 × straight line, one decimal like OSRM; points are lon,lat.
        distances: list[list[float | None]] = [
            [
                round(haversine_m(points[i][1], points[i][0], points[j][1], points[j][0]) * 1.2, 1)
                for j in destinations
            ]
            for i in sources
        ]
        if mode == "unreachable":
            distances[0][-1] = None
        if mode == "short":
            distances = distances[:-1]
        self._send(200, {"code": "Ok", "distances": distances})

    def _send(self, status: int, body: dict[str, Any] | bytes) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # silence the test output
        return


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    server = FakeOsrm(("127.0.0.1", 0), FakeOsrmHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def url_of(server: FakeOsrm) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/"


def expected(points: list[tuple[float, float]]) -> list[list[float]]:
    # What the fake server computes, after the 6-decimal rounding of the request.
    rounded = [(round(lat, 6), round(lon, 6)) for lat, lon in points]
    return [[round(haversine_m(*a, *b) * 1.2, 1) for b in rounded] for a in rounded]


def test_osrm_table(osrm: FakeOsrm) -> None:
    points = [TOULOUSE, BLAGNAC, BALMA]
    matrix = OsrmTableProvider(url_of(osrm), profile="driving").matrix(points)
    assert matrix == expected(points)
    assert len(osrm.requests) == 1
    path = osrm.requests[0]
    # lon,lat order, as OSRM wants it, and no sources/destinations for a single table.
    assert path.startswith("/table/v1/driving/1.444000,43.604500;1.390300,43.637000;")
    assert "sources" not in path


def test_osrm_big_matrix_in_blocks(osrm: FakeOsrm) -> None:
    points = [(43.6 + i * 0.001, 1.44 - i * 0.002) for i in range(7)]
    matrix = OsrmTableProvider(url_of(osrm), max_table_size=3).matrix(points)
    assert matrix == expected(points)
    assert len(osrm.requests) == 9  # 3 × 3 blocks of at most 3 × 3
    for path in osrm.requests:
        query = parse_qs(urlsplit(path).query)
        sources = query["sources"][0].split(";")
        destinations = query["destinations"][0].split(";")
        assert len(sources) * len(destinations) <= 9
        assert len(urlsplit(path).path.split("/")[4].split(";")) <= 6


def test_osrm_no_request_for_zero_or_one_point(osrm: FakeOsrm) -> None:
    provider = OsrmTableProvider(url_of(osrm))
    assert provider.matrix([]) == []
    assert provider.matrix([TOULOUSE]) == [[0.0]]
    assert osrm.requests == []


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("http-400", r"HTTP 400: InvalidQuery — Query string malformed"),
        ("http-500", r"HTTP 500$"),
        ("not-json", "not JSON"),
        ("no-table", r"code 'NoTable': NoTable — No table found"),
        ("unreachable", "no route from point 0 to point 2"),
        ("short", r"no 3×3 'distances' table"),
    ],
)
def test_osrm_errors(osrm: FakeOsrm, mode: str, message: str) -> None:
    osrm.mode = mode
    with pytest.raises(DistanceError, match=message):
        OsrmTableProvider(url_of(osrm)).matrix([TOULOUSE, BLAGNAC, BALMA])


def test_osrm_server_down() -> None:
    with socket.socket() as sock:  # a free port, closed again: nobody listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DistanceError, match="unreachable"):
        OsrmTableProvider(f"http://127.0.0.1:{port}").matrix([TOULOUSE, BLAGNAC])


def test_osrm_timeout() -> None:
    # The kernel accepts the connection, but nobody ever answers.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with pytest.raises(DistanceError, match=r"did not answer within 0\.2 s"):
            OsrmTableProvider(f"http://127.0.0.1:{port}", timeout_s=0.2).matrix([TOULOUSE, BLAGNAC])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "file:///etc/passwd"}, "http"),
        ({"base_url": "localhost:5000"}, "http"),
        ({"base_url": "http://osrm", "profile": "../admin"}, "profile"),
        ({"base_url": "http://osrm", "timeout_s": 0}, "timeout_s"),
        ({"base_url": "http://osrm", "max_table_size": 1}, "max_table_size"),
    ],
)
def test_osrm_rejects_bad_configuration(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OsrmTableProvider(**kwargs)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=20,
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(distances=json_values, rows=st.integers(0, 3), cols=st.integers(0, 3))
def test_osrm_parser_never_crashes(distances: Any, rows: int, cols: int) -> None:
    # Whatever the server sends: a rows × cols table of finite non-negative floats, or DistanceError.
    try:
        table = _parse_distances({"code": "Ok", "distances": distances}, rows, cols)
    except DistanceError:
        return
    assert len(table) == rows
    assert all(len(row) == cols and all(isinstance(d, float) and d >= 0 for d in row) for row in table)


# --- settings ----------------------------------------------------------------------------------


def set_routing(settings: Any, routing: dict[str, Any] | None) -> None:
    config = {k: v for k, v in settings.TERRITOIRE.items() if k != "ROUTING"}
    if routing is not None:
        config["ROUTING"] = routing
    settings.TERRITOIRE = config


def test_provider_from_settings_defaults_to_straight_line(settings: Any) -> None:
    set_routing(settings, None)
    provider = provider_from_settings()
    assert isinstance(provider, StraightLineProvider)
    assert provider.name == "straight-line"
    assert provider.detour_factor == 1.3


def test_provider_from_settings_reads_at_call_time(settings: Any) -> None:
    set_routing(settings, {"PROVIDER": "straight-line", "DETOUR_FACTOR": 1.1})
    provider = provider_from_settings()
    assert isinstance(provider, StraightLineProvider)
    assert provider.detour_factor == 1.1
    set_routing(settings, {"PROVIDER": "osrm", "OSRM_URL": "http://osrm.internal:5000/", "OSRM_TIMEOUT_S": 3})
    provider = provider_from_settings()
    assert isinstance(provider, OsrmTableProvider)
    assert (provider.name, provider.base_url, provider.profile, provider.timeout_s) == (
        "osrm",
        "http://osrm.internal:5000",
        "driving",
        3.0,
    )


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        ({"PROVIDER": "osrm"}, r"'OSRM_URL'\] must be set"),
        ({"PROVIDER": "osrm", "OSRM_URL": "ftp://osrm"}, "http"),
        ({"PROVIDER": "google"}, "must be 'straight-line' or 'osrm'"),
        ({"DETOUR_FACTOR": 0.5}, "DETOUR_FACTOR"),
        ({"DETOUR_FACTOR": "lots"}, "DETOUR_FACTOR"),
    ],
)
def test_provider_from_settings_rejects_bad_configuration(
    settings: Any, routing: dict[str, Any], message: str
) -> None:
    set_routing(settings, routing)
    with pytest.raises(ImproperlyConfigured, match=message):
        provider_from_settings()
