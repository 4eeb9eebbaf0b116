"""Every real Pabulib file: counts, official outcomes, and Equal Shares against pabutools, live.

pabutools' completed Equal Shares (exhaustion by budget increase, then greedy) reruns its
MES once per 1 % budget step: 20 to 360 runs per file here, about 80 s of CPU for the whole
data set (and 5 minutes for Toulouse 2022 alone with pabutools' plain profile). So the full
combination runs live on three small files, and on every file each decision of the
combination is checked live with pabutools: its MES at the budget where we stopped gives our
MES part, its MES one step further is over budget (unless our part is already exhaustive),
and its greedy completion of our MES part gives our result. ``bench/tally.py --real-files``
runs the full pabutools combination on every file.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest
from pabutools.election import Cost_Sat
from pabutools.election import parse_pabulib as pabutools_parse
from pabutools.fractions import str_as_frac
from pabutools.rules import (
    completion_by_rule_combination,
    exhaustion_by_budget_increase,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)

from territoire.participation.pabulib import parse_pabulib
from territoire.participation.rules import election_from_pabulib, greedy, tally

DATA = Path("/work/shared/data/pabulib")
FILES = sorted(DATA.glob("*.pb"))
# Small files (20 to 60 budget steps) on which pabutools' full combination runs live.
FULL_COMBINATION = {
    "France_Toulouse_2022_5_-_Saint-Michel_Saint-Agne_Empalot_Le_Busca_Ile_du_Ramier_Monplaisir",
    "France_Toulouse_2022_11_-_Bonhoure_Guilhemery_Chateau_de_lHers_Limayrac_Cote_Pavee",
    "France_Toulouse_2022_20_-_Arenes_Romaines_Ancely_Saint-Martin_du_Touch_Purpan",
}


def test_the_data_set_is_there() -> None:
    assert len(FILES) == 26
    assert {path.stem for path in FILES} >= FULL_COMBINATION


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:40])
def test_votes_and_scores_counted_from_the_ballots_match_the_file(path: Path) -> None:
    pb = parse_pabulib(path)
    votes: Counter[str] = Counter()
    score: Counter[str] = Counter()
    for vote in pb.votes:
        votes.update(vote.vote)
        for project_id, points in zip(vote.vote, vote.points or (1,) * len(vote.vote), strict=True):
            score[project_id] += points
    for project in pb.projects.values():
        assert project.votes == votes[project.project_id], project.project_id
        if project.score is not None:
            assert project.score == score[project.project_id], project.project_id


@pytest.mark.parametrize("path", [p for p in FILES if "Warszawa" in p.stem], ids=lambda p: p.stem)
def test_greedy_reproduces_the_official_outcome(path: Path) -> None:
    pb = parse_pabulib(path)
    official = {p.project_id for p in pb.projects.values() if p.selected}
    assert official  # the Warszawa files carry the `selected` column
    assert set(greedy(election_from_pabulib(pb))) == official


def test_only_the_warszawa_files_carry_an_official_outcome() -> None:
    with_outcome = {
        path.stem
        for path in FILES
        if any(p.selected is not None for p in parse_pabulib(path).projects.values())
    }
    assert with_outcome == {"Poland_Warszawa_2023_Bemowo", "Poland_Warszawa_2023_Bialoleka"}


def _names(allocation: object) -> list[str]:
    return [project.name for project in allocation]  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:40])
def test_equal_shares_equals_pabutools(path: Path) -> None:
    election = election_from_pabulib(parse_pabulib(path))
    instance, profile = pabutools_parse(str(path))
    theirs = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    assert tally(election, "mes").selected == _names(theirs)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem[:40])
def test_completed_equal_shares_equals_pabutools(path: Path) -> None:
    election = election_from_pabulib(parse_pabulib(path))
    outcome = tally(election, "mes-complete")
    instance, profile = pabutools_parse(str(path))
    if path.stem in FULL_COMBINATION:
        theirs = completion_by_rule_combination(
            instance,
            profile,
            [exhaustion_by_budget_increase, greedy_utilitarian_welfare],
            [
                {"rule": method_of_equal_shares, "rule_params": {"sat_class": Cost_Sat}},
                {"sat_class": Cost_Sat},
            ],
        )
        assert outcome.selected == _names(theirs)
        return
    # Check each decision of the combination with pabutools itself.
    phase = outcome.rounds[0]
    mes_part = [r["project"] for r in outcome.rounds if "round" in r]
    virtual = copy.deepcopy(instance)
    virtual.budget_limit = str_as_frac(phase["virtual_budget"])
    at_stop = method_of_equal_shares(virtual, profile, sat_class=Cost_Sat)
    assert _names(at_stop) == mes_part
    assert instance.is_feasible(at_stop)
    if not instance.is_exhaustive(at_stop):
        virtual.budget_limit += instance.budget_limit / 100
        assert not instance.is_feasible(method_of_equal_shares(virtual, profile, sat_class=Cost_Sat))
        completed = greedy_utilitarian_welfare(
            instance, profile, sat_class=Cost_Sat, initial_budget_allocation=at_stop
        )
        assert outcome.selected == _names(completed)
    else:
        assert outcome.selected == mes_part
