"""territoire participation tally | import-pb | export-pb | import-census | release-census"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from territoire.participation.models import CensusEntry, ParticipatoryBudget, Result
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.rules import election_from_pabulib, tally
from territoire.participation.tests.test_pabulib_io import TOULOUSE
from territoire.territory.models import Commune, Organisation

SMALL = """META
key;value
budget;100
vote_type;approval
PROJECTS
project_id;cost;name
a;60;A
b;50;B
c;40;C
VOTES
voter_id;vote
1;a,b
2;a
3;c
4;c
5;c
"""


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("participation", *args, stdout=out)
    return out.getvalue()


def test_tally_prints_selected_ids(tmp_path: Path) -> None:
    path = tmp_path / "small.pb"
    path.write_text(SMALL)
    # Greedy by votes: c (3 votes, 40), a (2, 60): 100; b (1, 50) does not fit any more.
    assert _run("tally", str(path), "--rule", "greedy").split() == ["c", "a"]
    assert (
        _run("tally", str(path), "--rule", "mes", "--satisfaction", "cardinality").split()
        == tally(election_from_pabulib(parse_pabulib(SMALL)), "mes", satisfaction="cardinality").selected
    )


@pytest.mark.skipif(not TOULOUSE.exists(), reason="Pabulib sample files not available")
def test_tally_real_file_matches_library() -> None:
    expected = tally(election_from_pabulib(parse_pabulib(TOULOUSE.read_bytes())), "mes-complete").selected
    assert _run("tally", str(TOULOUSE), "--rule", "mes-complete").split() == expected


def test_tally_malformed_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.pb"
    path.write_text(SMALL.replace("c;40;C", "c;-40;C"))
    with pytest.raises(CommandError) as exc:
        _run("tally", str(path), "--rule", "greedy")
    assert exc.value.returncode == 2
    assert f"{path}:9: cost" in str(exc.value)  # line 9: "c;-40;C"
    with pytest.raises(CommandError) as exc:
        _run("tally", str(tmp_path / "missing.pb"), "--rule", "greedy")
    assert exc.value.returncode == 2


def test_tally_stores_nothing(tmp_path: Path, db: None) -> None:
    path = tmp_path / "small.pb"
    path.write_text(SMALL)
    _run("tally", str(path), "--rule", "greedy")
    assert not ParticipatoryBudget.objects.exists()
    assert not Result.objects.exists()


def test_import_then_export(tmp_path: Path, organisation: Organisation) -> None:
    path = tmp_path / "small.pb"
    path.write_text(SMALL)
    assert "Imported budget" in _run(
        "import-pb", str(path), "--organisation", organisation.siren, "--commune", "99101"
    )
    budget = ParticipatoryBudget.objects.get()
    assert budget.commune == Commune.objects.get(insee_code="99101")
    text = _run("export-pb", str(budget.public_id), "global")
    assert sorted(tuple(v.vote) for v in parse_pabulib(text).votes) == sorted(
        tuple(v.vote) for v in parse_pabulib(SMALL).votes
    )
    assert _run("export-pb", str(budget.pk), "global") == text
    with pytest.raises(CommandError):
        _run("export-pb", str(budget.public_id), "nope")
    with pytest.raises(CommandError):
        _run("import-pb", str(path), "--organisation", "999999999")


def test_import_census(tmp_path: Path, organisation: Organisation) -> None:
    path = tmp_path / "census.csv"
    path.write_text("nom;prenom;date_naissance\nDupont;Élodie;1985-03-02\n", encoding="utf-8")
    assert "1 new" in _run("import-census", str(path), "--commune", "99101")
    assert CensusEntry.objects.count() == 1
    path.write_text("nom;prenom;date_naissance\nDupont;Élodie;pas une date\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Ligne 2"):
        _run("import-census", str(path), "--commune", "99101")


def test_release_census_frees_a_claimed_entry_with_an_audit_record(
    tmp_path: Path, organisation: Organisation
) -> None:
    from territoire.core.models import AuditEvent
    from territoire.participation.services import verify_census
    from territoire.participation.tests.factories import make_participant

    path = tmp_path / "census.csv"
    path.write_text("nom;prenom;date_naissance\nDupont;Élodie;1985-03-02\n", encoding="utf-8")
    _run("import-census", str(path), "--commune", "99101")
    commune = Commune.objects.get(insee_code="99101")
    squatter = make_participant(commune)
    verify_census(
        squatter, commune=commune, last_name="Dupont", first_name="Elodie", birth_date=dt.date(1985, 3, 2)
    )
    who = [
        "--commune",
        "99101",
        "--last-name",
        "DUPONT",
        "--first-name",
        "élodie",
        "--birth-date",
        "02/03/1985",
    ]
    assert "free" in _run("release-census", *who, "--reason", "Vue en mairie")
    assert CensusEntry.objects.get().claimed_by is None
    assert AuditEvent.objects.filter(action="participation.release_census_entry").count() == 1
    with pytest.raises(CommandError, match="no such person"):
        _run("release-census", *who[:-1], "1985-03-03", "--reason", "x")
