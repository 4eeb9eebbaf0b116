"""Open311 benchmark: report intake under load, and the filtered listing over 1 M reports.

1. Builds the demo territory at benchmark scale in a fresh SQLite database under
   ``bench/var/open311/`` and creates an Open311 API key.
2. Intake: serves it with gunicorn (2 workers, rate limits off), loads
   ``/healthz/live`` (the baseline) and then ``POST /open311/v2/requests.json`` with
   varied valid reports (``bench/lua/requests.lua``), and checks every acknowledged
   report against the database.
3. Listing: stops the server, adds reports by bulk SQL up to ``--rows`` (1 M), serves
   again and measures the latency of a mix of filtered ``GET /open311/v2/requests.json``
   with a closed-loop client.
4. Writes ``bench/results/open311.json`` and prints a summary. See ``bench/README.md``.

    .venv/bin/python bench/open311.py [--duration 10] [--rows 1000000] [--skip-setup]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import loadgen
from common import (
    LOOPBACK,
    SERVER_THREADS,
    Database,
    ReadConnection,
    database_count,
    database_errors,
    fresh_sqlite,
    gunicorn_server,
    http_request,
    log,
    machine_info,
    run_step,
    stop_on_signals,
    territoire_env,
    wait_until_stable,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VAR_DIR = BENCH_DIR / "var" / "open311"
DB_PATH = VAR_DIR / "bench.sqlite3"
RESULTS = BENCH_DIR / "results" / "open311.json"
BIN = REPO / ".venv" / "bin"
LUA_SCRIPT = BENCH_DIR / "lua" / "requests.lua"
ORGANISATION = "200099001"  # the demo territory's SIREN
ENDPOINT = "/open311/v2/requests.json"
BASELINE_PATH = "/healthz/live"
REPORTS_TABLE = "reports_report"
# A generous floor for the intake, not a tuning target (see bench/README.md).
AIMS = {"intake_min_ratio_to_baseline": 0.05, "listing_max_p99_ms": 50.0}
# An Open311 key is an API token limited to the reports module (trt_…; o311_… before).
API_KEY_RE = re.compile(r"\b(?:trt|o311)_[A-Za-z0-9_-]{16,}")
SEED_BATCH = 100_000
LISTINGS = {"listing": "listing, no planner statistics", "listing_analyzed": "listing after ANALYZE"}
SEED_YEARS = 3
DESCRIPTIONS = [
    "Nid-de-poule profond au milieu de la chaussée",
    "Lampadaire éteint depuis plusieurs soirs",
    "Dépôt sauvage de gravats sur le trottoir",
    "Tag sur le mur de l'école",
    "Branche tombée qui gêne le passage",
    "Avaloir bouché, l'eau stagne après la pluie",
    "Panneau de signalisation renversé",
    "Poubelle publique pleine qui déborde",
    "Trottoir dégradé, dangereux pour les poussettes",
    "Fuite d'eau sur la voie publique",
]
STREETS = ["rue de la Mairie", "avenue du Port", "chemin des Dunes", "place de l'Église", "rue des Écoles"]
FIRST_NAMES = ["Camille", "Louis", "Inès", "Hugo", "Léa", "Yanis", "Manon", "Jules"]
EMAIL_NAMES = ["camille", "louis", "ines", "hugo", "lea", "yanis", "manon", "jules"]
# Relative frequencies of the demo's default statuses in the seeded history.
STATUS_WEIGHTS = {
    "nouveau": 3,
    "pris-en-compte": 2,
    "planifie": 1,
    "en-cours": 2,
    "resolu": 16,
    "non-pertinent": 2,
    "doublon": 1,
}


class BenchError(SystemExit):
    """The benchmark cannot run (missing endpoint, failed check): exit 2 with a message."""

    def __init__(self, message: str) -> None:
        print(f"[bench] ERROR: {message}", file=sys.stderr, flush=True)
        super().__init__(2)


# --- Environment and set-up --------------------------------------------------------------


def bench_env(
    var_dir: Path = VAR_DIR, db_path: Path = DB_PATH, *, rate_limits: bool = False
) -> dict[str, str]:
    """The servers' environment; an empty rate turns a bucket off (core/ratelimit.py)."""
    env = territoire_env(var_dir, db_path)
    if not rate_limits:
        env["TERRITOIRE_RATE_PUBLIC_WRITE"] = ""
        env["TERRITOIRE_RATE_API_WRITE"] = ""
    return env


def build_demo(
    env: dict[str, str], db_path: Database, *, communes: int, months: int, seed: int
) -> dict[str, float]:
    """A fresh database holding the demo territory; returns the duration of each step.

    A PostgreSQL database (a URL) is created empty by the caller; a SQLite file is removed here.
    """
    if isinstance(db_path, Path):
        fresh_sqlite(db_path)
        log(f"fresh database {db_path.relative_to(REPO)}")
    territoire = str(BIN / "territoire")
    timings = {
        "migrate_s": run_step("migrate", [territoire, "migrate", "--verbosity", "0"], env, REPO, timeout=600),
        "demo_s": run_step(
            "demo",
            [
                territoire,
                "demo",
                "--communes",
                str(communes),
                "--months",
                str(months),
                "--seed",
                str(seed),
                "--reset",
            ],
            env,
            REPO,
            timeout=1800,
        ),
    }
    return {k: round(v, 1) for k, v in timings.items()}


