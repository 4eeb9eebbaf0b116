"""A voter who lists the same project twice: read as pabutools reads it (counted once),
with the line reported as a warning, on real Pabulib files modified for the purpose."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from pabutools.election import Cost_Sat
from pabutools.election import parse_pabulib as pabutools_parse
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

from territoire.core.models import AuditEvent
from territoire.participation.errors import PabulibError
from territoire.participation.models import BallotItem, Proposal
from territoire.participation.pabulib import parse_pabulib
from territoire.participation.rules import approvals, election_from_pabulib, tally
from territoire.territory.models import Organisation

DATA = Path("/work/shared/data/pabulib")
APPROVAL_FILE = DATA / "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"
CUMULATIVE_FILE = DATA / "France_Toulouse_2019.pb"

pytestmark = pytest.mark.skipif(not APPROVAL_FILE.exists(), reason="Pabulib sample files not available")


def _repeat_a_project(path: Path, tmp_path: Path, *, with_points: bool) -> tuple[Path, int, str, list[str]]:
    """A copy of ``path`` where the first voter with two projects or more lists its first
    project again at the end (with other points for a cumulative file). Returns the copy,
    the 1-based line changed, the voter and the original vote."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "votes")
    header = lines[start + 1].split(";")
    vote_col = header.index("vote")
    for index in range(start + 2, len(lines)):
        cells = lines[index].split(";")
        vote = cells[vote_col].split(",")
        if len(vote) >= 2:
            break
    cells[vote_col] = ",".join([*vote, vote[0]])
    if with_points:
        points_col = header.index("points")
        points = cells[points_col].split(",")
        cells[points_col] = ",".join([*points, "1" if points[0] != "1" else "2"])
    lines[index] = ";".join(cells)
    copy = tmp_path / path.name
    copy.write_text("\n".join(lines), encoding="utf-8")
    return copy, index + 1, cells[header.index("voter_id")], vote


def test_a_project_listed_twice_is_counted_once_as_pabutools_does(tmp_path: Path) -> None:
    path, line, voter, original = _repeat_a_project(APPROVAL_FILE, tmp_path, with_points=False)
    pb = parse_pabulib(path)  # refused before ("lists project … twice")
    assert [w.line for w in pb.warnings] == [line]
    assert voter in pb.warnings[0].message
    assert "counted once" in pb.warnings[0].message
    assert list(next(v for v in pb.votes if v.voter_id == voter).vote) == original
    # The counts and the outcomes are those of the unmodified file, and those of pabutools.
    clean = parse_pabulib(APPROVAL_FILE)
    assert not clean.warnings
    election = election_from_pabulib(pb)
    assert approvals(election) == approvals(election_from_pabulib(clean))
    instance, profile = pabutools_parse(str(path))
    theirs = {p.name: profile.approval_score(p) for p in instance}
    assert approvals(election) == {pid: theirs[pid] for pid in approvals(election)}
    mes = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    assert tally(election, "mes").selected == [p.name for p in mes]
    greedy = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    assert set(tally(election, "greedy").selected) == {p.name for p in greedy}


@pytest.mark.skipif(not CUMULATIVE_FILE.exists(), reason="Pabulib sample files not available")
def test_cumulative_points_given_twice_keep_the_last_as_pabutools_does(tmp_path: Path) -> None:
    path, line, voter, original = _repeat_a_project(CUMULATIVE_FILE, tmp_path, with_points=True)
    pb = parse_pabulib(path)
    assert [w.line for w in pb.warnings] == [line]
    ours = next(v for v in pb.votes if v.voter_id == voter)
    assert list(ours.vote) == original
    _instance, profile = pabutools_parse(str(path))
    theirs = next(b for b in profile if b.meta.get("voter_id") == voter)
    assert {p.name: int(points) for p, points in theirs.items()} == dict(
        zip(ours.vote, ours.points or (), strict=True)
    )


def test_an_ordinal_ballot_ranking_a_project_twice_is_still_refused() -> None:
    text = "META\nkey;value\nbudget;10\nvote_type;ordinal\nPROJECTS\nproject_id;cost\na;5\nb;5\nVOTES\nvoter_id;vote\n1;a,b,a\n"
    with pytest.raises(PabulibError) as caught:
        parse_pabulib(text)
    assert caught.value.line == 11


def test_tally_and_import_report_the_line(tmp_path: Path, organisation: Organisation) -> None:
    path, line, voter, original = _repeat_a_project(APPROVAL_FILE, tmp_path, with_points=False)
    out, err = io.StringIO(), io.StringIO()
    call_command("participation", "tally", str(path), "--rule", "mes", stdout=out, stderr=err)
    assert f"{path}:{line}: warning: voter {voter!r}" in err.getvalue()
    assert (
        out.getvalue().split() == tally(election_from_pabulib(parse_pabulib(APPROVAL_FILE)), "mes").selected
    )
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "participation", "import-pb", str(path), "--organisation", organisation.siren, stdout=out, stderr=err
    )
    assert "Imported budget" in out.getvalue()
    assert f"{path}:{line}: warning:" in err.getvalue()
    items = BallotItem.objects.filter(ballot__external_voter_id=voter)
    assert sorted(items.values_list("proposal__external_id", flat=True)) == sorted(original)
    assert Proposal.objects.count() == len(parse_pabulib(APPROVAL_FILE).projects)
    event = AuditEvent.objects.get(action="participation.import_pabulib")
    assert event.changes["warnings"] == [
        f"line {line}: voter {voter!r} lists project {original[0]!r} more than once: counted once"
    ]
