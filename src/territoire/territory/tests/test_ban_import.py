"""territoire territory import-addresses: the BAN's per-département CSV, all or nothing."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from territoire.core.models import AuditEvent
from territoire.territory.ban import AddressImportError, import_addresses
from territoire.territory.bantext import HEADER, BanAddress, ban_csv
from territoire.territory.models import Address, Organisation, StreetWord

ALPHA = [
    BanAddress("99101", "Alpha", "Rue des Écoles", 12, 47.0051, 2.0051, suffix="bis", postcode="10000"),
    BanAddress("99101", "Alpha", "Rue des Écoles", 14, 47.0052, 2.0052, postcode="10000"),
    BanAddress(
        "99101", "Alpha", "Place de l'Église", 1, 47.0150, 2.0050, postcode="10000", street_code="0020"
    ),
]
BETA = [BanAddress("99102", "Bêta", "Grande Rue", 3, 47.0050, 2.0250, postcode="10001")]
ELSEWHERE = [BanAddress("99999", "Ailleurs", "Rue Haute", 5, 45.0, 3.0, postcode="63000")]


def write(tmp_path: Path, text: str, name: str = "adresses-99.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_header_is_the_published_one() -> None:
    assert len(HEADER) == 23
    assert HEADER[:8] == [
        "id",
        "id_fantoir",
        "numero",
        "rep",
        "nom_voie",
        "code_postal",
        "code_insee",
        "nom_commune",
    ]
    assert HEADER[12:14] == ["lon", "lat"]
    assert HEADER[-1] == "cad_parcelles"


def test_imports_the_territory_only(organisation: Organisation, tmp_path: Path) -> None:
    path = write(tmp_path, ban_csv(ALPHA + ELSEWHERE + BETA))
    summary = import_addresses(path)
    assert summary.by_commune == {"99101": 3, "99102": 1}
    assert summary.skipped == 1
    assert summary.lines == 5
    assert not Address.objects.filter(ban_id__startswith="99999").exists()
    address = Address.objects.select_related("commune").get(ban_id="99101_0010_00012_bis")
    assert (address.number, address.suffix, address.street_key) == (12, "bis", "rue des ecoles")
    assert address.label == "12 bis Rue des Écoles, 10000 Alpha"
    assert set(StreetWord.objects.filter(street_key="rue des ecoles").values_list("word", flat=True)) == {
        "rue",
        "des",
        "ecoles",
    }
    assert AuditEvent.objects.filter(action="territory.import_addresses").count() == 1


def test_gzip_and_reimport_replaces_per_commune(organisation: Organisation, tmp_path: Path) -> None:
    import_addresses(write(tmp_path, ban_csv(ALPHA + BETA), "adresses-99.csv.gz"))
    # Again with fewer addresses in Alpha, none in Bêta: Alpha replaced, Bêta left alone.
    summary = import_addresses(write(tmp_path, ban_csv(ALPHA[:1]), "second.csv"))
    assert summary.replaced == {"99101": 3}
    assert Address.objects.filter(commune__insee_code="99101").count() == 1
    assert Address.objects.filter(commune__insee_code="99102").count() == 1
    import_addresses(write(tmp_path, ban_csv(ALPHA[:1]), "third.csv"))  # idempotent
    assert Address.objects.count() == 2
    assert StreetWord.objects.filter(commune__insee_code="99101").count() == 3


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda cells: cells.__setitem__(13, "47,005"),
            "ligne 3, colonne « lat » : « 47,005 » n'est pas un nombre",
        ),
        (lambda cells: cells.__setitem__(12, "200"), "ligne 3, colonne « lon » : 200 est hors de la France"),
        (
            lambda cells: cells.__setitem__(2, "douze"),
            "ligne 3, colonne « numero » : « douze » n'est pas un numéro",
        ),
        (lambda cells: cells.__setitem__(5, "1000"), "ligne 3, colonne « code_postal »"),
        (lambda cells: cells.__setitem__(4, ""), "ligne 3, colonne « nom_voie »"),
        (lambda cells: cells.pop(), "ligne 3 : 22 colonne(s) au lieu de 23"),
    ],
)
def test_errors_name_line_and_column_and_nothing_is_written(
    organisation: Organisation, tmp_path: Path, mutate: Any, expected: str
) -> None:
    lines = ban_csv(ALPHA).splitlines()
    cells = lines[2].split(";")
    mutate(cells)
    lines[2] = ";".join(cells)
    with pytest.raises(AddressImportError) as caught:
        import_addresses(write(tmp_path, "\n".join(lines) + "\n"))
    assert expected in str(caught.value)
    assert Address.objects.count() == 0


def test_bad_files(organisation: Organisation, tmp_path: Path) -> None:
    with pytest.raises(AddressImportError, match="colonne\\(s\\) absente\\(s\\) de l'en-tête : lon, lat"):
        import_addresses(write(tmp_path, "id;numero;rep;nom_voie;code_postal;code_insee\n"))
    with pytest.raises(AddressImportError, match="fichier est vide"):
        import_addresses(write(tmp_path, ""))
    with pytest.raises(AddressImportError, match="aucune adresse des communes du territoire"):
        import_addresses(write(tmp_path, ban_csv(ELSEWHERE)))
    (tmp_path / "latin.csv").write_bytes(ban_csv(ALPHA).encode("latin-1"))
    with pytest.raises(AddressImportError, match="UTF-8"):
        import_addresses(tmp_path / "latin.csv")
    with pytest.raises(AddressImportError, match=r"csv\.gz est attendu"):
        import_addresses(write(tmp_path, ban_csv(ALPHA), "adresses.json"))
    with pytest.raises(AddressImportError, match="déjà vu ligne 2"):
        import_addresses(write(tmp_path, ban_csv(ALPHA + ALPHA[:1])))
    assert Address.objects.count() == 0


def test_error_on_last_line_leaves_previous_import(organisation: Organisation, tmp_path: Path) -> None:
    import_addresses(write(tmp_path, ban_csv(ALPHA)))
    text = ban_csv(ALPHA[:2] + BETA) + "99102_0010_00009;;9;;Grande Rue;10001;99102;Bêta;;;;;x;47;;;;;;;;;\n"
    with pytest.raises(AddressImportError, match="ligne 5, colonne « lon »"):
        import_addresses(write(tmp_path, text, "bad.csv"))
    assert Address.objects.count() == 3  # the first import, untouched


def test_command_progress_summary_and_errors(organisation: Organisation, tmp_path: Path, capsys: Any) -> None:
    call_command("territory", "import-addresses", str(write(tmp_path, ban_csv(ALPHA + BETA))))
    out = capsys.readouterr().out
    assert "Alpha (99101) : 3 adresses (0 avant)." in out
    assert "4 adresses importées pour 2 commune(s)" in out
    lines = ban_csv(BETA).splitlines()
    lines[1] = lines[1].replace("47.005000", "nord")
    with pytest.raises(CommandError) as caught:
        call_command("territory", "import-addresses", str(write(tmp_path, "\n".join(lines), "bad.csv")))
    assert "ligne 2, colonne « lat »" in str(caught.value)
    assert "Rien n'a été écrit." in str(caught.value)
    with pytest.raises(CommandError, match="commune inconnue"):
        call_command("territory", "import-addresses", "x.csv", "--commune", "12345")
    assert Address.objects.filter(commune__insee_code="99102").count() == 1
