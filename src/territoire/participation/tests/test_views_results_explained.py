"""The results page explains each project's outcome in words (greedy and Equal Shares)
and says what became of the envelope left unspent."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from django.test import Client
from django.utils import translation

from territoire.participation import explanations
from territoire.participation.models import Envelope, ParticipatoryBudget, PhaseKind, Proposal, Result
from territoire.participation.rules import Election, Project, tally
from territoire.participation.services import results as result_services
from territoire.participation.tests.test_views_budgets import (
    _move_to,
    add_proposals,
    ballot_url,
    ids,
    make_budget,
    make_resident,
    make_zone,
    sign_in,
    url,
)
from territoire.territory.models import Commune, Organisation


def _closed(organisation: Organisation, commune: Commune, rule: str, **options: str) -> ParticipatoryBudget:
    """Envelope of 100 000 €; projects of 60 000, 30 000 and 20 000 €; 4 ballots for the
    first two, 2 for the third."""
    zone = make_zone(commune, "nord")
    author = make_resident("autrice@example.org", commune, zone)
    budget = make_budget(
        organisation, zones=(zone,), max_choices=2, phase=PhaseKind.SUBMISSION, rule=rule, **options
    )
    add_proposals(budget, author, [60_000, 30_000, 20_000])
    _move_to(budget, PhaseKind.VOTING)
    voter = Client()
    for index in range(6):
        sign_in(voter, make_resident(f"votant{index}@example.org", commune, zone))
        titles = ("Projet 1", "Projet 2") if index < 4 else ("Projet 3",)
        assert voter.post(ballot_url(budget), {"choices": ids(budget, *titles)}).status_code == 302
    _move_to(budget, PhaseKind.RESULTS)
    result_services.publish_results(
        result_services.compute_results(Envelope.objects.get(budget=budget, code="global"))
    )
    return budget


def _outcome_of(body: str, title: str) -> str:
    row = re.search(rf">{re.escape(title)}</a></td>.*?</tr>", body, re.S)
    assert row, title
    return re.sub(r"<[^>]+>", "", row.group(0).rsplit("<td>", 1)[-1]).strip()


def test_greedy_outcomes_in_words_and_the_unspent_budget(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    budget = _closed(
        organisation, commune, "greedy", unspent_destination="Reporté sur le budget participatif 2027."
    )
    body = client.get(url("participation-results", "200000001", budget.public_id)).content.decode()
    # By votes (4, 4, 2), the cheaper first on a tie: Projet 2, then Projet 1; 10 000 € left.
    assert _outcome_of(body, "Projet 2").startswith(
        "Retenu au tour 1 : son coût tenait dans le budget restant (100\xa0000 €)"
    )
    assert _outcome_of(body, "Projet 1").startswith(
        "Retenu au tour 2 : son coût tenait dans le budget restant (70\xa0000 €)"
    )
    assert (
        _outcome_of(body, "Projet 3")
        == "Non retenu : coût (20\xa0000 €) supérieur au budget restant (10\xa0000 €)"
    )
    assert "Montant non attribué" in body
    assert "10\xa0000 € (10 %)" in body
    assert "Aucun projet non retenu ne tient dans ce montant : le moins cher coûte 20\xa0000 €." in body
    assert "Reporté sur le budget participatif 2027." in body


def test_equal_shares_outcomes_in_words(client: Client, organisation: Organisation, commune: Commune) -> None:
    budget = _closed(organisation, commune, "mes")
    result = Result.objects.get(envelope__budget=budget)
    body = client.get(url("participation-results", "200000001", budget.public_id)).content.decode()
    titles = {p.external_id: p.title for p in Proposal.objects.filter(budget=budget)}
    rounds = [r for r in result.trace["rounds"] if "round" in r]
    assert rounds  # the trace the words come from
    for step in rounds:
        words = _outcome_of(body, titles[step["project"]])
        assert words.startswith(
            f"Retenu au tour {step['round']} de la méthode des parts égales : ses {step['supporters']} soutiens ont payé"
        ), words
    # Each 6 voters holds 16 666,67 €: the 4 supporters of Projet 1 and 2 pay one of them.
    refused = [t for pid, t in titles.items() if pid not in result.selected]
    assert len(refused) == 1
    assert _outcome_of(body, refused[0]).startswith("Non retenu")
    assert "Montant non attribué" in body
    assert "La collectivité n&#x27;a pas encore indiqué ce que devient ce montant." in body


def test_completed_equal_shares_gives_every_project_words(
    client: Client, organisation: Organisation, commune: Commune
) -> None:
    budget = _closed(organisation, commune, "mes-complete")
    body = client.get(url("participation-results", "200000001", budget.public_id)).content.decode()
    for title in ("Projet 1", "Projet 2", "Projet 3"):
        words = _outcome_of(body, title)
        assert words.startswith(("Retenu au tour", "Retenu lors de la complétion", "Non retenu :")), words


def _row(external_id: str, cost: int, votes: int, selected: bool) -> Any:
    return SimpleNamespace(
        proposal=SimpleNamespace(external_id=external_id), cost=cost, votes=votes, selected=selected
    )


def test_caps_and_projects_without_votes_are_explained() -> None:
    """The greedy-caps trace as ``rules.tally`` writes it: one step per project."""
    outcome = tally(
        Election(
            budget=100,
            projects=(
                Project("a", 50, frozenset({"nature"})),
                Project("b", 40, frozenset({"nature"})),
                Project("c", 10),
            ),
            ballots=({"a": 1, "b": 1}, {"a": 1, "b": 1}, {"a": 1}),
        ),
        "greedy-caps",
        caps={"nature": 60},
    )
    result = Result(rule="greedy-caps", total_cost=outcome.total_cost, trace={"rounds": outcome.rounds})
    rows = [_row("a", 50, 3, True), _row("b", 40, 2, False), _row("c", 10, 0, False)]
    with translation.override("fr"):
        words = explanations.project_outcomes(result, rows, 100)
        left = explanations.unspent(ParticipatoryBudget(unspent_destination=""), result, rows, 100)
    assert words["a"].startswith("retenu au tour 1")
    assert words["b"] == "non retenu : il dépasserait le plafond de la catégorie nature"
    assert words["c"] == "non retenu : aucune voix"
    assert left.amount == 50
    assert "plafond" in left.why
