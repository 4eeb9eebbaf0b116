"""A resident's report, end to end in a real browser, then its answer by the staff.

The resident clicks on the map (Leaflet, served by the platform itself, under the site's
CSP) with a photo; the report is listed; an agent signs in (second factor), closes it with
a reasoned answer; the resident's page shows the answer. axe-core checks the form, the
list and the report's page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import AXE_PATH
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect
from shapely.geometry import shape

from territoire.accounts.testing import totp_now
from territoire.core.demo import DEMO_SIREN
from territoire.reports import services
from territoire.reports.models import Report
from territoire.territory.models import Organisation, Role, Zone

pytestmark = pytest.mark.browser

LIST = f"/t/{DEMO_SIREN}/signalements/"
NEW = f"/t/{DEMO_SIREN}/signalements/nouveau/"
CATEGORY = "Banc abîmé (essai)"
AXE_RUN = """async () => {
    const results = await axe.run(document, {resultTypes: ["violations"]});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary),
    }));
}"""


@pytest.fixture
def reportable(demo_territory: Organisation, settings: Any, tmp_path: Path) -> Organisation:
    """The demo territory with a category of its own (no extra question, no neighbour)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    services.save_category(
        organisation=demo_territory,
        service_code="banc-essai",
        name=CATEGORY,
        team="Espaces verts",
        sla_days=10,
        position=0,
    )
    return demo_territory


def photo_file(tmp_path: Path) -> Path:
    path = tmp_path / "banc.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 80, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, url
    assert response.ok, (url, response.status)


