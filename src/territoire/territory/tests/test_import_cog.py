"""`territoire territory import-cog`: the official découpage administratif files.

The sample files are the real ones (three EPCI, 58 communes), kept in ../shared/data
beside the repository; the national-size case is generated in tmp_path.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territoire.core.cache import data_version
from territoire.roadmap.models import Axis
from territoire.territory.models import Commune, Organisation, OrganisationKind, Scope, ScopeKind
from territoire.territory.services import TerritoryImportError, create_organisation, import_cog

DATA_DIR = (Path(__file__).resolve().parents[4] / ".." / "shared" / "data").resolve()
COMMUNES = DATA_DIR / "communes-sample.json"
EPCI = DATA_DIR / "epci-sample.json"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (COMMUNES.is_file() and EPCI.is_file()),
        reason=f"sample COG files not found in {DATA_DIR} (the shared/ folder beside the repository)",
    ),
]

LOIRE_ALLIER = "245801063"  # CC Loire et Allier: 5 communes in the sample
FAUCIGNY = "200000172"  # CC Faucigny - Glières: 7 communes
CAUDRESIS = "200030633"  # CA du Caudrésis et du Catésis: 46 communes
LOIRE_ALLIER_MEMBERS = {"58072", "58152", "58158", "58260", "58273"}


def run(communes: Path = COMMUNES, epci: Path = EPCI, code: str = LOIRE_ALLIER) -> str:
    out = StringIO()
    call_command(
        "territory",
        "import-cog",
        "--communes",
        str(communes),
        "--epci",
        str(epci),
        "--epci-code",
        code,
        stdout=out,
    )
    return out.getvalue()


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def snapshot() -> tuple[Any, ...]:
    """Everything an import may write to the territory, in comparable form."""
    return (
        sorted(Organisation.objects.values_list("siren", "name", "kind", "updated_at")),
        sorted(
            Commune.objects.values_list(
                "insee_code", "name", "population", "postcodes", "organisation__siren", "updated_at"
            )
        ),
        sorted(Scope.objects.values_list("code", "kind")),
        Axis.objects.count(),
    )


def test_command_creates_organisation_communes_and_scopes() -> None:
    output = run()

    org = Organisation.objects.get(siren=LOIRE_ALLIER)
    assert org.name == "CC Loire et Allier"
    assert org.kind == OrganisationKind.COMMUNAUTE_COMMUNES
    assert set(org.communes.values_list("insee_code", flat=True)) == LOIRE_ALLIER_MEMBERS
    chevenon = Commune.objects.get(insee_code="58072")
    # The communes file's population wins over the EPCI file's populationMunicipale (632).
    assert (chevenon.name, chevenon.population, chevenon.postcodes) == ("Chevenon", 635, ["58160"])
    assert Commune.objects.get(insee_code="58152").population == 1432
    assert org.population == 635 + 1432 + 301 + 1227 + 1409
    assert Scope.objects.get(code=LOIRE_ALLIER).organisation == org
    assert Scope.objects.get(code=LOIRE_ALLIER).kind == ScopeKind.ORGANISATION
    commune_scopes = Scope.objects.filter(kind=ScopeKind.COMMUNE, commune__organisation=org)
    assert set(commune_scopes.values_list("code", flat=True)) == LOIRE_ALLIER_MEMBERS
    # Only the requested EPCI's communes are imported, not the whole file.
    assert Commune.objects.count() == 5
    assert "CC Loire et Allier (SIREN 245801063) created." in output
    assert "5 created, 0 updated, 0 unchanged, 0 detached" in output


def test_service_imports_an_agglomeration_with_its_kind() -> None:
    summary = import_cog(communes_path=COMMUNES, epci_path=EPCI, epci_code=CAUDRESIS)

    assert summary.organisation_created
    assert summary.organisation.kind == OrganisationKind.COMMUNAUTE_AGGLOMERATION
    assert len(summary.created) == 46
    assert summary.updated == summary.unchanged == summary.detached == []
    assert Commune.objects.filter(organisation=summary.organisation).count() == 46
    assert Scope.objects.filter(commune__organisation=summary.organisation).count() == 46


def test_new_organisation_gets_the_template_roadmap() -> None:
    run()
    org = Organisation.objects.get(siren=LOIRE_ALLIER)
    assert Axis.objects.filter(organisation=org).count() == 6


def test_rerun_is_idempotent() -> None:
    run()
    before = snapshot()
    version = data_version()

    output = run()
    summary = import_cog(communes_path=COMMUNES, epci_path=EPCI, epci_code=LOIRE_ALLIER)

    assert snapshot() == before  # same rows, same values, not even re-saved
    assert data_version() == version  # cached pages stay valid
    assert "CC Loire et Allier (SIREN 245801063) already known." in output
    assert "0 created, 0 updated, 5 unchanged, 0 detached" in output
    assert not summary.organisation_created
    assert sorted(summary.unchanged) == sorted(LOIRE_ALLIER_MEMBERS)
    assert summary.created == summary.updated == summary.detached == []
    assert Axis.objects.filter(organisation__siren=LOIRE_ALLIER).count() == 6


def test_membership_changes_are_applied(tmp_path: Path) -> None:
    run(code=FAUCIGNY)
    run(code=LOIRE_ALLIER)
    communes, epcis = load(COMMUNES), load(EPCI)
    by_code = {e["code"]: e for e in epcis}
    loire, faucigny = by_code[LOIRE_ALLIER], by_code[FAUCIGNY]
    # Mars-sur-Allier leaves; Brizon moves from Faucigny to Loire et Allier.
    loire["membres"] = [m for m in loire["membres"] if m["code"] != "58158"]
    brizon = next(m for m in faucigny["membres"] if m["code"] == "74049")
    faucigny["membres"].remove(brizon)
    loire["membres"].append(brizon)
    loire["nom"] = "CC Loire, Allier et Brizon"
    for entry in communes:
        if entry["code"] == "58072":
            entry["population"] = 700
    communes_file = write(tmp_path / "communes.json", communes)
    epci_file = write(tmp_path / "epci.json", epcis)
    version = data_version()

    summary = import_cog(communes_path=communes_file, epci_path=epci_file, epci_code=LOIRE_ALLIER)

    assert data_version() > version  # cached pages showing the old figures are dropped

    org = Organisation.objects.get(siren=LOIRE_ALLIER)
    assert org.name == "CC Loire, Allier et Brizon"
    assert summary.detached == ["58158"]
    assert sorted(summary.updated) == ["58072", "74049"]
    assert sorted(summary.unchanged) == ["58152", "58260", "58273"]
    assert summary.created == []
    # Detached, not deleted: its history (scope, figures) stays.
    mars = Commune.objects.get(insee_code="58158")
    assert mars.organisation is None
    assert Scope.objects.filter(code="58158", commune=mars).exists()
    assert Commune.objects.get(insee_code="58072").population == 700
    assert Commune.objects.get(insee_code="74049").organisation == org
    assert set(org.communes.values_list("insee_code", flat=True)) == (LOIRE_ALLIER_MEMBERS - {"58158"}) | {
        "74049"
    }
    assert Organisation.objects.get(siren=FAUCIGNY).communes.count() == 6
    assert Commune.objects.count() == 12  # nothing created, nothing deleted

    # Importing Faucigny from the new files: Brizon is no longer its member, nothing moves back.
    again = import_cog(communes_path=communes_file, epci_path=epci_file, epci_code=FAUCIGNY)
    assert again.detached == again.created == again.updated == []
    assert Commune.objects.get(insee_code="74049").organisation == org


def test_commune_moving_in_gets_created_when_new(tmp_path: Path) -> None:
    run()
    communes, epcis = load(COMMUNES), load(EPCI)
    by_code = {e["code"]: e for e in epcis}
    vougy = next(m for m in by_code[FAUCIGNY]["membres"] if m["code"] == "74312")
    by_code[LOIRE_ALLIER]["membres"].append(vougy)
    summary = import_cog(
        communes_path=write(tmp_path / "c.json", communes),
        epci_path=write(tmp_path / "e.json", epcis),
        epci_code=LOIRE_ALLIER,
    )
    assert summary.created == ["74312"]
    vougy_commune = Commune.objects.get(insee_code="74312")
    assert vougy_commune.organisation == summary.organisation
    assert vougy_commune.population == 1659
    assert Scope.objects.filter(code="74312", commune=vougy_commune).exists()


# --- bad input: a clear message naming file and entry, exit code 2, nothing written ---------------


def assert_refused(
    communes: Path, epci: Path, code: str, *expected: str, before: tuple[Any, ...] | None = None
) -> str:
    before = snapshot() if before is None else before
    with pytest.raises(CommandError) as info:
        run(communes, epci, code)
    message = str(info.value)
    assert info.value.returncode == 2
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Nothing was written." in message
    assert snapshot() == before
    # The service raises the domain error, not a generic one.
    with pytest.raises(TerritoryImportError):
        import_cog(communes_path=communes, epci_path=epci, epci_code=code)
    assert snapshot() == before
    return message


def test_missing_field_in_member_commune(tmp_path: Path) -> None:
    communes = load(COMMUNES)
    index = next(i for i, e in enumerate(communes) if e["code"] == "58152")
    del communes[index]["nom"]
    path = write(tmp_path / "communes.json", communes)
    assert_refused(path, EPCI, LOIRE_ALLIER, str(path), f"entry {index}", "58152", "missing field 'nom'")


def test_missing_field_on_existing_territory_changes_nothing(tmp_path: Path) -> None:
    run()
    communes = load(COMMUNES)
    for entry in communes:
        if entry["code"] == "58072":
            entry["population"] = 9999
        if entry["code"] == "58273":
            entry["nom"] = ""
    path = write(tmp_path / "communes.json", communes)
    assert_refused(path, EPCI, LOIRE_ALLIER, "58273", "missing field 'nom'")
    assert Commune.objects.get(insee_code="58072").population == 635


def test_missing_field_in_epci(tmp_path: Path) -> None:
    epcis = load(EPCI)
    del epcis[1]["membres"]
    path = write(tmp_path / "epci.json", epcis)
    assert_refused(COMMUNES, path, LOIRE_ALLIER, str(path), "entry 1", "missing field 'membres'")


def test_unknown_epci_code() -> None:
    message = assert_refused(COMMUNES, EPCI, "123456789", str(EPCI), "123456789", "not found")
    assert "3 EPCI" in message


@pytest.mark.parametrize("code", ["24580106", "2458010630", "24580106X", "", "245 801 063"])
def test_malformed_siren(code: str) -> None:
    assert_refused(COMMUNES, EPCI, code, "--epci-code", "9-digit SIREN")


def test_invalid_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "epci.json"
    path.write_text('[\n {"code": "245801063",\n  "nom": "CC"\n  "type": "CC"}\n]\n', encoding="utf-8")
    assert_refused(COMMUNES, path, LOIRE_ALLIER, str(path), "not valid JSON", "line 4, column 3")


def test_file_not_a_list(tmp_path: Path) -> None:
    path = write(tmp_path / "communes.json", {"communes": load(COMMUNES)})
    assert_refused(path, EPCI, LOIRE_ALLIER, str(path), "expected a JSON array of communes")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    assert_refused(path, EPCI, LOIRE_ALLIER, str(path), "file not found")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert_refused(tmp_path, EPCI, LOIRE_ALLIER, str(tmp_path))


def test_member_commune_absent_from_communes_file(tmp_path: Path) -> None:
    communes = [e for e in load(COMMUNES) if e["code"] != "58260"]
    path = write(tmp_path / "communes.json", communes)
    assert_refused(path, EPCI, LOIRE_ALLIER, str(path), "1 member commune(s)", "245801063", "58260")


def test_non_current_commune_does_not_count(tmp_path: Path) -> None:
    """A commune déléguée shares its code with the commune nouvelle; it is not a member."""
    communes = load(COMMUNES)
    for entry in communes:
        if entry["code"] == "58260":
            entry["type"] = "commune-deleguee"
    path = write(tmp_path / "communes.json", communes)
    assert_refused(path, EPCI, LOIRE_ALLIER, "58260")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("population", -1, "bad population"),
        ("population", "635", "bad population"),
        ("population", True, "bad population"),
        ("population", 10**12, "bad population"),
        ("codesPostaux", "58160", "postcodes"),
        ("codesPostaux", ["58160", 58161], "postcodes"),
        ("nom", ["Chevenon"], "'nom'"),
        ("nom", "C" * 201, "'nom'"),
    ],
)
def test_bad_values_in_member_commune(tmp_path: Path, field: str, value: Any, expected: str) -> None:
    communes = load(COMMUNES)
    for entry in communes:
        if entry["code"] == "58072":
            entry[field] = value
    path = write(tmp_path / "communes.json", communes)
    assert_refused(path, EPCI, LOIRE_ALLIER, str(path), "58072", expected)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("type", "SIVOM", "unknown type 'SIVOM'"),
        ("membres", [], "'membres' must be a non-empty list"),
        ("membres", "58072", "'membres' must be a non-empty list"),
        ("membres", [{"nom": "Chevenon"}], "member 0: missing field 'code'"),
        ("nom", {"fr": "CC"}, "'nom'"),
    ],
)
def test_bad_values_in_epci(tmp_path: Path, field: str, value: Any, expected: str) -> None:
    epcis = load(EPCI)
    epcis[1][field] = value
    path = write(tmp_path / "epci.json", epcis)
    assert_refused(COMMUNES, path, LOIRE_ALLIER, str(path), LOIRE_ALLIER, expected)


# --- national size --------------------------------------------------------------------------------

NATIONAL_COMMUNES = 35_000
NATIONAL_EPCI = 1_255
BIG_EPCI = "200000000"
BIG_EPCI_MEMBERS = 100


@pytest.fixture(scope="module")
def national_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Synthetic national files of the official size: 35,000 communes in 1,255 EPCI.

    The first EPCI has 100 members; the others share the remaining communes.
    """
    folder = tmp_path_factory.mktemp("national")
    communes = [
        {
            "code": f"{n:05d}",
            "nom": f"Commune {n}",
            "type": "commune-actuelle",
            "siren": f"21{n:07d}",
            "codesPostaux": [f"{n % 95000 + 1000:05d}"],
            "population": 100 + n % 5000,
        }
        for n in range(1, NATIONAL_COMMUNES + 1)
    ]
    codes = [c["code"] for c in communes]
    rest = codes[BIG_EPCI_MEMBERS:]
    groups = [codes[:BIG_EPCI_MEMBERS]] + [rest[i :: NATIONAL_EPCI - 1] for i in range(NATIONAL_EPCI - 1)]
    epcis = [
        {
            "code": f"2{index:08d}",
            "nom": f"CC numéro {index}",
            "type": "CC",
            "membres": [{"code": code, "nom": f"Commune {int(code)}"} for code in group],
        }
        for index, group in enumerate(groups)
    ]
    return write(folder / "communes.json", communes), write(folder / "epci.json", epcis)


