"""Where a point falls, and the territory as the intake sees it, cached per process.

The territory's outline is the union of its communes' zones: a point in none of them is
outside the territory. Point-in-polygon uses shapely prepared geometries, found through a
grid of their bounding boxes (``Grid``).

``territory()`` returns a read-only snapshot of the organisations, communes (with their
organisation attached), zones (prepared geometries) and the active service categories
(with their attributes), each organisation's initial status and the active Open311
application keys (by hash), rebuilt when any of them changes. Whether something changed is
one indexed read (``_fingerprint``): a version that triggers on those seven tables bump on
every write, whoever writes (the ORM, ``update()``, ``bulk_create``, raw SQL, another
process), installed after each ``migrate`` (``install_triggers``). An Open311 POST or a
listing thus costs one small query for all of this instead of loading every commune and
zone and looking its key up. A rolled-back transaction rolls the version back with the
data it described, and a missing version row starts again at a random value, so a stale
snapshot cannot look current. Saving or deleting any of these models also clears the
snapshot of the process at once (signals connected below).

The snapshot's model instances are shared between requests: read them, never save them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models.signals import post_delete, post_save
from shapely.geometry import shape

from territoire.core.cache import TRIGGER_VERSION_KEYS, install_version_triggers
from territoire.territory.models import Commune, Organisation, Zone


class Grid:
    """Which bounding boxes may hold a point: a square grid, each cell listing (in order)
    the boxes that overlap it. Finding a point's cell is arithmetic; a search tree would
    cost more for a territory's few hundred zones (and the tree wants a point object,
    whose creation alone costs more than the lookup here).

    A cell is half as wide as the median box, so a box spans a few cells wherever the boxes
    lie (communes overseas and in Europe in one installation: the grid is a dictionary of
    the occupied cells only). A box far larger than the others (more than ``MAX_SPAN``
    cells) is not spread over cells: it is a candidate everywhere.
    """

    MAX_SPAN = 4096

    def __init__(self, bounds: list[list[float]]) -> None:
        self.min_x = min(b[0] for b in bounds)
        self.min_y = min(b[1] for b in bounds)
        sizes = sorted(max(b[2] - b[0], b[3] - b[1]) for b in bounds)
        extent = max(max(b[2] for b in bounds) - self.min_x, max(b[3] for b in bounds) - self.min_y)
        size = sizes[len(sizes) // 2] / 2 or extent / 64
        self.size = size if size > 0 else 1.0
        self.cells: dict[tuple[int, int], list[int]] = {}
        self.everywhere: list[int] = []
        for index, (min_x, min_y, max_x, max_y) in enumerate(bounds):
            first_x, first_y = self._cell(min_x, min_y)
            last_x, last_y = self._cell(max_x, max_y)
            if (last_x - first_x + 1) * (last_y - first_y + 1) > self.MAX_SPAN:
                self.everywhere.append(index)
                continue
            for x in range(first_x, last_x + 1):
                for y in range(first_y, last_y + 1):
                    self.cells.setdefault((x, y), []).append(index)

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return math.floor((x - self.min_x) / self.size), math.floor((y - self.min_y) / self.size)

    def candidates(self, x: float, y: float) -> list[int]:
        """The indexes, ascending, of the boxes that may hold (x, y): a superset of those
        that do."""
        found = self.cells.get(self._cell(x, y), [])
        if not self.everywhere:
            return found
        return sorted({*found, *self.everywhere})


@dataclass(frozen=True)
class Location:
    commune_id: int
    zone_id: int


@dataclass
class Territory:
    """A snapshot of what intake and listing look up on every request."""

    key: tuple[Any, ...]
    organisations: dict[int, Organisation] = field(default_factory=dict)
    organisations_by_siren: dict[str, Organisation] = field(default_factory=dict)
    organisations_by_slug: dict[str, Organisation] = field(default_factory=dict)
    communes: dict[int, Commune] = field(default_factory=dict)
    communes_by_insee: dict[str, Commune] = field(default_factory=dict)
    zones: dict[int, Zone] = field(default_factory=dict)
    # Zones with a valid geometry, in (commune, id) order; the grid indexes this list.
    zone_order: list[tuple[int, int]] = field(default_factory=list)  # (zone id, commune id)
    geometries: list[Any] = field(default_factory=list)  # prepared (shapely.prepare)
    grid: Grid | None = None
    # Active categories by (organisation id, service code), attributes prefetched.
    categories: dict[tuple[int, str], Any] = field(default_factory=dict)
    # Each active category's attributes by code, in (order, code) order.
    attributes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The initial status of each organisation (a ReportStatus).
    initial_statuses: dict[int, Any] = field(default_factory=dict)
    # Ids of the communes of each organisation, and of every commune that has one: the
    # scopes of point-in-polygon, computed once rather than on every submission.
    commune_ids_by_organisation: dict[int, frozenset[int]] = field(default_factory=dict)
    attached_commune_ids: frozenset[int] = frozenset()
    # The active Open311 application keys by hash: their (id, name, organisation id, hash,
    # prefix), the fields of API_KEY_FIELDS.
    api_keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def communes_of(self, organisation_id: int) -> frozenset[int]:
        """The ids of the organisation's communes."""
        return self.commune_ids_by_organisation.get(organisation_id, frozenset())

    def locate(self, lat: float, lon: float, commune_ids: Set[int] | None = None) -> Location | None:
        """The first zone (in commune, id order) covering the point, among ``commune_ids``."""
        if self.grid is None:
            return None
        for index in self.grid.candidates(lon, lat):
            zone_id, commune_id = self.zone_order[index]
            if commune_ids is not None and commune_id not in commune_ids:
                continue
            # A point intersects a polygon when the polygon covers it (boundary included).
            if shapely.intersects_xy(self.geometries[index], lon, lat):
                return Location(commune_id=commune_id, zone_id=zone_id)
        return None


