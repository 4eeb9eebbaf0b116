"""Writes to the territory: organisations, communes, zones, staff roles."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from territoire.core.actions import action
from territoire.core.geo import GeometryError, validate_polygon
from territoire.territory.models import (
    Commune,
    Organisation,
    OrganisationKind,
    Scope,
    ScopeKind,
    Zone,
    organisation_created,
)

SIREN_RE = re.compile(r"^\d{9}$")
INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
POSTCODE_RE = re.compile(r"^\d{5}$")
NAME_MAX_LENGTH = 200  # Organisation.name, Commune.name, Zone.name
POPULATION_MAX = 2_147_483_647  # PositiveIntegerField on every database


class TerritoryImportError(ValueError):
    """Bad input: the message says what and where; nothing has been written."""


@dataclass
class CogImportSummary:
    organisation: Organisation
    organisation_created: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    detached: list[str] = field(default_factory=list)


def ensure_scopes(*, organisations: Iterable[Organisation] = (), communes: Iterable[Commune] = ()) -> None:
    """Create the Scope rows that targets and measurements point to."""
    orgs = list(organisations)
    comms = list(communes)
    have_org = set(Scope.objects.filter(organisation__in=orgs).values_list("organisation_id", flat=True))
    have_com = set(Scope.objects.filter(commune__in=comms).values_list("commune_id", flat=True))
    Scope.objects.bulk_create(
        [
            Scope(kind=ScopeKind.ORGANISATION, code=o.siren, organisation=o)
            for o in orgs
            if o.pk not in have_org
        ]
        + [Scope(kind=ScopeKind.COMMUNE, code=c.insee_code, commune=c) for c in comms if c.pk not in have_com]
    )


def _load_json_list(path: Path, what: str) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except FileNotFoundError as exc:
        raise TerritoryImportError(f"{path}: file not found") from exc
    except OSError as exc:
        raise TerritoryImportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise TerritoryImportError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except UnicodeDecodeError as exc:
        raise TerritoryImportError(f"{path}: not UTF-8 text") from exc
    except RecursionError as exc:
        raise TerritoryImportError(f"{path}: JSON nested too deeply") from exc
    if not isinstance(data, list):
        raise TerritoryImportError(f"{path}: expected a JSON array of {what}")
    return data


def _require(entry: Any, keys: Iterable[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise TerritoryImportError(f"{where}: expected an object")
    missing = [k for k in keys if k not in entry or entry[k] in (None, "")]
    if missing:
        raise TerritoryImportError(f"{where}: missing field {', '.join(repr(m) for m in missing)}")


def _name(value: Any, where: str, key: str = "nom") -> str:
    if not isinstance(value, str) or not value.strip():
        raise TerritoryImportError(f"{where}: {key!r} must be a non-empty string")
    if len(value.strip()) > NAME_MAX_LENGTH:
        raise TerritoryImportError(f"{where}: {key!r} is longer than {NAME_MAX_LENGTH} characters")
    return value.strip()


def _population(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= POPULATION_MAX


_KIND_BY_COG = {
    "CC": OrganisationKind.COMMUNAUTE_COMMUNES,
    "CA": OrganisationKind.COMMUNAUTE_AGGLOMERATION,
    "CU": OrganisationKind.COMMUNAUTE_URBAINE,
    "METRO": OrganisationKind.METROPOLE,
    "MET69": OrganisationKind.METROPOLE,
    "EPT": OrganisationKind.ETABLISSEMENT_TERRITORIAL,
}


def import_cog(*, communes_path: Path, epci_path: Path, epci_code: str) -> CogImportSummary:
    """Create or update an EPCI and its member communes from the official découpage files.

    Idempotent: a second run with the same files changes nothing; a run with newer files
    applies population and membership changes (communes that left are detached, not
    deleted, so their history stays). All or nothing.
    """
    if not SIREN_RE.match(epci_code):
        raise TerritoryImportError(f"--epci-code {epci_code!r}: an EPCI code is a 9-digit SIREN")
    epcis = _load_json_list(epci_path, "EPCI")
    epci = None
    for index, entry in enumerate(epcis):
        if isinstance(entry, dict) and entry.get("code") == epci_code:
            _require(
                entry, ("code", "nom", "type", "membres"), f"{epci_path}: EPCI {epci_code} (entry {index})"
            )
            epci = entry
            break
    if epci is None:
        raise TerritoryImportError(
            f"{epci_path}: EPCI {epci_code} not found among {len(epcis):,} EPCI; check the SIREN"
        )
    epci_name = _name(epci["nom"], f"{epci_path}: EPCI {epci_code}")
    kind = _KIND_BY_COG.get(str(epci["type"]))
    if kind is None:
        raise TerritoryImportError(f"{epci_path}: EPCI {epci_code}: unknown type {epci['type']!r}")
    members = epci["membres"]
    if not isinstance(members, list) or not members:
        raise TerritoryImportError(f"{epci_path}: EPCI {epci_code}: 'membres' must be a non-empty list")
    wanted: dict[str, dict[str, Any]] = {}
    for index, member in enumerate(members):
        where = f"{epci_path}: EPCI {epci_code}, member {index}"
        _require(member, ("code",), where)
        if not isinstance(member["code"], str) or not INSEE_RE.match(member["code"]):
            raise TerritoryImportError(f"{where}: bad INSEE code {member['code']!r}")
        wanted[member["code"]] = member

    communes_file = _load_json_list(communes_path, "communes")
    found: dict[str, dict[str, Any]] = {}
    found_at: dict[str, int] = {}
    for index, entry in enumerate(communes_file):
        if not isinstance(entry, dict):
            raise TerritoryImportError(f"{communes_path}: entry {index}: expected an object")
        code = entry.get("code")
        if (
            isinstance(code, str)
            and code in wanted
            and entry.get("type", "commune-actuelle") == "commune-actuelle"
        ):
            found[code] = entry
            found_at[code] = index
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise TerritoryImportError(
            f"{communes_path}: {len(missing)} member commune(s) of EPCI {epci_code} not found: "
            f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
        )

    rows: dict[str, dict[str, Any]] = {}
    for code in wanted:
        entry = found[code]
        where = f"{communes_path}: entry {found_at[code]} (commune {code})"
        _require(entry, ("code", "nom"), where)
        population = entry.get("population", wanted[code].get("populationMunicipale", 0))
        if not _population(population):
            raise TerritoryImportError(f"{where}: bad population {population!r}")
        postcodes = entry.get("codesPostaux") or []
        if not isinstance(postcodes, list) or not all(
            isinstance(p, str) and POSTCODE_RE.match(p) for p in postcodes
        ):
            raise TerritoryImportError(
                f"{where}: 'codesPostaux' must be a list of 5-digit postcodes, not {postcodes!r}"
            )
        rows[code] = {
            "name": _name(entry["nom"], where),
            "population": population,
            "postcodes": sorted(set(postcodes)),
        }

    with action("territory.import_cog", actor_label="command") as act:
        org, org_created = Organisation.objects.get_or_create(
            siren=epci_code,
            defaults={"name": epci_name, "kind": kind, "slug": _unique_slug(epci_name)},
        )
        org_changed = not org_created and (org.name, org.kind) != (epci_name, kind)
        if org_changed:
            org.name, org.kind = epci_name, kind
            org.save(update_fields=["name", "kind", "updated_at"])
        if org_created:
            ensure_scopes(organisations=[org])
            organisation_created.send(sender=Organisation, organisation=org)
        summary = CogImportSummary(organisation=org, organisation_created=org_created)
        existing = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=list(rows))}
        to_create, to_update = [], []
        for code, values in rows.items():
            commune = existing.get(code)
            if commune is None:
                to_create.append(Commune(insee_code=code, organisation=org, **values))
                summary.created.append(code)
                continue
            current = (commune.name, commune.population, commune.postcodes, commune.organisation_id)
            if current == (values["name"], values["population"], values["postcodes"], org.pk):
                summary.unchanged.append(code)
                continue
            commune.name = values["name"]
            commune.population = values["population"]
            commune.postcodes = values["postcodes"]
            commune.organisation = org
            to_update.append(commune)
            summary.updated.append(code)
        Commune.objects.bulk_create(to_create, batch_size=500)
        Commune.objects.bulk_update(
            to_update, ["name", "population", "postcodes", "organisation"], batch_size=500
        )
        leaving = Commune.objects.filter(organisation=org).exclude(insee_code__in=list(rows))
        summary.detached = sorted(leaving.values_list("insee_code", flat=True))
        leaving.update(organisation=None)
        ensure_scopes(organisations=[org], communes=Commune.objects.filter(insee_code__in=list(rows)))
        act.obj, act.organisation_id = org, org.pk
        act.changes = {
            "created": len(summary.created),
            "updated": len(summary.updated),
            "detached": summary.detached,
        }
        if not (org_created or org_changed or summary.created or summary.updated or summary.detached):
            act.versions = ()  # audited all the same: the import ran
    return summary


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "organisation"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_organisation(*, siren: str, name: str, kind: str, slug: str = "") -> Organisation:
    """Create an organisation with its scope; the modules set it up (``organisation_created``)."""
    with action("territory.create_organisation", actor_label="system", changes={"siren": siren}) as act:
        org = Organisation.objects.create(siren=siren, name=name, kind=kind, slug=slug or _unique_slug(name))
        act.obj, act.organisation_id = org, org.pk
        ensure_scopes(organisations=[org])
        organisation_created.send(sender=Organisation, organisation=org)
    return org


def add_commune(
    *,
    organisation: Organisation,
    insee_code: str,
    name: str,
    population: int,
    postcodes: list[str] | None = None,
) -> Commune:
    with action(
        "territory.add_commune",
        actor_label="system",
        organisation_id=organisation.pk,
        changes={"insee_code": insee_code},
    ) as act:
        commune = Commune.objects.create(
            organisation=organisation,
            insee_code=insee_code,
            name=name,
            population=population,
            postcodes=postcodes or [],
        )
        act.obj = commune
        ensure_scopes(communes=[commune])
    return commune


@dataclass
class ZoneImportSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def import_zones(*, path: Path, commune: Commune) -> ZoneImportSummary:
    """Create or update a commune's zones from a GeoJSON FeatureCollection. All or nothing."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise TerritoryImportError(f"{path}: file not found") from exc
    except OSError as exc:
        raise TerritoryImportError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise TerritoryImportError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise TerritoryImportError(f"{path}: not valid GeoJSON ({exc})") from exc
    return save_zones(features=data, commune=commune, source=str(path))