def detail_zone_outlines(db_path: Path, vertices: int) -> int:
    """Give each demo zone an outline of about ``vertices`` points, of the same shape.

    The demo's zones are polygons of a few points; a real district's outline has hundreds to
    thousands of points, and a row a page or more long. Points are added along each
    edge, so every point stays inside or outside exactly as before. Returns the number
    of zones changed.
    """
    if vertices <= 0:
        return 0
    changed = 0
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute("SELECT id, geometry FROM territory_zone").fetchall()
        for zone_id, text in rows:
            geometry = json.loads(text)
            if geometry.get("type") != "Polygon":
                continue
            rings = []
            for ring in geometry["coordinates"]:
                steps = max(1, vertices // max(1, len(ring) - 1))
                dense = []
                for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                    dense += [[x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps] for k in range(steps)]
                rings.append([*dense, ring[-1]])
            db.execute(
                "UPDATE territory_zone SET geometry = ? WHERE id = ?",
                (json.dumps({"type": "Polygon", "coordinates": rings}), zone_id),
            )
            changed += 1
        db.commit()
    return changed


def create_api_key(env: dict[str, str], name: str) -> str:
    """``territoire reports create-api-key NAME``: the raw key it prints (shown once)."""
    command = [str(BIN / "territoire"), "reports", "create-api-key", name]
    completed = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    found = API_KEY_RE.search(completed.stdout)
    if completed.returncode != 0 or not found:
        raise BenchError(
            "`territoire reports create-api-key` did not print a key "
            f"(exit {completed.returncode}): {(completed.stderr or completed.stdout).strip()[-500:]}"
        )
    return found.group(0)


# --- What the database holds -------------------------------------------------------------


@dataclass
class Attribute:
    code: str
    datatype: str
    required: bool
    values: list[str]


@dataclass
class Category:
    id: int
    service_code: str
    type: str
    attributes: list[Attribute] = field(default_factory=list)


@dataclass
class Territory:
    """The demo organisation as the benchmarks need it, read from the database."""

    organisation_id: int
    communes: list[tuple[int, str, int]]  # id, INSEE code, population
    categories: list[Category]
    zones: list[tuple[str, dict[str, Any]]]  # INSEE code of the commune, GeoJSON geometry
    statuses: list[tuple[int, str, str]]  # id, code, open311 state ("open" / "closed")


def _json(value: Any) -> Any:
    """A JSON column: text on SQLite, already decoded by psycopg on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def read_territory(db_path: Database, siren: str = ORGANISATION) -> Territory:
    with closing(ReadConnection(db_path)) as db:
        row = db.execute("SELECT id FROM territory_organisation WHERE siren = ?", (siren,)).fetchone()
        if row is None:
            raise BenchError(f"organisation {siren} is not in {db_path}: did the demo run?")
        org_id = int(row[0])
        communes = [
            (int(i), str(code), int(pop or 0))
            for i, code, pop in db.execute(
                "SELECT id, insee_code, population FROM territory_commune WHERE organisation_id = ? ORDER BY id",
                (org_id,),
            )
        ]
        try:
            categories = [
                Category(int(i), str(code), str(kind))
                for i, code, kind in db.execute(
                    "SELECT id, service_code, type FROM reports_servicecategory"
                    " WHERE organisation_id = ? AND active ORDER BY position, id",
                    (org_id,),
                )
            ]
            by_id = {c.id: c for c in categories}
            for category_id, code, datatype, required, variable, values in db.execute(
                'SELECT category_id, code, datatype, required, variable, "values" FROM reports_serviceattribute'
                " ORDER BY category_id, code"
            ):
                if category_id in by_id and variable:
                    keys = [str(v.get("key")) for v in _json(values or "[]") if isinstance(v, dict)]
                    by_id[category_id].attributes.append(
                        Attribute(str(code), str(datatype), bool(required), keys)
                    )
            statuses = [
                (int(i), str(code), str(state))
                for i, code, state in db.execute(
                    "SELECT id, code, open311_state FROM reports_reportstatus WHERE organisation_id = ? AND active"
                    " ORDER BY position",
                    (org_id,),
                )
            ]
        except database_errors() as exc:
            raise BenchError(
                f"the reports tables are missing ({exc}): is territoire.reports installed?"
            ) from exc
        zones = [
            (str(code), _json(geometry))
            for code, geometry in db.execute(
                "SELECT c.insee_code, z.geometry FROM territory_zone z JOIN territory_commune c ON c.id = z.commune_id"
                " WHERE c.organisation_id = ? ORDER BY z.id",
                (org_id,),
            )
        ]
    if not categories:
        raise BenchError("the demo organisation has no active report category (reports demo missing?)")
    if not zones:
        raise BenchError("the demo organisation has no zone: reports cannot be located")
    if not statuses:
        raise BenchError("the demo organisation has no report status")
    return Territory(org_id, communes, categories, zones, statuses)


def random_points(
    zones: list[tuple[str, dict[str, Any]]], count: int, rng: random.Random
) -> list[tuple[str, float, float]]:
    """``count`` points (INSEE code, lat, lon) drawn uniformly inside the zones' polygons."""
    from shapely.geometry import Point, shape  # the project's dependency, in the venv

    shapes = [(code, shape(geometry)) for code, geometry in zones]
    points: list[tuple[str, float, float]] = []
    attempts = 0
    while len(points) < count:
        attempts += 1
        if attempts > count * 200:
            raise BenchError("could not draw points inside the zones (degenerate polygons?)")
        code, polygon = shapes[rng.randrange(len(shapes))]
        min_x, min_y, max_x, max_y = polygon.bounds
        lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        # Keep a margin from the border: the server's point-in-polygon must agree.
        if polygon.contains(Point(lon, lat)) and polygon.exterior.distance(Point(lon, lat)) > 1e-6:
            points.append((code, round(lat, 6), round(lon, 6)))
    return points


def attribute_value(attribute: Attribute, rng: random.Random) -> list[str]:
    if attribute.datatype in {"singlevaluelist", "multivaluelist"}:
        return [rng.choice(attribute.values)] if attribute.values else []
    if attribute.datatype == "number":
        return [str(rng.randint(1, 20))]
    if attribute.datatype == "datetime":
        return [dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()]
    return ["Constaté ce matin"]


def report_form(
    territory: Territory, api_key: str, point: tuple[str, float, float], rng: random.Random, tag: str
) -> str:
    """One valid Open311 POST body (form-encoded), varied: category, place, text, contact."""
    realtime = [c for c in territory.categories if c.type == "realtime"] or territory.categories
    category = rng.choice(realtime)
    insee, lat, lon = point
    fields: list[tuple[str, str]] = [
        ("api_key", api_key),
        ("service_code", category.service_code),
        ("lat", f"{lat:.6f}"),
        ("long", f"{lon:.6f}"),
        ("description", f"{rng.choice(DESCRIPTIONS)} ({tag})"),
    ]
    if rng.random() < 0.25:
        fields.append(("jurisdiction_id", insee))
    if rng.random() < 0.5:
        fields.append(("address_string", f"{rng.randint(1, 120)} {rng.choice(STREETS)}"))
    if rng.random() < 0.4:
        k = rng.randrange(len(FIRST_NAMES))
        fields += [
            ("email", f"{EMAIL_NAMES[k]}.{rng.randint(1, 9999)}@example.org"),
            ("first_name", FIRST_NAMES[k]),
        ]
    if rng.random() < 0.2:
        fields.append(("device_id", uuid.UUID(int=rng.getrandbits(128)).hex))
    for attribute in category.attributes:
        if attribute.required or rng.random() < 0.5:
            key = f"attribute[{attribute.code}]" + ("[]" if attribute.datatype == "multivaluelist" else "")
            fields += [(key, value) for value in attribute_value(attribute, rng)]
    return urlencode(fields, quote_via=quote)


def intake_requests(territory: Territory, api_key: str, *, count: int, seed: int, tag: str) -> list[str]:
    """Lines of the wrk request file: ``POST <tab> path <tab> body``."""
    rng = random.Random(seed)
    points = random_points(territory.zones, count, rng)
    return [f"POST\t{ENDPOINT}\t{report_form(territory, api_key, point, rng, tag)}" for point in points]


def write_request_file(path: Path, lines: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# --- Checks of the endpoints and of the writes -------------------------------------------


def first_line_body(lines: list[str]) -> bytes:
    return lines[0].split("\t", 2)[2].encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def check_endpoints(port: int, sample_body: bytes) -> dict[str, Any]:
    """GET and POST must work before the load starts; a missing endpoint ends the run."""
    status, _headers, body = http_request(port, ENDPOINT, timeout=60)
    if status == 404:
        raise BenchError(f"GET {ENDPOINT} answers 404: the Open311 server is not there yet")
    if status != 200:
        raise BenchError(f"GET {ENDPOINT} answers {status}: {body[:300]!r}")
    status, _headers, body = http_request(
        port, ENDPOINT, method="POST", body=sample_body, headers=FORM, timeout=60
    )
    if status == 404 and b"service_request_id" not in body and b"description" not in body:
        raise BenchError(f"POST {ENDPOINT} answers 404: the Open311 intake is not there yet")
    if not 200 <= status < 300:
        raise BenchError(f"POST {ENDPOINT} of a valid report answers {status}: {body[:500]!r}")
    answered = service_request_ids(body)
    if not answered:
        raise BenchError(f"POST {ENDPOINT} answered {status} without a service_request_id: {body[:300]!r}")
    log(f"check: GET and POST {ENDPOINT} work (POST answered {status}, id {answered[0]})")
    return {"post_status": status}


def service_request_ids(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    return [
        str(i["service_request_id"]) for i in items if isinstance(i, dict) and i.get("service_request_id")
    ]


def count_reports(db_path: Database) -> int:
    return database_count(db_path, f"SELECT COUNT(*) FROM {REPORTS_TABLE}")  # noqa: S608


def check_writes(db_path: Database, ids: list[str], rows_added: int, answered_2xx: int) -> dict[str, Any]:
    """Every acknowledged report must be in the database, once.

    ``lost`` counts acknowledged ids the database does not hold; ``unacknowledged`` the
    rows added whose answer the client never read (requests still in the server when the
    load generator stopped at its deadline: at most one per connection).
    """
    distinct = list(dict.fromkeys(ids))
    hexes = []
    malformed = 0
    for raw in distinct:
        try:
            hexes.append(uuid.UUID(raw).hex)
        except ValueError:
            malformed += 1
    found = 0
    with closing(ReadConnection(db_path)) as db:
        for start in range(0, len(hexes), 500):
            chunk = hexes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += int(
                db.execute(
                    f"SELECT COUNT(*) FROM {REPORTS_TABLE} WHERE public_id IN ({marks})",  # noqa: S608
                    chunk,
                ).fetchone()[0]
            )
    lost = len(distinct) - found
    return {
        "answered_2xx": answered_2xx,
        "ids_read": len(ids),
        "distinct_ids": len(distinct),
        "duplicate_ids": len(ids) - len(distinct),
        "answers_without_id": answered_2xx - len(ids),
        "malformed_ids": malformed,
        "ids_found_in_database": found,
        "rows_added": rows_added,
        "lost_writes": lost,
        "unacknowledged_rows": rows_added - found,
    }


# --- Intake ---------------------------------------------------------------------------------


def measure_intake(
    args: argparse.Namespace, port: int, request_file: Path, sample_body: bytes, db_path: Path
) -> dict[str, Any]:
    """Baseline and intake in alternating rounds; the ratio is the median of the rounds'.

    A shared machine's speed drifts over a minute: a baseline measured right before each
    intake run, several times over, compares like with like where a single pair may not.
    """
    base_url = f"http://{LOOPBACK}:{port}"
    options = {"duration": args.duration, "threads": args.threads, "connections": args.connections}
    if args.warmup > 0:
        done, failed = loadgen.warm_up(
            base_url + BASELINE_PATH, duration=args.warmup, clients=2 * args.workers
        )
        log(f"baseline: warm-up {args.warmup:g} s, {done} requests, {failed} failed")
    # Warm each worker's caches (zones, categories, the key) with a few sequential POSTs;
    # they are added before the count, so they do not blur the check.
    for _ in range(4 * args.workers):
        http_request(port, ENDPOINT, method="POST", body=sample_body, headers=FORM, timeout=60)
    rows_before = count_reports(db_path)
    baselines: list[loadgen.LoadResult] = []
    runs: list[loadgen.ScriptedResult] = []
    rounds: list[dict[str, Any]] = []
    for number in range(1, args.rounds + 1):
        log(f"round {number}/{args.rounds}: baseline {args.duration:g} s — {BASELINE_PATH}")
        baseline = loadgen.run_wrk(args.wrk, base_url + BASELINE_PATH, **options)
        log(f"round {number}/{args.rounds}: intake {args.duration:g} s — POST {ENDPOINT}")
        result = loadgen.run_wrk_script(
            args.wrk,
            base_url,
            script=str(LUA_SCRIPT),
            script_args=[str(request_file), "ids"],
            **options,
        )
        baselines.append(baseline)
        runs.append(result)
        ratio = result.load.requests_per_s / baseline.requests_per_s if baseline.requests_per_s else 0.0
        rounds.append(
            {
                "baseline_requests_per_s": round(baseline.requests_per_s, 1),
                "intake_requests_per_s": round(result.load.requests_per_s, 1),
                "ratio": round(ratio, 3),
            }
        )
        log(
            f"round {number}/{args.rounds}: baseline {baseline.requests_per_s:,.0f} req/s, "
            f"intake {result.load.requests_per_s:,.0f} req/s, ratio {ratio:.3f}, "
            f"statuses {dict(sorted(result.statuses.items()))}"
        )
    rows_after = wait_until_stable(lambda: count_reports(db_path))
    ids = [i for run in runs for i in run.ids]
    statuses: dict[int, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    answered_2xx = sum(run.count(200, 300) for run in runs)
    writes = check_writes(db_path, ids, rows_after - rows_before, answered_2xx)
    parts = [(run.load.requests, run.quantiles_ms) for run in runs]
    intake_s = sum(run.load.duration_s for run in runs)
    base_s = sum(b.duration_s for b in baselines)
    ratio = statistics.median(r["ratio"] for r in rounds)
    classes = {k: sum(run.classes[k] for run in runs) for k in ("2xx", "3xx", "4xx", "5xx")}
    intake = {
        "path": ENDPOINT,
        "method": "POST",
        "rounds": rounds,
        "requests": sum(run.load.requests for run in runs),
        "requests_per_s": round(sum(run.load.requests for run in runs) / intake_s, 1) if intake_s else 0.0,
        "p50_ms": round(loadgen.merge_quantiles(parts, 0.50), 2),
        "p99_ms": round(loadgen.merge_quantiles(parts, 0.99), 2),
        "max_ms": max(run.max_ms for run in runs),
        "ratio_to_baseline": round(ratio, 3),
        "ratio_rule": f"median of {args.rounds} rounds (baseline, then intake, each {args.duration:g} s)",
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "classes": classes,
        "socket_errors": {
            k: sum(run.load.socket_errors.get(k, 0) for run in runs)
            for k in sorted({k for run in runs for k in run.load.socket_errors})
        },
        "rows_before": rows_before,
        "rows_after": rows_after,
        "writes": writes,
    }
    log(
        f"intake: median ratio {ratio:.3f} over {args.rounds} rounds, {intake['requests_per_s']:,.0f} req/s, "
        f"p99 {intake['p99_ms']:.1f} ms, rows added {writes['rows_added']:,}, lost {writes['lost_writes']}"
    )
    return {
        "baseline": {
            "path": BASELINE_PATH,
            "requests_per_s": round(sum(b.requests for b in baselines) / base_s, 1) if base_s else 0.0,
            "p50_ms": statistics.median(b.p50_ms for b in baselines),
            "p99_ms": max(b.p99_ms for b in baselines),
            "errors": sum(b.errors for b in baselines),
            "requests": sum(b.requests for b in baselines),
        },
        "intake": intake,
    }


# --- Listing: 1 M reports ----------------------------------------------------------------


def _json_columns(create_sql: str) -> set[str]:
    return set(re.findall(r'JSON_VALID\("(\w+)"\)', create_sql, flags=re.IGNORECASE))


def _default_for(declared: str, name: str, json_columns: set[str]) -> str:
    if name in json_columns:
        return "'{}'"
    declared = declared.lower()
    if any(word in declared for word in ("int", "bool", "real", "decimal", "float", "numeric")):
        return "0"
    return "''"


def seed_reports(db_path: Path, territory: Territory, target_rows: int) -> dict[str, Any]:
    """Add reports by bulk SQL until the table holds ``target_rows``; the server must be stopped.

    Spread over the demo's categories (uniformly), communes (by population), statuses
    (mostly closed, recent ones mostly open) and ``SEED_YEARS`` years of dates. The table's
    indexes are dropped during the inserts and built again afterwards (much faster than
    keeping them up to date row by row); everything happens in one transaction.
    """
    started = time.perf_counter()
    existing = count_reports(db_path)
    to_add = target_rows - existing
    if to_add <= 0:
        log(f"seed: {existing:,} reports already, nothing to add")
        return {"seeded_rows": 0, "seed_s": 0.0}
    open_ids = [(i, code) for i, code, state in territory.statuses if state == "open"]
    closed_ids = [(i, code) for i, code, state in territory.statuses if state != "open"]
    if not open_ids or not closed_ids:
        raise BenchError("the demo needs open and closed report statuses")
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=60)) as db:
        db.execute("PRAGMA cache_size = -400000")  # 400 MB: index builds stay in memory
        db.execute("PRAGMA temp_store = MEMORY")
        create_sql = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (REPORTS_TABLE,)
        ).fetchone()[0]
        json_columns = _json_columns(create_sql)
        columns = db.execute(f"PRAGMA table_info({REPORTS_TABLE})").fetchall()
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (REPORTS_TABLE,),
        ).fetchall()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        span_s = SEED_YEARS * 365 * 86400
        explicit = {
            "public_id": "lower(hex(randomblob(16)))",
            "created_at": "s.at",
            "updated_at": "s.at",
            "requested_at": "s.at",
            "organisation_id": str(territory.organisation_id),
            "commune_id": "com.id",
            "category_id": "cat.id",
            "status_id": "st.id",
            "is_open": "s.open",
            "description": "'Signalement de charge n° ' || s.i",
            # The demo territory's extent (Loire-Atlantique coast).
            "lat": "47.20 + s.lat_r / 500000.0",
            "lon": "-2.25 + s.lon_r / 400000.0",
            "source": "CASE WHEN s.dice3 % 3 = 0 THEN 'web' ELSE 'open311' END",
            "closed_at": "CASE WHEN s.open THEN NULL ELSE min(datetime(s.at, '+' || s.close_days || ' days'), :now) END",
            "hidden": "s.dice3 < 5",
            "supporters_count": "s.dice3 % 4",
        }
        names = [c[1] for c in columns if c[1] != "id"]
        unknown = sorted(set(explicit) - set(names))
        if unknown:
            raise BenchError(f"{REPORTS_TABLE} has no column {', '.join(unknown)}: update seed_reports()")
        selected = []
        for _cid, name, declared, notnull, _default, _pk in columns:
            if name == "id":
                continue
            if name in explicit:
                selected.append((name, explicit[name]))
            elif notnull:
                selected.append((name, _default_for(declared or "", name, json_columns)))
        column_list = ", ".join(f'"{name}"' for name, _ in selected)
        value_list = ", ".join(expr for _, expr in selected)
        insert = f"""
            WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last),
            r AS MATERIALIZED (
                SELECT i,
                       abs(random()) % :ncat AS cat_k,
                       abs(random()) % :ncom AS com_k,
                       abs(random()) % :span AS age_s,
                       abs(random()) % 1000 AS dice,
                       abs(random()) % 1000 AS dice2,
                       abs(random()) % 1000 AS dice3,
                       abs(random()) % 100000 AS lat_r,
                       abs(random()) % 100000 AS lon_r,
                       1 + abs(random()) % 60 AS close_days
                FROM n
            ),
            s AS (
                SELECT r.*,
                       datetime(:now, '-' || age_s || ' seconds') AS at,
                       CASE WHEN age_s < 30 * 86400 THEN dice < 700 ELSE dice < 40 END AS open
                FROM r
            )
            INSERT INTO {REPORTS_TABLE} ({column_list})
            SELECT {value_list}
            FROM s
            JOIN bench_cat cat ON cat.k = s.cat_k
            JOIN bench_com com ON com.k = s.com_k
            JOIN bench_st st ON st.open = s.open
                AND st.k = s.dice2 % (CASE WHEN s.open THEN :nopen ELSE :nclosed END)
        """  # noqa: S608 (names come from the database's own schema)
        log(f"seed: adding {to_add:,} reports to {existing:,} (indexes dropped meanwhile)")
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TEMP TABLE bench_cat (k INTEGER PRIMARY KEY, id INTEGER)")
            db.executemany(
                "INSERT INTO bench_cat VALUES (?, ?)", enumerate(c.id for c in territory.categories)
            )
            weighted = [
                cid for cid, _code, population in territory.communes for _ in range(max(1, population // 500))
            ]
            db.execute("CREATE TEMP TABLE bench_com (k INTEGER PRIMARY KEY, id INTEGER)")
            db.executemany("INSERT INTO bench_com VALUES (?, ?)", enumerate(weighted))
            db.execute(
                "CREATE TEMP TABLE bench_st (open INTEGER, k INTEGER, id INTEGER, PRIMARY KEY (open, k))"
            )
            counts = {}
            for is_open, group in ((1, open_ids), (0, closed_ids)):
                expanded = [i for i, code in group for _ in range(STATUS_WEIGHTS.get(code, 1))]
                counts[is_open] = len(expanded)
                db.executemany(
                    "INSERT INTO bench_st VALUES (?, ?, ?)", [(is_open, k, i) for k, i in enumerate(expanded)]
                )
            for name, _sql in indexes:
                db.execute(f'DROP INDEX "{name}"')
            done = 0
            while done < to_add:
                batch = min(SEED_BATCH, to_add - done)
                db.execute(
                    insert,
                    {
                        "first": done + 1,
                        "last": done + batch,
                        "ncat": len(territory.categories),
                        "ncom": len(weighted),
                        "span": span_s,
                        "now": now.isoformat(" "),
                        "nopen": counts[1],
                        "nclosed": counts[0],
                    },
                )
                done += batch
                log(f"seed: {done:,}/{to_add:,} rows ({time.perf_counter() - started:.0f} s)")
            inserted_s = time.perf_counter() - started
            for _name, sql in indexes:
                db.execute(sql)
            log(f"seed: {len(indexes)} indexes rebuilt ({time.perf_counter() - started:.0f} s)")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elapsed = time.perf_counter() - started
    log(f"seed: {to_add:,} reports in {elapsed:.1f} s")
    return {
        "seeded_rows": to_add,
        "seed_s": round(elapsed, 1),
        "insert_s": round(inserted_s, 1),
        "indexes_rebuilt": len(indexes),
    }


def drop_statistics(db_path: Path) -> None:
    """Forget the planner's statistics (``ANALYZE``): the state of a freshly loaded database."""
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=60)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")]
        for table in tables:
            db.execute(f"DELETE FROM {table}")  # noqa: S608 (SQLite's own statistics tables)


def analyze(db_path: Path) -> float:
    """``ANALYZE``: statistics for SQLite's query planner; returns its duration in seconds."""
    started = time.perf_counter()
    with closing(sqlite3.connect(db_path, isolation_level=None, timeout=60)) as db:
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elapsed = time.perf_counter() - started
    log(f"ANALYZE: {elapsed:.1f} s")
    return round(elapsed, 1)


def database_size(db_path: Path) -> int:
    return sum(
        Path(f"{db_path}{suffix}").stat().st_size
        for suffix in ("", "-wal")
        if Path(f"{db_path}{suffix}").exists()
    )


def listing_probes(
    db_path: Path, territory: Territory, *, seed: int, page_size: int, count: int = 3000
) -> list[loadgen.Probe]:
    """A mix of filtered listings, drawn from the data itself (codes, ids, communes)."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        low, high = db.execute(f"SELECT min(id), max(id) FROM {REPORTS_TABLE}").fetchone()  # noqa: S608
        rowids = [rng.randint(low, high) for _ in range(count * 4)]
        ids: list[str] = []
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            ids += [
                str(uuid.UUID(hex=str(h)))
                for (h,) in db.execute(
                    f"SELECT public_id FROM {REPORTS_TABLE} WHERE hidden = 0 AND id IN ({marks})",  # noqa: S608
                    chunk,
                )
            ]
    if not ids:
        raise BenchError("no visible report to look up by id")
    codes = [c.service_code for c in territory.categories]
    communes = [code for _id, code, _pop in territory.communes]
    probes: list[loadgen.Probe] = []
    for index in range(count):
        kind = ("filtered", "ids", "jurisdiction")[index % 3]
        query: dict[str, str | int] = {}
        if kind == "filtered":
            since = now - dt.timedelta(seconds=rng.randint(30 * 86400, SEED_YEARS * 365 * 86400))
            until = since + dt.timedelta(days=30)
            query = {
                "service_code": rng.choice(codes),
                "status": rng.choice(["open", "closed"]),
                "start_date": since.isoformat().replace("+00:00", "Z"),
                "end_date": until.isoformat().replace("+00:00", "Z"),
                "page_size": page_size,
            }
        elif kind == "ids":
            query = {"service_request_id": ",".join(rng.sample(ids, min(len(ids), rng.randint(1, 10))))}
        else:
            # A commune (INSEE code) or the whole organisation (SIREN); the spec's default
            # window (the last 90 days), first pages.
            query = {"jurisdiction_id": rng.choice(communes) if rng.random() < 0.7 else ORGANISATION}
            if rng.random() < 0.5:
                query["status"] = rng.choice(["open", "closed"])
            query |= {"page_size": page_size, "page": rng.choice([1, 1, 1, 2, 3])}
        probes.append(loadgen.Probe(kind, f"{ENDPOINT}?{urlencode(query)}"))
    return probes


def check_probes(port: int, probes: list[loadgen.Probe]) -> dict[str, int]:
    """One probe of each kind must answer 200 with a JSON list; returns each one's size."""
    sizes: dict[str, int] = {}
    for probe in probes:
        if probe.kind in sizes:
            continue
        status, _headers, body = http_request(port, probe.path, timeout=120)
        if status != 200:
            raise BenchError(f"GET {probe.path} answers {status}: {body[:300]!r}")
        if not isinstance(json.loads(body), list):
            raise BenchError(f"GET {probe.path} does not answer a JSON list")
        sizes[probe.kind] = len(body)
        log(f"check {probe.kind}: 200, {len(body):,} bytes — {probe.path}")
    return sizes


def measure_listing(args: argparse.Namespace, port: int, probes: list[loadgen.Probe]) -> dict[str, Any]:
    sizes = check_probes(port, probes)
    if args.warmup > 0:
        warm = loadgen.run_closed_loop(
            LOOPBACK, port, probes, duration=args.warmup, clients=args.list_clients, seed=99
        )
        log(f"listing: warm-up {args.warmup:g} s, {warm.requests} requests")
    log(f"listing: {args.list_clients} closed-loop clients for {args.list_duration:g} s")
    result = loadgen.run_closed_loop(
        LOOPBACK, port, probes, duration=args.list_duration, clients=args.list_clients, seed=args.seed
    )
    overall = result.summary()
    non_200 = sum(n for status, n in result.statuses.items() if status != 200)
    kinds = {
        kind: {**result.summary(kind), "response_bytes": sizes.get(kind)}
        for kind in sorted(result.latencies_ms)
    }
    log(
        f"listing: {overall['requests_per_s']:,.1f} req/s, p50 {overall['p50_ms']:.1f} ms, "
        f"p99 {overall['p99_ms']:.1f} ms, non-200 {non_200}"
    )
    return {
        "clients": args.list_clients,
        "duration_s": result.duration_s,
        "overall": overall,
        "kinds": kinds,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "non_200": non_200,
        "socket_errors": result.socket_errors,
    }


# --- Report ---------------------------------------------------------------------------------


def aims(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    intake = data.get("intake", {}).get("intake")
    if intake:
        ratio = intake["ratio_to_baseline"]
        writes = intake["writes"]
        out["intake"] = {
            "min_ratio_to_baseline": AIMS["intake_min_ratio_to_baseline"],
            "ratio": ratio,
            "met": ratio is not None and ratio >= AIMS["intake_min_ratio_to_baseline"],
        }
        out["intake_writes"] = {
            "rule": "every 2xx answer is a new row: lost writes 0, duplicate ids 0, no 5xx",
            "met": writes["lost_writes"] == 0
            and writes["duplicate_ids"] == 0
            and intake["classes"]["5xx"] == 0,
        }
    for name in LISTINGS:
        listing = data.get(name)
        if listing:
            p99 = listing["overall"]["p99_ms"]
            out[name] = {
                "max_p99_ms": AIMS["listing_max_p99_ms"],
                "p99_ms": p99,
                "met": p99 < AIMS["listing_max_p99_ms"] and listing["non_200"] == 0,
            }
    return out


def print_summary(data: dict[str, Any]) -> None:
    print()
    intake = data.get("intake")
    if intake:
        base, post = intake["baseline"], intake["intake"]
        writes = post["writes"]
        header = f"{'intake':<22} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'× baseline':>11}"
        print(header)
        print("-" * len(header))
        print(
            f"{'baseline /healthz/live':<22} {base['requests_per_s']:>9,.1f} {base['p50_ms']:>9.2f} {base['p99_ms']:>9.2f} {1:>11.3f}"
        )
        print(
            f"{'POST requests.json':<22} {post['requests_per_s']:>9,.1f} {post['p50_ms']:>9.2f} "
            f"{post['p99_ms']:>9.2f} {post['ratio_to_baseline'] or 0:>11.3f}"
        )
        for number, row in enumerate(post.get("rounds", []), 1):
            print(
                f"  round {number}: baseline {row['baseline_requests_per_s']:,.1f} req/s, "
                f"intake {row['intake_requests_per_s']:,.1f} req/s, ratio {row['ratio']:.3f}"
            )
        print(
            f"answers {post['statuses']}; rows added {writes['rows_added']:,}, 2xx {writes['answered_2xx']:,}, "
            f"lost {writes['lost_writes']}, duplicate ids {writes['duplicate_ids']}, "
            f"unacknowledged (in flight at the deadline) {writes['unacknowledged_rows']}"
        )
    for name, title in LISTINGS.items():
        listing = data.get(name)
        if not listing:
            continue
        print()
        database = data["listing_database"]
        print(
            f"{title}: {database['reports']:,} reports ({database['size_mb']:,.0f} MB, "
            f"seeded in {data['setup'].get('seed_s', 0):.0f} s), {listing['clients']} closed-loop clients"
        )
        header = f"{'kind':<22} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}"
        print(header)
        print("-" * len(header))
        for kind, row in [*listing["kinds"].items(), ("all", listing["overall"])]:
            print(
                f"{kind:<22} {row['requests_per_s']:>9,.1f} {row['p50_ms']:>9.2f} {row['p95_ms']:>9.2f} "
                f"{row['p99_ms']:>9.2f} {row['max_ms']:>9.2f}"
            )
        if listing["non_200"]:
            print(f"non-200 answers: {listing['statuses']}")
    print()
    for name, aim in data["aims"].items():
        verdict = "met" if aim["met"] else "NOT met"
        detail = {k: v for k, v in aim.items() if k != "met"}
        print(f"Aim {name}: {verdict} {detail}")
    machine = data["machine"]
    print(
        f"{data['parameters']['load_generator']}; {machine['nproc']} CPU(s), load average "
        f"{machine['load_average_before'][0]} before, {machine['load_average_after'][0]} after."
    )


# --- Main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds of intake load, and of baseline (default 10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of warm-up before each measure (default 2)"
    )
    parser.add_argument(
        "--connections", type=int, default=16, help="intake: concurrent connections (default 16)"
    )
    parser.add_argument("--threads", type=int, default=2, help="intake: wrk threads (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="intake: alternating baseline/intake rounds (default 5)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="reports in the listing database (default 1 M)"
    )
    parser.add_argument(
        "--list-duration", type=float, default=15, help="seconds of listing load (default 15)"
    )
    parser.add_argument("--list-clients", type=int, default=2, help="closed-loop listing clients (default 2)")
    parser.add_argument(
        "--page-size",
        type=int,
        default=100,
        help="page_size of the listings (default 100; the spec's default is 1000)",
    )
    parser.add_argument(
        "--analyze",
        choices=["no", "yes", "both"],
        default="both",
        help="listing without planner statistics, after SQLite's ANALYZE, or both in turn (default)",
    )
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--zone-vertices",
        type=int,
        default=1000,
        help="points of each zone's outline, as real districts have (default 1000; 0 keeps the demo's)",
    )
    parser.add_argument("--only", choices=["intake", "listing"], help="run one part only")
    parser.add_argument(
        "--skip-setup",
        action="store_true",
        help="reuse bench/var/open311/bench.sqlite3 (and its reports) instead of rebuilding",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    if (
        min(
            args.duration,
            args.connections,
            args.threads,
            args.workers,
            args.list_duration,
            args.list_clients,
            args.rounds,
        )
        < 1
    ):
        parser.error("durations, connections, threads, workers, clients and rounds must be at least 1")
    args.wrk = loadgen.wrk_path()
    if not args.wrk:
        parser.error("wrk is not installed: apt-get install wrk (the intake needs its Lua scripting)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_on_signals()
    if not (BIN / "gunicorn").exists():
        raise SystemExit("[bench] .venv is missing: run `make install` first")
    generator = loadgen.wrk_version(args.wrk)
    log(f"load generator: {generator}")
    env = bench_env()
    started = time.perf_counter()
    setup: dict[str, Any] = {}
    data: dict[str, Any] = {}
    key_file = VAR_DIR / "api_key.txt"
    try:
        if args.skip_setup and DB_PATH.exists() and key_file.exists():
            log(f"reusing {DB_PATH.relative_to(REPO)}")
            setup["reused_database"] = True
            # The code may have moved on since the database was built (new indexes, say).
            setup["migrate_s"] = round(
                run_step(
                    "migrate",
                    [str(BIN / "territoire"), "migrate", "--verbosity", "0"],
                    env,
                    REPO,
                    timeout=1800,
                ),
                1,
            )
            api_key = key_file.read_text().strip()
        else:
            setup.update(build_demo(env, DB_PATH, communes=args.communes, months=args.months, seed=args.seed))
            detailed = detail_zone_outlines(DB_PATH, args.zone_vertices)
            log(f"zones: {detailed} outlines of about {args.zone_vertices} points each")
            api_key = create_api_key(env, "Banc d'essai Open311")
            key_file.write_text(api_key + "\n")
            key_file.chmod(0o600)
        territory = read_territory(DB_PATH)
        log(
            f"territory: {len(territory.communes)} communes, {len(territory.zones)} zones, "
            f"{len(territory.categories)} categories, {count_reports(DB_PATH):,} reports"
        )
        lines = intake_requests(territory, api_key, count=4000, seed=args.seed, tag="banc d'essai")
        request_file = write_request_file(VAR_DIR / "intake.tsv", lines)
        load_before = [round(x, 2) for x in os.getloadavg()]
        if args.only in (None, "intake"):
            with gunicorn_server(
                env, workers=args.workers, log_path=VAR_DIR / "gunicorn.log", cwd=REPO
            ) as port:
                check_endpoints(port, first_line_body(lines))
                data["intake"] = measure_intake(args, port, request_file, first_line_body(lines), DB_PATH)
        if args.only in (None, "listing"):
            setup.update(seed_reports(DB_PATH, territory, args.rows))
            drop_statistics(DB_PATH)
            size = database_size(DB_PATH)
            data["listing_database"] = {
                "reports": count_reports(DB_PATH),
                "size_bytes": size,
                "size_mb": round(size / 1e6, 1),
            }
            log(f"database: {data['listing_database']['reports']:,} reports, {size / 1e6:,.0f} MB")
            probes = listing_probes(DB_PATH, territory, seed=args.seed, page_size=args.page_size)
            if args.analyze in ("no", "both"):
                log("listing without planner statistics (a freshly loaded database)")
                with gunicorn_server(
                    env, workers=args.workers, log_path=VAR_DIR / "gunicorn.log", cwd=REPO
                ) as port:
                    data["listing"] = measure_listing(args, port, probes)
            if args.analyze in ("yes", "both"):
                setup["analyze_s"] = analyze(DB_PATH)
                log("listing after ANALYZE")
                with gunicorn_server(
                    env, workers=args.workers, log_path=VAR_DIR / "gunicorn.log", cwd=REPO
                ) as port:
                    data["listing_analyzed"] = measure_listing(args, port, probes)
    except KeyboardInterrupt:
        log("interrupted: server stopped, no results written")
        return 130
    except loadgen.LoadError as exc:
        raise BenchError(f"load generator failed: {exc}") from exc
    result: dict[str, Any] = {
        "benchmark": "open311",
        "machine": {**machine_info(REPO), "load_average_before": load_before},
        "parameters": {
            "communes": args.communes,
            "months": args.months,
            "seed": args.seed,
            "zone_vertices": args.zone_vertices,
            "database": "sqlite",
            "server": f"gunicorn, {args.workers} workers × {SERVER_THREADS} threads, rate limits off",
            "load_generator": generator,
            "threads": args.threads,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rows": args.rows,
            "list_clients": args.list_clients,
            "list_duration_s": args.list_duration,
            "page_size": args.page_size,
            "analyze": args.analyze,
            "total_s": round(time.perf_counter() - started, 1),
        },
        "setup": setup,
        **data,
    }
    result["aims"] = aims(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_summary(result)
    log(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