# The snapshot's version: a counter in core_dataversion that triggers on these tables bump
# on every write (core.cache.install_version_triggers, run after each migrate).
SNAPSHOT_VERSION_KEY = "reports.territory"
TRIGGER_VERSION_KEYS.add(SNAPSHOT_VERSION_KEY)


def watched_tables() -> dict[str, tuple[str, ...]]:
    """The tables the snapshot is built from → the columns whose UPDATE counts (all: empty)."""
    from territoire.reports.models import Open311ApiKey, ReportStatus, ServiceAttribute, ServiceCategory

    key = Open311ApiKey._meta
    return {
        Organisation._meta.db_table: (),
        Commune._meta.db_table: (),
        Zone._meta.db_table: (),
        ServiceCategory._meta.db_table: (),
        ServiceAttribute._meta.db_table: (),
        ReportStatus._meta.db_table: (),
        # Every use of a key writes its last_used_at (at most once a minute): not a change.
        key.db_table: tuple(
            f.column for f in key.concrete_fields if f.attname in {*API_KEY_FIELDS, "revoked_at"} - {"id"}
        ),
    }


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate``: (re)create the triggers that keep the snapshot's version."""
    install_version_triggers(SNAPSHOT_VERSION_KEY, watched_tables(), using=using)


# What a request's Open311ApiKey is loaded with (services.authenticate_api_key).
API_KEY_FIELDS = ("id", "name", "organisation_id", "key_hash", "key_prefix")
_KEY_HASH = API_KEY_FIELDS.index("key_hash")

_snapshot: Territory | None = None
_lock = threading.Lock()


FINGERPRINT_SQL = f"SELECT version FROM core_dataversion WHERE key = '{SNAPSHOT_VERSION_KEY}'"  # noqa: S608


def _fingerprint() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)  # a constant: no parameter to convert or bind
        row = cursor.fetchone()
    return (connection.alias, row[0] if row else None)