def save_zones(*, features: Any, commune: Commune, source: str = "GeoJSON") -> ZoneImportSummary:
    if not isinstance(features, dict) or features.get("type") != "FeatureCollection":
        raise TerritoryImportError(f"{source}: expected a GeoJSON FeatureCollection")
    items = features.get("features")
    if not isinstance(items, list) or not items:
        raise TerritoryImportError(f"{source}: the FeatureCollection has no features")
    parsed: list[tuple[str, str, dict[str, Any], int | None]] = []
    seen: set[str] = set()
    for index, feature in enumerate(items):
        where = f"{source}: feature {index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise TerritoryImportError(f"{where}: not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise TerritoryImportError(f"{where}: 'properties' must be an object")
        name = props.get("name") or props.get("nom")
        if not isinstance(name, str) or not name.strip():
            raise TerritoryImportError(f"{where}: missing property 'name'")
        name = _name(name, where, "name")
        raw_code = props.get("code")
        if isinstance(raw_code, bool) or (raw_code is not None and not isinstance(raw_code, str | int)):
            raise TerritoryImportError(f"{where}: property 'code' must be a string")
        code = slugify(str(raw_code or name))[:100]
        if not code:
            raise TerritoryImportError(f"{where}: cannot derive a code from {name!r}")
        if code in seen:
            raise TerritoryImportError(f"{where}: duplicate zone code {code!r}")
        seen.add(code)
        population = props.get("population")
        if population is not None and not _population(population):
            raise TerritoryImportError(f"{where}: 'population' must be a non-negative integer")
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and not isinstance(geometry.get("type"), str):
            # Checked here too: validate_polygon expects a hashable type.
            raise TerritoryImportError(f"{where} ({name}): geometry has no valid 'type'")
        try:
            geometry = validate_polygon(geometry)
        except GeometryError as exc:
            raise TerritoryImportError(f"{where} ({name}): {exc}") from exc
        parsed.append((code, name, geometry, population))

    summary = ZoneImportSummary()
    with action(
        "territory.import_zones",
        actor_label="command",
        obj=commune,
        organisation_id=commune.organisation_id,
        versions=(),
    ) as act:
        existing = {z.code: z for z in Zone.objects.filter(commune=commune)}
        for code, name, geometry, population in parsed:
            zone = existing.get(code)
            if zone is None:
                Zone.objects.create(
                    commune=commune, code=code, name=name, geometry=geometry, population=population
                )
                summary.created.append(code)
            else:
                zone.name, zone.geometry, zone.population = name, geometry, population
                zone.save(update_fields=["name", "geometry", "population", "updated_at"])
                summary.updated.append(code)
        act.changes = {"created": summary.created, "updated": summary.updated}
    return summary
