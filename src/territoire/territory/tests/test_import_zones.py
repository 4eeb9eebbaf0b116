"""`territoire territory import-zones FILE --commune INSEE`: a commune's districts from GeoJSON."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from territoire.core.models import AuditEvent
from territoire.territory.models import Commune, Zone
from territoire.territory.services import TerritoryImportError, import_zones, save_zones

pytestmark = pytest.mark.django_db

SQUARE = [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.01], [2.0, 48.0]]]
OTHER_SQUARE = [[[2.02, 48.0], [2.03, 48.0], [2.03, 48.01], [2.02, 48.01], [2.02, 48.0]]]
# A bow-tie: its edges cross at (2.005, 48.005).
BOW_TIE = [[[2.0, 48.0], [2.01, 48.01], [2.01, 48.0], [2.0, 48.01], [2.0, 48.0]]]


def polygon(coordinates: Any = SQUARE) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates}


def feature(name: str | None, geometry: Any = None, **props: Any) -> dict[str, Any]:
    properties = dict(props)
    if name is not None:
        properties["name"] = name
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": polygon() if geometry is None else geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def alpha(db: Any) -> Commune:
    return Commune.objects.create(insee_code="99101", name="Alpha", population=10_000)


def write(tmp_path: Path, data: Any, name: str = "zones.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(path: Path, commune: str = "99101") -> str:
    out = StringIO()
    call_command("territory", "import-zones", str(path), "--commune", commune, stdout=out)
    return out.getvalue()


def zones() -> list[tuple[Any, ...]]:
    return sorted(Zone.objects.values_list("commune__insee_code", "code", "name", "geometry", "population"))


def test_valid_polygons_are_created(tmp_path: Path, alpha: Commune) -> None:
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE, OTHER_SQUARE]}
    path = write(
        tmp_path,
        collection(
            feature("Centre-ville", population=4200),
            feature("Les Hauts de Valmont", multi, code="hauts"),
            {"type": "Feature", "properties": {"nom": "Le Port"}, "geometry": polygon(OTHER_SQUARE)},
        ),
    )

    output = run(path)

    assert zones() == [
        ("99101", "centre-ville", "Centre-ville", polygon(), 4200),
        ("99101", "hauts", "Les Hauts de Valmont", multi, None),
        ("99101", "le-port", "Le Port", polygon(OTHER_SQUARE), None),
    ]
    assert "Alpha: 3 zone(s) created, 0 updated." in output
    assert AuditEvent.objects.filter(action="territory.import_zones").count() == 1


def test_reimport_updates_by_code(tmp_path: Path, alpha: Commune) -> None:
    run(write(tmp_path, collection(feature("Centre", code="centre"), feature("Port"))))
    centre_pk = Zone.objects.get(code="centre").pk

    summary = import_zones(
        path=write(
            tmp_path,
            collection(
                feature("Centre historique", polygon(OTHER_SQUARE), code="centre", population=900),
                feature("Gare"),
            ),
            "next.geojson",
        ),
        commune=alpha,
    )

    assert summary.updated == ["centre"]
    assert summary.created == ["gare"]
    centre = Zone.objects.get(code="centre")
    assert centre.pk == centre_pk
    assert (centre.name, centre.geometry, centre.population) == (
        "Centre historique",
        polygon(OTHER_SQUARE),
        900,
    )
    # Zones absent from the file are kept.
    assert sorted(Zone.objects.values_list("code", flat=True)) == ["centre", "gare", "port"]


def test_same_code_in_two_communes(tmp_path: Path, alpha: Commune) -> None:
    Commune.objects.create(insee_code="99102", name="Bêta")
    path = write(tmp_path, collection(feature("Centre")))
    run(path, "99101")
    run(path, "99102")
    assert sorted(Zone.objects.values_list("commune__insee_code", "code")) == [
        ("99101", "centre"),
        ("99102", "centre"),
    ]


# --- refused input: exit code 2, the feature's index, nothing written ---------------------------


def assert_refused(path: Path, *expected: str, commune: str = "99101") -> str:
    before = zones()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(CommandError) as info:
        run(path, commune)
    message = str(info.value)
    assert info.value.returncode == 2
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Nothing was written." in message
    assert zones() == before
    assert AuditEvent.objects.count() == audit_before
    return message


def test_self_intersecting_polygon_is_refused_with_its_index(tmp_path: Path, alpha: Commune) -> None:
    data = collection(
        feature("Nord"), feature("Sud", polygon(OTHER_SQUARE)), feature("Papillon", polygon(BOW_TIE))
    )
    path = write(tmp_path, data)
    message = assert_refused(path, str(path), "feature 2", "Papillon", "Self-intersection")
    assert "feature 0" not in message
    assert Zone.objects.count() == 0  # the two valid features before it are not written either
    with pytest.raises(TerritoryImportError, match="feature 2"):
        import_zones(path=path, commune=alpha)


def test_refusal_leaves_existing_zones_untouched(tmp_path: Path, alpha: Commune) -> None:
    run(write(tmp_path, collection(feature("Nord", population=10))))
    path = write(
        tmp_path,
        collection(feature("Nord", polygon(OTHER_SQUARE), population=20), feature("X", polygon(BOW_TIE))),
        "b.geojson",
    )
    assert_refused(path, "feature 1")
    assert Zone.objects.get(code="nord").population == 10


def test_self_intersecting_multipolygon_part(tmp_path: Path, alpha: Commune) -> None:
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE, BOW_TIE]}
    assert_refused(write(tmp_path, collection(feature("Îles", multi))), "feature 0", "invalid geometry")


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [2.0, 48.0]}, "Polygon or MultiPolygon, not 'Point'"),
        ({"type": "LineString", "coordinates": [[2.0, 48.0], [2.1, 48.1]]}, "not 'LineString'"),
        ({"type": "GeometryCollection", "geometries": []}, "not 'GeometryCollection'"),
        ({"type": ["Polygon"], "coordinates": SQUARE}, "'type'"),
        ({"coordinates": SQUARE}, "'type'"),
        ("POLYGON((2 48, 2.01 48, 2.01 48.01, 2 48))", "not an object"),
        (
            polygon([[[650000, 6860000], [651000, 6860000], [651000, 6861000], [650000, 6860000]]]),
            "out of range",
        ),
        (polygon([[[2.0, 95.0], [2.01, 95.0], [2.01, 95.01], [2.0, 95.0]]]), "out of range"),
        (polygon([[[200.0, 48.0], [200.1, 48.0], [200.1, 48.1], [200.0, 48.0]]]), "out of range"),
        (polygon([[[2.0, 48.0], [2.01, 48.0], [2.0, 48.0]]]), "at least 4 positions"),
        pytest.param(
            polygon([[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.01]]]),
            "closed",
            id="unclosed-ring",
        ),
        (polygon("2 48"), "malformed coordinates"),
        (polygon([]), "empty geometry"),
    ],
)
def test_bad_geometry(tmp_path: Path, alpha: Commune, geometry: Any, expected: str) -> None:
    data = collection(feature("Bon"), feature("Mauvais", geometry))
    data["features"][1]["geometry"] = geometry
    assert_refused(write(tmp_path, data), "feature 1", expected)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (feature(None), "missing property 'name'"),
        (feature("   "), "missing property 'name'"),
        (feature(None, nom=""), "missing property 'name'"),
        ({"type": "Feature", "geometry": polygon()}, "missing property 'name'"),
        (
            {"type": "Feature", "properties": ["Nord"], "geometry": polygon()},
            "'properties' must be an object",
        ),
        ({"type": "Polygon", "coordinates": SQUARE}, "not a GeoJSON Feature"),
        ("Nord", "not a GeoJSON Feature"),
        (feature("N" * 201), "longer than 200"),
        (feature("Nord", population=-5), "'population'"),
        (feature("Nord", population="12"), "'population'"),
        (feature("Nord", population=True), "'population'"),
        (feature("Nord", population=10**12), "'population'"),
        (feature("Nord", code={"a": 1}), "'code'"),
        (feature("!!!"), "cannot derive a code"),
    ],
)
def test_bad_feature(tmp_path: Path, alpha: Commune, bad: Any, expected: str) -> None:
    assert_refused(write(tmp_path, collection(feature("Bon"), bad)), "feature 1", expected)


def test_duplicate_codes(tmp_path: Path, alpha: Commune) -> None:
    data = collection(feature("Centre"), feature("Port"), feature("CENTRE"))
    assert_refused(write(tmp_path, data), "feature 2", "duplicate zone code 'centre'")
    data = collection(feature("Centre", code="z1"), feature("Port", code="z1"))
    assert_refused(write(tmp_path, data, "b.geojson"), "feature 1", "duplicate zone code 'z1'")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (feature("Centre"), "expected a GeoJSON FeatureCollection"),
        ([feature("Centre")], "expected a GeoJSON FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "has no features"),
        ({"type": "FeatureCollection"}, "has no features"),
        ({"type": "FeatureCollection", "features": {"0": feature("Centre")}}, "has no features"),
    ],
)
def test_not_a_feature_collection(tmp_path: Path, alpha: Commune, data: Any, expected: str) -> None:
    path = write(tmp_path, data)
    assert_refused(path, str(path), expected)


def test_invalid_json_reports_line_and_column(tmp_path: Path, alpha: Commune) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [,]}\n', encoding="utf-8")
    assert_refused(path, str(path), "not valid JSON", "line 2, column 15")


def test_not_utf8(tmp_path: Path, alpha: Commune) -> None:
    path = tmp_path / "zones.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": [{"name": "\xe9"}]}')
    assert_refused(path, str(path), "not valid GeoJSON")


def test_missing_file_and_directory(tmp_path: Path, alpha: Commune) -> None:
    assert_refused(tmp_path / "absent.geojson", "file not found")
    assert_refused(tmp_path, str(tmp_path), "cannot be read")


def test_unknown_commune(tmp_path: Path, alpha: Commune) -> None:
    path = write(tmp_path, collection(feature("Centre")))
    assert_refused(path, "--commune 99999", "unknown commune", commune="99999")


def test_save_zones_source_names_the_origin(alpha: Commune) -> None:
    with pytest.raises(TerritoryImportError, match=r"^API: feature 0 \(Papillon\): invalid geometry"):
        save_zones(features=collection(feature("Papillon", polygon(BOW_TIE))), commune=alpha, source="API")
    assert Zone.objects.count() == 0
