"""Participatory budget, end to end in a real browser: a resident signs in, votes and
changes the ballot; a member of staff publishes the results; the public results page
shows them. axe-core finds no serious or critical violation on the ballot and results
pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import AXE_PATH
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from territoire.accounts.testing import totp_now
from territoire.participation.models import (
    BallotItem,
    BallotKind,
    Consultation,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
)
from territoire.participation.tests.test_views_budgets import (
    PASSWORD,
    _move_to,
    add_proposals,
    make_budget,
    make_resident,
    make_zone,
)
from territoire.territory.models import Organisation

pytestmark = pytest.mark.browser

AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary),
    }));
}"""


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE_PATH))
    violations = page.evaluate(AXE_RUN)
    assert isinstance(violations, list)
    return [
        f"{page.url} — {v['impact']}: {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def knapsack_budget(organisation: Organisation) -> tuple[ParticipatoryBudget, str]:
    commune = organisation.communes.order_by("insee_code").first()
    assert commune is not None
    zone = make_zone(commune, "quartier-test")
    author = make_resident("autrice.navigateur@example.org", commune, zone)
    budget = make_budget(
        organisation,
        ballot_kind=BallotKind.KNAPSACK,
        phase=PhaseKind.SUBMISSION,
        rule="greedy",
        zones=(zone,),
    )
    budget.title = "Budget participatif (test navigateur)"
    budget.save(update_fields=["title"])
    add_proposals(budget, author, [60_000, 30_000, 20_000], prefix="Idée")
    _move_to(budget, PhaseKind.VOTING)
    resident = make_resident("votante.navigateur@example.org", commune, zone)
    return budget, resident.user.email


def test_resident_votes_changes_ballot_and_staff_publish_results(
    new_context: Callable[..., BrowserContext],
    demo_territory: Organisation,
    make_staff: Callable[..., Any],
) -> None:
    budget, email = knapsack_budget(demo_territory)
    siren = demo_territory.siren
    budget_path = f"/t/{siren}/participer/budgets/{budget.public_id}/"
    ballot_path = f"{budget_path}voter/global/"
    results_path = f"{budget_path}resultats/"
    # axe is injected as an inline script, which the site's CSP rightly forbids.
    resident_page = new_context(bypass_csp=True).new_page()
    problems: list[str] = []

    # A resident signs in through the residents' page and reaches the ballot.
    resident_page.goto(ballot_path)
    expect(resident_page.get_by_text("Connectez-vous")).to_be_visible()
    resident_page.get_by_role("link", name="Se connecter").first.click()
    resident_page.get_by_label("Adresse électronique").fill(email)
    resident_page.get_by_label("Mot de passe").fill(PASSWORD)
    resident_page.get_by_role("button", name="Se connecter").click()
    expect(resident_page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    resident_page.goto(ballot_path)
    expect(resident_page.get_by_role("heading", level=1)).to_contain_text("Voter")

    # The running total (JavaScript) follows the choices; the server decides.
    total = resident_page.locator("#ballot-totals output")
    resident_page.get_by_label(re.compile(r"^Idée 1 ")).check()
    resident_page.get_by_label(re.compile(r"^Idée 2 ")).check()
    expect(total).to_contain_text(re.compile(r"90\s000 € / 100\s000 €"))
    expect(resident_page.locator("#ballot-totals [data-total=left]")).to_have_text(re.compile(r"10\s000"))
    expect(resident_page.locator("#ballot-totals [data-total=count]")).to_have_text("2")
    resident_page.get_by_label(re.compile(r"^Idée 3 ")).check()
    expect(total).to_have_class(re.compile(r"\bover\b"))
    expect(resident_page.locator("#ballot-totals [data-total=over]")).to_have_text(re.compile(r"10\s000"))
    problems += serious_violations(resident_page)
    resident_page.get_by_role("button", name="Valider mon bulletin").click()
    expect(resident_page.locator(".refusal")).to_contain_text("dépasse l'enveloppe")
    assert not BallotItem.objects.filter(ballot__envelope__budget=budget).exists()

    resident_page.get_by_label(re.compile(r"^Idée 3 ")).uncheck()
    resident_page.get_by_role("button", name="Valider mon bulletin").click()
    # The receipt: a code, never the choices.
    expect(resident_page.get_by_role("heading", level=1)).to_have_text("Reçu de votre bulletin")
    expect(resident_page.locator(".receipt-code")).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$"))
    assert "Idée 1" not in resident_page.content()
    problems += serious_violations(resident_page)
    resident_page.get_by_role("link", name="Revenir à mon bulletin").click()
    expect(resident_page.locator(".notice").first).to_contain_text("Votre bulletin est enregistré")
    assert set(
        BallotItem.objects.filter(ballot__envelope__budget=budget).values_list("proposal__title", flat=True)
    ) == {"Idée 1", "Idée 2"}

    # The resident changes the ballot.
    resident_page.get_by_label(re.compile(r"^Idée 2 ")).uncheck()
    resident_page.get_by_label(re.compile(r"^Idée 3 ")).check()
    resident_page.get_by_role("button", name="Modifier mon bulletin").click()
    expect(resident_page.get_by_role("heading", level=1)).to_have_text("Reçu de votre bulletin")
    resident_page.goto(ballot_path)
    assert set(
        BallotItem.objects.filter(ballot__envelope__budget=budget).values_list("proposal__title", flat=True)
    ) == {"Idée 1", "Idée 3"}
    problems += serious_violations(resident_page)

    # The vote closes; a member of staff signs in (password, then second factor) and publishes.
    _move_to(budget, PhaseKind.RESULTS)
    staff = make_staff(demo_territory)
    staff_page = new_context().new_page()
    staff_page.goto(f"{budget_path}pilotage/")
    staff_page.get_by_label(re.compile("Nom d.utilisateur|Username", re.I)).fill(staff.username)
    staff_page.get_by_label(re.compile("Mot de passe|Password", re.I)).fill("correct horse battery staple")
    staff_page.locator("input[type=submit]").click()
    expect(staff_page).to_have_url(re.compile(r"/compte/double-authentification/activer/"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    staff_page.get_by_label(re.compile("Code à usage unique|One-time code", re.I)).fill(totp_now(device))
    staff_page.locator("form.form button[type=submit]").click()
    staff_page.get_by_role("link", name="Continuer").click()
    expect(staff_page.get_by_role("heading", level=1)).to_contain_text("Pilotage")
    staff_page.get_by_role(
        "button", name=re.compile("Calculer et publier les résultats — Enveloppe globale")
    ).click()
    expect(staff_page.locator(".notice").first).to_contain_text("calculés et publiés")

    # Anyone sees the results.
    public = new_context(bypass_csp=True).new_page()
    response = public.goto(results_path)
    assert response is not None
    assert response.ok
    table = public.get_by_role("table", name=re.compile("Projets soumis au vote — Enveloppe globale"))
    expect(table.get_by_role("row", name=re.compile(r"Idée 1 .* Retenu au tour"))).to_be_visible()
    expect(public.get_by_text("Montant non attribué")).to_be_visible()
    expect(public.get_by_text("territoire participation tally")).to_be_visible()
    expect(
        public.get_by_role("link", name=re.compile(r"Télécharger les données du vote \(\.pb\)"))
    ).to_have_count(1)
    assert "votante.navigateur" not in public.content()
    problems += serious_violations(public)
    assert set(Proposal.objects.filter(budget=budget, selected=True).values_list("title", flat=True)) == {
        "Idée 1",
        "Idée 3",
    }
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_participation_pages_have_no_serious_accessibility_violation(
    new_context: Callable[..., BrowserContext], demo_territory: Organisation
) -> None:
    siren = demo_territory.siren
    base = f"/t/{siren}/participer/"
    pages = [base, f"{base}consultations/", f"{base}budgets/", f"{base}engagement/"]
    pages += [f"{base}compte/inscription/", f"{base}compte/connexion/", f"{base}recu/?code=ABCD-EFGH"]
    for budget in ParticipatoryBudget.objects.filter(organisation=demo_territory, published_at__isnull=False):
        pages += [f"{base}budgets/{budget.public_id}/", f"{base}budgets/{budget.public_id}/propositions/"]
    consultation = Consultation.objects.filter(
        organisation=demo_territory, results_published_at__isnull=False
    ).first()
    if consultation is not None:
        pages.append(f"{base}consultations/{consultation.public_id}/resultats/")
    proposal = Proposal.objects.filter(budget__organisation=demo_territory).first()
    if proposal is not None:
        pages.append(f"{base}propositions/{proposal.public_id}/")
    page = new_context(bypass_csp=True).new_page()
    problems: list[str] = []
    for path in pages:
        response = page.goto(path)
        assert response is not None
        assert response.ok, (path, response.status)
        problems += serious_violations(page)
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)