def serious_violations(page: Page, label: str) -> list[str]:
    page.add_script_tag(path=str(AXE_PATH))
    violations = page.evaluate(AXE_RUN)
    assert isinstance(violations, list)
    return [
        f"{label} — {v['impact']}: {v['id']} ({v['help']})\n    " + "\n    ".join(v["nodes"][:5])
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page: Page, user: Any) -> None:
    page.get_by_label(re.compile("Nom d.utilisateur|Username", re.I)).fill(user.username)
    page.get_by_label(re.compile("Mot de passe|Password", re.I)).fill("correct horse battery staple")
    page.locator("input[type=submit]").click()
    # A member with write rights enrols a second factor on first sign-in, then goes on.
    expect(page).to_have_url(re.compile(r"/compte/double-authentification/activer/"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label(re.compile("Code à usage unique|One-time code", re.I)).fill(totp_now(device))
    page.locator("form.form button[type=submit]").click()
    page.get_by_role("link", name="Continuer").click()


def test_resident_reports_on_the_map_staff_answer_and_the_resident_reads_it(
    new_context: Callable[..., BrowserContext],
    reportable: Organisation,
    make_staff: Callable[..., Any],
    tmp_path: Path,
) -> None:
    resident = new_context().new_page()
    errors: list[str] = []
    resident.on("pageerror", lambda error: errors.append(str(error)))
    visit(resident, NEW)

    # The map appears on demand (JavaScript, under the CSP) with the commune's districts.
    map_box = resident.locator(".report-map")
    expect(map_box).to_be_hidden()
    resident.get_by_role("button", name="Afficher la carte").click()
    expect(map_box).to_be_visible()
    expect(map_box).to_be_focused()
    expect(resident.locator(".leaflet-interactive").first).to_be_visible()
    # A click in the middle of a district's outline (an SVG path drawn by Leaflet).
    resident.locator("path.leaflet-interactive").first.click()
    expect(resident.locator("#map-status")).to_contain_text("Lieu choisi sur la carte")
    assert resident.locator("#id_lat").input_value()
    assert resident.locator("#id_zone").input_value()  # the district under the click

    resident.get_by_label(CATEGORY).check()
    resident.get_by_label("Description").fill("Le banc devant l'école a une planche cassée.")
    resident.get_by_label("Photo (facultative)").set_input_files(str(photo_file(tmp_path)))
    resident.get_by_label("Votre e-mail (facultatif)").fill("habitant@example.org")
    resident.get_by_role("button", name="Envoyer le signalement").click()

    expect(resident.get_by_role("heading", level=1)).to_have_text("Merci, votre signalement est enregistré")
    report = Report.objects.get(category__service_code="banc-essai")
    assert report.zone is not None
    assert report.photos.count() == 1
    resident.get_by_role("link", name="Suivre mon signalement").click()
    report_url = f"/t/{DEMO_SIREN}/signalements/{report.public_id}/"
    expect(resident).to_have_url(re.compile(re.escape(report_url) + "$"))
    photo = resident.get_by_role("img", name="Photo jointe au signalement")
    expect(photo).to_be_visible()
    assert resident.evaluate("img => img.naturalWidth", photo.element_handle()) == 320

    visit(resident, LIST + "?category=banc-essai")
    expect(resident.get_by_role("link", name=CATEGORY)).to_be_visible()
    expect(resident.locator("main")).not_to_contain_text("habitant@example.org")

    # An agent closes it with a reasoned answer.
    agent = make_staff(reportable, role=Role.AGENT)
    staff = new_context(bypass_csp=True).new_page()  # for axe, injected inline
    manage = f"/t/{DEMO_SIREN}/signalements/gestion/{report.public_id}/"
    staff.goto(manage)
    sign_in(staff, agent)
    expect(staff).to_have_url(re.compile(re.escape(manage) + "$"))
    problems = serious_violations(staff, "staff: report")
    staff.get_by_label("Nouveau statut").select_option(label="Résolu")
    staff.get_by_role("button", name="Enregistrer le statut").click()
    expect(staff.locator("#id_status-answer_error")).to_contain_text("réponse argumentée est obligatoire")
    staff.locator("#id_status-answer").fill("Planche remplacée le 12 mai. Merci du signalement.")
    staff.get_by_role("button", name="Enregistrer le statut").click()
    expect(staff.locator(".messages")).to_contain_text("Statut modifié.")
    expect(staff.locator(".history")).to_contain_text(agent.username)
    visit(staff, f"/t/{DEMO_SIREN}/signalements/gestion/")
    problems += serious_violations(staff, "staff: queue")
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)

    resident.goto(report_url)
    expect(resident.locator("#answer")).to_have_text("Planche remplacée le 12 mai. Merci du signalement.")
    expect(resident.locator(".report-status")).to_have_text("Résolu")
    assert not errors, errors


def test_reports_pages_have_no_serious_accessibility_violation(
    new_context: Callable[..., BrowserContext], reportable: Organisation
) -> None:
    report = services.submit_report(
        {
            "service_code": "banc-essai",
            "address_string": "Place de la mairie",
            "description": "<b>Banc</b> cassé",
        },
        organisation=reportable,
        jurisdiction_id="99001",
    )
    # axe is injected as an inline script, which the site's CSP rightly forbids.
    page = new_context(bypass_csp=True).new_page()
    problems: list[str] = []
    for label, url in {
        "form": NEW,
        "list": LIST,
        "report": f"/t/{DEMO_SIREN}/signalements/{report.public_id}/",
        "statistics": f"/t/{DEMO_SIREN}/signalements/statistiques/",
    }.items():
        visit(page, url)
        problems += serious_violations(page, f"{label} ({url})")
    # The form with its errors (summary, messages next to the fields).
    visit(page, NEW)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.locator(".error-summary")).to_be_visible()
    problems += serious_violations(page, "form with errors")
    # The duplicate step: a report of the same category is open at the same spot.
    zone = Zone.objects.filter(commune__organisation=reportable).order_by("pk").first()
    assert zone is not None
    centre = shape(zone.geometry).representative_point()
    services.submit_report(
        {"service_code": "banc-essai", "lat": str(centre.y), "long": str(centre.x), "description": "Banc"},
        organisation=reportable,
    )
    visit(page, NEW)
    page.get_by_label(CATEGORY).check()
    page.get_by_label("Description").fill("Le même banc.")
    page.evaluate(
        "([lat, lon]) => { document.getElementById('id_lat').value = lat;"
        " document.getElementById('id_long').value = lon; }",
        [str(centre.y), str(centre.x)],
    )
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ce problème a peut-être déjà été signalé")
    problems += serious_violations(page, "duplicate step")
    assert not problems, "axe-core found serious or critical violations:\n" + "\n".join(problems)


def test_form_works_without_javascript(
    new_context: Callable[..., BrowserContext], reportable: Organisation
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    visit(page, NEW)
    expect(page.locator(".report-map")).to_be_hidden()
    # The map's buttons need JavaScript: hidden, although the site's CSS displays buttons.
    expect(page.locator("#map-centre")).to_be_hidden()
    expect(page.locator("#map-locate")).to_be_hidden()
    page.get_by_label(CATEGORY).check()
    page.get_by_label("Description").fill("Banc renversé.")
    page.get_by_label("Adresse ou lieu-dit").fill("Square Victor-Hugo")
    chosen = page.get_by_label("Quartier").select_option(index=1)
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci, votre signalement est enregistré")
    report = Report.objects.get(category__service_code="banc-essai")
    expect(page.locator("#reference")).to_have_text(report.reference or "-")
    assert report.address_string == "Square Victor-Hugo"
    zone = Zone.objects.get(pk=int(chosen[0]))
    assert report.commune == zone.commune