def _build(key: tuple[Any, ...]) -> Territory:
    from django.db.models import Prefetch

    from territoire.reports.models import Open311ApiKey, ReportStatus, ServiceAttribute, ServiceCategory

    snap = Territory(key=key)
    for status in ReportStatus.objects.filter(is_initial=True):
        snap.initial_statuses[status.organisation_id] = status
    for organisation in Organisation.objects.all():
        snap.organisations[organisation.pk] = organisation
        snap.organisations_by_siren[organisation.siren] = organisation
        snap.organisations_by_slug[organisation.slug] = organisation
    for commune in Commune.objects.all():
        if commune.organisation_id is not None:
            commune.organisation = snap.organisations.get(commune.organisation_id)
        snap.communes[commune.pk] = commune
        snap.communes_by_insee[commune.insee_code] = commune
    by_organisation: dict[int, set[int]] = {}
    for commune in snap.communes.values():
        if commune.organisation_id is not None:
            by_organisation.setdefault(commune.organisation_id, set()).add(commune.pk)
    snap.commune_ids_by_organisation = {org: frozenset(ids) for org, ids in by_organisation.items()}
    snap.attached_commune_ids = frozenset().union(*snap.commune_ids_by_organisation.values())
    for zone in Zone.objects.order_by("commune_id", "id"):
        zone.commune = snap.communes[zone.commune_id]
        snap.zones[zone.pk] = zone
        try:
            geometry: Any = shape(zone.geometry)
        except Exception:  # noqa: S112  (a zone saved without validation: not locatable)
            continue
        if geometry.is_empty:
            continue
        shapely.prepare(geometry)
        snap.zone_order.append((zone.pk, zone.commune_id))
        snap.geometries.append(geometry)
    if snap.geometries:
        snap.grid = Grid(shapely.bounds(snap.geometries).tolist())
    for category in ServiceCategory.objects.filter(active=True).prefetch_related(
        Prefetch("attributes", queryset=ServiceAttribute.objects.order_by("order", "code"))
    ):
        snap.categories[(category.organisation_id, category.service_code)] = category
        snap.attributes[category.pk] = {a.code: a for a in category.attributes.all()}
    for identity in Open311ApiKey.objects.filter(revoked_at__isnull=True).values_list(*API_KEY_FIELDS):
        snap.api_keys[identity[_KEY_HASH]] = identity
    return snap


# Within one web request the snapshot is checked once: an Open311 POST looks it up for
# the key's organisation, the jurisdiction and the location, and each check is a query.
# The request's own writes to these tables clear it through the signals below.
_request = threading.local()


def _request_started(**kwargs: Any) -> None:
    _request.checked = None
    _request.active = True


def _request_finished(**kwargs: Any) -> None:
    _request.checked = None
    _request.active = False


def territory() -> Territory:
    """The current snapshot (one query when nothing changed; once per web request)."""
    global _snapshot
    current = _snapshot
    if current is not None and getattr(_request, "active", False) and _request.checked is current:
        return current
    key = _fingerprint()
    if current is None or current.key != key:
        current = _build(key)
        with _lock:
            _snapshot = current
    if getattr(_request, "active", False):
        _request.checked = current
    return current


def locate(lat: float, lon: float, communes: Iterable[Commune | int] | None = None) -> Location | None:
    """The zone (and its commune) containing the point, among ``communes`` (default: all)."""
    ids = None if communes is None else {c if isinstance(c, int) else c.pk for c in communes}
    return territory().locate(lat, lon, ids)


def clear_cache(*args: Any, **kwargs: Any) -> None:
    global _snapshot
    with _lock:
        _snapshot = None
    _request.checked = None


for _model in ("territory.Organisation", "territory.Commune", "territory.Zone"):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"reports.locate.save.{_model}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"reports.locate.delete.{_model}")
for _model in (
    "reports.ServiceCategory",
    "reports.ServiceAttribute",
    "reports.ReportStatus",
    "reports.Open311ApiKey",
):
    post_save.connect(clear_cache, sender=_model, dispatch_uid=f"reports.locate.save.{_model}")
    post_delete.connect(clear_cache, sender=_model, dispatch_uid=f"reports.locate.delete.{_model}")
request_started.connect(_request_started, dispatch_uid="reports.locate.request_started")
request_finished.connect(_request_finished, dispatch_uid="reports.locate.request_finished")