def test_national_size_import_issues_few_queries(
    national_files: tuple[Path, Path], django_assert_max_num_queries: Any
) -> None:
    communes_path, epci_path = national_files
    # The organisation exists already (created at installation): importing its 100
    # communes out of 35,000 is a handful of bulk queries.
    create_organisation(siren=BIG_EPCI, name="CC numéro 0", kind=OrganisationKind.COMMUNAUTE_COMMUNES)
    with django_assert_max_num_queries(40):
        summary = import_cog(communes_path=communes_path, epci_path=epci_path, epci_code=BIG_EPCI)
    assert len(summary.created) == BIG_EPCI_MEMBERS
    assert Commune.objects.filter(organisation__siren=BIG_EPCI).count() == BIG_EPCI_MEMBERS
    assert Scope.objects.filter(kind=ScopeKind.COMMUNE).count() == BIG_EPCI_MEMBERS

    # Re-import with every population changed: an update of 100 communes, bounded too.
    data = load(communes_path)
    for entry in data[:BIG_EPCI_MEMBERS]:
        entry["population"] += 1
    changed = write(communes_path.parent / "communes-next.json", data)
    with django_assert_max_num_queries(40):
        again = import_cog(communes_path=changed, epci_path=epci_path, epci_code=BIG_EPCI)
    assert len(again.updated) == BIG_EPCI_MEMBERS
    assert Commune.objects.get(insee_code="00001").population == 102


def test_national_size_new_organisation_queries_do_not_grow_with_communes(
    national_files: tuple[Path, Path],
) -> None:
    """A new organisation also gets the template roadmap (a fixed cost, other apps);
    the communes part adds no query per commune."""
    communes_path, epci_path = national_files
    small = next(e for e in load(epci_path) if len(e["membres"]) < 30)
    with CaptureQueriesContext(connection) as small_run:
        import_cog(communes_path=communes_path, epci_path=epci_path, epci_code=small["code"])
    with CaptureQueriesContext(connection) as big_run:
        summary = import_cog(communes_path=communes_path, epci_path=epci_path, epci_code=BIG_EPCI)
    assert len(summary.created) == BIG_EPCI_MEMBERS > len(small["membres"])
    assert len(big_run) <= len(small_run)
