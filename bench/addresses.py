"""Address benchmark: search as one types and nearest address on a département's BAN.

Builds a département-sized table (``--communes`` × ``--per-commune`` addresses, 300,000 by
default) by writing a BAN-format ``adresses-XX.csv.gz`` and loading it with the real
``import_addresses``, then times, in the same run and on the same connection:

- the **search** of the report form (``territory.addresses.search``) for typed texts of
  every kind (a street's first letters, a number and a street, a street and a commune,
  nothing found), across all the communes of an organisation (the territory's page);
- the **nearest address** to random points (``territory.addresses.nearest``), in towns
  and between them;
- a **trivial query** (one commune by primary key): the yardstick, so that the figures
  compare across machines as ratios.

One database per run, SQLite by default (a file under a temporary folder) or the
PostgreSQL given by ``--database-url`` (its tables are dropped and made again: give a
database of its own). Results merge into ``bench/results/addresses.json`` under the
database's vendor. No network.

    .venv/bin/python bench/addresses.py [--communes 300] [--per-commune 1000] [--queries 400]
    .venv/bin/python bench/addresses.py --database-url postgres://postgres@127.0.0.1:5432/territoire_ban
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import log, machine_info

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "addresses.json"
STREET_KINDS = ["Rue", "Avenue", "Chemin", "Impasse", "Allée", "Place", "Route", "Boulevard"]
STREET_NAMES = [
    "de la Mairie", "des Écoles", "de l'Église", "de la Gare", "du Moulin", "des Vignes", "Victor Hugo",
    "des Tilleuls", "Jean Jaurès", "des Peupliers", "du Stade", "Pasteur", "de la Libération",
    "du Général de Gaulle", "des Lilas", "du Château", "de la Fontaine", "des Prés", "du Lavoir",
    "Saint-Exupéry", "des Acacias", "de Verdun", "Gambetta", "de la République", "des Forges",
    "du Port", "des Marais", "de Bretagne", "Émile Zola", "des Chênes",
]  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def timed(calls: list[Callable[[], Any]]) -> dict[str, float]:
    durations = []
    for call in calls:
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    return {
        "n": len(durations),
        "median_ms": round(statistics.median(durations), 3),
        "p95_ms": round(percentile(durations, 0.95), 3),
        "max_ms": round(max(durations), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=300)
    parser.add_argument("--per-commune", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-addresses-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("TERRITOIRE_VAR_DIR", str(folder))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "territoire.settings")
    os.environ.setdefault("TERRITOIRE_ENV", "development")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from territoire.territory import addresses
    from territoire.territory.ban import import_addresses
    from territoire.territory.bantext import BanAddress, ban_csv
    from territoire.territory.models import Commune, OrganisationKind
    from territoire.territory.services import add_commune, create_organisation

    vendor = connection.vendor
    if vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    rng = random.Random(18)
    load_before = os.getloadavg()
    organisation = create_organisation(
        siren="299999999", name="Bench", kind=OrganisationKind.COMMUNAUTE_AGGLOMERATION
    )
    centres: list[tuple[float, float]] = []
    rows: list[BanAddress] = []
    log(f"{vendor}: generating {args.communes} × {args.per_commune} addresses")
    for c in range(args.communes):
        insee = f"98{c:03d}"
        name = f"Commune {c:03d}"
        add_commune(
            organisation=organisation, insee_code=insee, name=name, population=1000, postcodes=["44000"]
        )
        # Towns on a grid across a département (about 100 km × 100 km).
        lat0 = 47.0 + (c // 18) * 0.055 + rng.uniform(-0.01, 0.01)
        lon0 = -2.0 + (c % 18) * 0.075 + rng.uniform(-0.01, 0.01)
        centres.append((lat0, lon0))
        streets = max(1, args.per_commune // 40)
        for s in range(streets):
            street = f"{STREET_KINDS[s % len(STREET_KINDS)]} {STREET_NAMES[(s * 7 + c) % len(STREET_NAMES)]}"
            if s >= len(STREET_NAMES):
                street += f" {s}"
            angle = rng.uniform(0, 2 * math.pi)
            for n in range(1, 41):
                along = 0.0005 + 0.00012 * n
                rows.append(
                    BanAddress(
                        insee=insee,
                        commune=name,
                        street=street,
                        number=n,
                        lat=round(lat0 + along * math.sin(angle), 6),
                        lon=round(lon0 + along * math.cos(angle) * 1.47, 6),
                        postcode="44000",
                        street_code=f"{s:04d}",
                    )
                )
    path = folder / "adresses-98.csv.gz"
    path.write_bytes(gzip.compress(ban_csv(rows).encode()))
    started = time.perf_counter()
    summary = import_addresses(path)
    import_s = time.perf_counter() - started
    total = sum(summary.by_commune.values())
    log(f"{vendor}: imported {total:,} addresses in {import_s:.1f} s")
    connection.cursor().execute("ANALYZE")

    communes = list(Commune.objects.filter(organisation=organisation))
    one_commune = communes[:1]
    sample = rng.sample(rows, args.queries)
    texts = {
        # "Rue des Éco": the street typed up to the first letters of its last word.
        "street being typed (territory)": [
            r.street.rsplit(" ", 1)[0] + " " + r.street.rsplit(" ", 1)[1][:3] for r in sample
        ],
        "common words only: 'rue de la' (territory)": ["rue de la" for _ in sample],
        "number and street (territory)": [f"{r.number} {r.street.lower()}" for r in sample],
        "street and commune (territory)": [f"{r.street[:12]} {r.commune}" for r in sample],
        "nothing found (territory)": ["rue des zzyzx" for _ in sample],
        "number and street (one commune)": [f"{r.number} {r.street}" for r in sample],
    }
    pks = [c.pk for c in communes]
    measures: dict[str, Any] = {}
    for repeat in range(2):  # the first pass warms the caches; the second is reported
        measures = {
            "trivial query (a commune by pk)": timed(
                [
                    lambda pk=pk: Commune.objects.filter(pk=pk).first()
                    for pk in rng.choices(pks, k=args.queries)
                ]
            )
        }
        for label, queries in texts.items():
            where = one_commune if "one commune" in label else communes
            measures[f"search: {label}"] = timed(
                [lambda q=q, w=where: addresses.search(q, w) for q in queries]
            )
        near = [(r.lat + rng.uniform(-0.0003, 0.0003), r.lon + rng.uniform(-0.0003, 0.0003)) for r in sample]
        far = [(lat + 0.02, lon + 0.03) for lat, lon in centres[: args.queries]]
        measures["nearest: in a town"] = timed(
            [lambda p=p: addresses.nearest(p[0], p[1], communes) for p in near]
        )
        measures["nearest: between towns (nothing within 300 m)"] = timed(
            [lambda p=p: addresses.nearest(p[0], p[1], communes) for p in far]
        )
        log(f"{vendor}: pass {repeat + 1} done")
    yardstick = measures["trivial query (a commune by pk)"]["median_ms"]
    for values in measures.values():
        values["median_vs_trivial"] = round(values["median_ms"] / yardstick, 1) if yardstick else None

    data = json.loads(args.output.read_text()) if args.output.exists() else {"benchmark": "addresses"}
    data[vendor] = {
        "machine": {**machine_info(REPO, ("django", "psycopg")), "load_average_before": load_before},
        "parameters": {
            "addresses": total,
            "communes": args.communes,
            "streets": len({(r.insee, r.street) for r in rows}),
            "queries_per_measure": args.queries,
        },
        "import_seconds": round(import_s, 2),
        "measures": measures,
    }
    data[vendor]["machine"]["load_average_after"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    for label, values in measures.items():
        log(
            f"{vendor}: {label}: median {values['median_ms']} ms (×{values['median_vs_trivial']}), p95 {values['p95_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
