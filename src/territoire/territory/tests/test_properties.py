"""Property tests on the parsers of outside input in the territory: whatever they are given,
they answer with their own error (a message for the user), never a crash, and write nothing."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territoire.core.geo import GeometryError, validate_polygon
from territoire.territory.models import Commune, Organisation, OrganisationKind, Scope, Zone
from territoire.territory.services import (
    TerritoryImportError,
    create_organisation,
    import_cog,
    import_zones,
    save_zones,
)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each example below runs an import against the database (rolled back): fewer of them.
DB_SETTINGS = settings(SETTINGS, max_examples=50)

# --- strategies ------------------------------------------------------------------------------------

numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-200, max_value=200)
)
words = st.sampled_from(
    [
        "",
        " ",
        "99101",
        "99102",
        "2A004",
        "200000001",
        "CC",
        "Polygon",
        "MultiPolygon",
        "Feature",
        "FeatureCollection",
        "commune-actuelle",
        "commune-deleguee",
        "code",
        "nom",
        "name",
    ]
) | st.text(max_size=12)
scalars = st.none() | st.booleans() | numbers | words
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(words, children, max_size=4),
    max_leaves=12,
)

points = st.lists(numbers, min_size=0, max_size=3)
rings = st.lists(points, max_size=6) | st.lists(
    st.tuples(st.floats(-181, 181), st.floats(-91, 91)).map(list), min_size=3, max_size=6
).map(lambda ring: [*ring, ring[0]])
polygon_coordinates = st.lists(rings, max_size=3)
geometries = (
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]) | json_values,
            "coordinates": polygon_coordinates | st.lists(polygon_coordinates, max_size=3) | json_values,
        }
    )
    | json_values
)


def _slots(data: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in a JSON structure, depth first."""
    if isinstance(data, dict):
        for key in list(data):
            yield data, key
            yield from _slots(data[key])
    elif isinstance(data, list):
        for index in range(len(data)):
            yield data, index
            yield from _slots(data[index])


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three values replaced by arbitrary JSON, or keys removed."""
    data = copy.deepcopy(base)
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(data))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(json_values)
    return data


# --- validate_polygon --------------------------------------------------------------------------


def _rings(geometry: dict[str, Any]) -> list[Any]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


@SETTINGS
@given(geometry=geometries)
def test_validate_polygon_raises_only_geometry_error(geometry: Any) -> None:
    try:
        result = validate_polygon(geometry)
    except GeometryError:
        return
    # Accepted: a Polygon or MultiPolygon in WGS 84 range, with closed rings, returned as given.
    assert result is geometry
    assert geometry["type"] in {"Polygon", "MultiPolygon"}
    flat = json.dumps(geometry["coordinates"])
    assert "NaN" not in flat
    assert "Infinity" not in flat
    for ring in _rings(geometry):
        assert len(ring) >= 4
        assert ring[0] == ring[-1]


# --- import_cog ----------------------------------------------------------------------------------

SIREN = "200000001"
BASE_EPCI = [
    {"code": "200000009", "nom": "CC Ailleurs", "type": "CA", "membres": [{"code": "99109"}]},
    {
        "code": SIREN,
        "nom": "CC des Essais",
        "type": "CC",
        "membres": [
            {"code": "99101", "nom": "Alpha", "populationMunicipale": 9_900},
            {"code": "99102", "nom": "Bêta", "populationMunicipale": 2_900},
        ],
    },
]
BASE_COMMUNES = [
    {
        "code": "99101",
        "nom": "Alpha",
        "type": "commune-actuelle",
        "codesPostaux": ["10000"],
        "population": 10_000,
    },
    {"code": "99102", "nom": "Bêta", "type": "commune-actuelle", "codesPostaux": ["10001"]},
    {"code": "99102", "nom": "Bêta déléguée", "type": "commune-deleguee"},
    {"code": "99109", "nom": "Ailleurs", "type": "commune-actuelle", "population": 50},
]


def territory_rows() -> tuple[Any, ...]:
    return (
        sorted(Organisation.objects.values_list("siren", "name", "kind")),
        sorted(
            Commune.objects.values_list("insee_code", "name", "population", "postcodes", "organisation_id")
        ),
        sorted(Scope.objects.values_list("code", "kind")),
    )


@pytest.fixture
def existing_organisation(db: Any) -> Organisation:
    """Created beforehand, so that a successful import does not re-apply the template."""
    return create_organisation(siren=SIREN, name="CC des Essais", kind=OrganisationKind.COMMUNAUTE_COMMUNES)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


def check_import_cog(workdir: Path, communes: Any, epcis: Any, code: str = SIREN) -> None:
    communes_path, epci_path = workdir / "communes.json", workdir / "epci.json"
    communes_path.write_text(json.dumps(communes), encoding="utf-8")
    epci_path.write_text(json.dumps(epcis), encoding="utf-8")
    with transaction.atomic():
        before = territory_rows()
        try:
            summary = import_cog(communes_path=communes_path, epci_path=epci_path, epci_code=code)
        except TerritoryImportError:
            assert territory_rows() == before
        else:
            org = summary.organisation
            members = set(org.communes.values_list("insee_code", flat=True))
            assert members == set(summary.created + summary.updated + summary.unchanged)
            for commune in Commune.objects.filter(organisation=org):
                assert isinstance(commune.name, str)
                assert commune.name
                assert 0 <= commune.population <= 2_147_483_647
                assert all(isinstance(p, str) and len(p) == 5 for p in commune.postcodes)
        transaction.set_rollback(True)


def test_base_files_import(existing_organisation: Organisation, workdir: Path) -> None:
    """The property tests below start from files that do import."""
    communes_path, epci_path = workdir / "base-communes.json", workdir / "base-epci.json"
    communes_path.write_text(json.dumps(BASE_COMMUNES), encoding="utf-8")
    epci_path.write_text(json.dumps(BASE_EPCI), encoding="utf-8")
    summary = import_cog(communes_path=communes_path, epci_path=epci_path, epci_code=SIREN)
    assert sorted(summary.created) == ["99101", "99102"]
    assert Commune.objects.get(insee_code="99102").population == 2_900


@DB_SETTINGS
@given(epcis=mutated(BASE_EPCI))
def test_import_cog_mutated_epci_file(existing_organisation: Organisation, workdir: Path, epcis: Any) -> None:
    check_import_cog(workdir, BASE_COMMUNES, epcis)


@DB_SETTINGS
@given(communes=mutated(BASE_COMMUNES))
def test_import_cog_mutated_communes_file(
    existing_organisation: Organisation, workdir: Path, communes: Any
) -> None:
    check_import_cog(workdir, communes, BASE_EPCI)


@DB_SETTINGS
@given(communes=json_values, epcis=json_values, code=words | st.from_regex(r"\A\d{9}\Z"))
def test_import_cog_arbitrary_json(
    existing_organisation: Organisation, workdir: Path, communes: Any, epcis: Any, code: str
) -> None:
    check_import_cog(workdir, communes, epcis, code)


@DB_SETTINGS
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_import_cog_arbitrary_bytes(
    existing_organisation: Organisation, workdir: Path, content: bytes
) -> None:
    (workdir / "raw.json").write_bytes(content)
    (workdir / "epci.json").write_text(json.dumps(BASE_EPCI), encoding="utf-8")
    with transaction.atomic():
        before = territory_rows()
        with pytest.raises(TerritoryImportError):
            import_cog(communes_path=workdir / "raw.json", epci_path=workdir / "epci.json", epci_code=SIREN)
        with pytest.raises(TerritoryImportError):
            import_cog(communes_path=workdir / "epci.json", epci_path=workdir / "raw.json", epci_code=SIREN)
        assert territory_rows() == before
        transaction.set_rollback(True)


# --- save_zones / import_zones -----------------------------------------------------------------

SQUARE = [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.01], [2.0, 48.0]]]
BASE_ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Centre", "code": "centre", "population": 1200},
            "geometry": {"type": "Polygon", "coordinates": SQUARE},
        },
        {
            "type": "Feature",
            "properties": {"nom": "Port"},
            "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE]},
        },
    ],
}


@pytest.fixture
def bare_commune(db: Any) -> Commune:
    return Commune.objects.create(insee_code="99101", name="Alpha")


def check_save_zones(commune: Commune, features: Any) -> None:
    with transaction.atomic():
        before = sorted(Zone.objects.values_list("code", "name", "geometry", "population"))
        try:
            summary = save_zones(features=features, commune=commune)
        except TerritoryImportError:
            assert sorted(Zone.objects.values_list("code", "name", "geometry", "population")) == before
        else:
            assert summary.created or summary.updated
            for zone in Zone.objects.filter(commune=commune):
                validate_polygon(zone.geometry)
                assert zone.name.strip() == zone.name
                assert zone.name
                assert len(zone.name) <= 200
                assert zone.population is None or 0 <= zone.population <= 2_147_483_647
                assert not any(isinstance(v, float) and not math.isfinite(v) for v in _numbers(zone.geometry))
        transaction.set_rollback(True)


def _numbers(data: Any) -> Iterator[Any]:
    if isinstance(data, dict):
        for value in data.values():
            yield from _numbers(value)
    elif isinstance(data, list):
        for value in data:
            yield from _numbers(value)
    else:
        yield data


def test_base_zones_import(bare_commune: Commune) -> None:
    summary = save_zones(features=BASE_ZONES, commune=bare_commune)
    assert sorted(summary.created) == ["centre", "port"]


@DB_SETTINGS
@given(features=mutated(BASE_ZONES))
def test_save_zones_mutated(bare_commune: Commune, features: Any) -> None:
    check_save_zones(bare_commune, features)


@DB_SETTINGS
@given(
    features=json_values
    | st.fixed_dictionaries(
        {
            "type": st.just("FeatureCollection"),
            "features": st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.just("Feature"),
                        "properties": st.fixed_dictionaries(
                            {"name": st.text(min_size=1, max_size=30)},
                            optional={
                                "code": words | json_values,
                                "population": st.integers(-5, 2**40) | json_values,
                            },
                        )
                        | st.dictionaries(
                            st.sampled_from(["name", "nom", "code", "population"]), json_values, max_size=4
                        )
                        | json_values,
                        "geometry": geometries,
                    }
                ),
                max_size=3,
            ),
        }
    )
)
def test_save_zones_arbitrary(bare_commune: Commune, features: Any) -> None:
    check_save_zones(bare_commune, features)


@DB_SETTINGS
@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_import_zones_arbitrary_bytes(bare_commune: Commune, workdir: Path, content: bytes) -> None:
    path = workdir / "zones.geojson"
    path.write_bytes(content)
    with pytest.raises(TerritoryImportError):
        import_zones(path=path, commune=bare_commune)
    assert not Zone.objects.exists()
