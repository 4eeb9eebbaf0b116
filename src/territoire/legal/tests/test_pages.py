"""The legal pages: defaults from the organisation's data, staff edits, every processing
the modules declare, and the links on every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from territoire.core import modules
from territoire.core.models import AuditEvent
from territoire.indicators.models import Direction, IndicatorDefinition, Visibility
from territoire.legal import services
from territoire.legal.models import Conformity, ProcessingDecision, SiteNotice
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_legal_notice_defaults_from_the_organisation(client: Client, organisation: Organisation) -> None:
    html = page(client, f"/t/{SIREN}/mentions-legales/")
    assert "CC des Essais" in html
    assert SIREN in html
    assert "Le président ou la présidente de CC des Essais" in html
    assert "n'a pas encore été renseigné" in html  # the host, until staff say it


def test_pages_without_a_territory_show_the_default_organisation(
    client: Client, organisation: Organisation
) -> None:
    for url in ("/mentions-legales/", "/accessibilite/", "/donnees-personnelles/", "/donnees/"):
        assert "CC des Essais" in page(client, url)


def test_pages_without_any_organisation_answer_404(client: Client, db: Any) -> None:
    assert client.get("/mentions-legales/").status_code == 404


def test_unknown_territory_answers_404(client: Client, organisation: Organisation) -> None:
    assert client.get("/t/999999999/accessibilite/").status_code == 404


def test_accessibility_statement_has_what_rgaa_asks(client: Client, organisation: Organisation) -> None:
    html = page(client, f"/t/{SIREN}/accessibilite/")
    assert "<strong>non conforme</strong>" in html  # no audit yet: non conforme
    assert "RGAA" in html
    assert "4.1" in html
    assert "Défenseur des droits" in html
    assert "Libre réponse 71120" in html
    assert "Schéma pluriannuel" in html
    assert "Plan d&#x27;action de l&#x27;année" in html or "Plan d'action de l'année" in html
    assert "Dérogations pour charge disproportionnée" in html


def test_staff_edits_show_on_the_pages_and_are_audited(
    client: Client, organisation: Organisation, make_staff: Any
) -> None:
    admin = make_staff(organisation, Role.ADMINISTRATEUR)
    notice = SiteNotice(
        organisation=organisation,
        host="OVH SAS, 2 rue Kellermann, 59100 Roubaix",
        conformity=Conformity.PARTIAL,
        compliance_rate=87.5,
        audit_date="2026-10-01",
        audit_by="Cabinet Exemple",
        non_conformities="Les graphiques n'ont pas de titre long.",
        multiyear_plan="2026-2028 : audit annuel, formation des agents.",
        dpo_contact="dpo@essais.example",
    )
    services.save_notice(notice, actor=admin)
    assert AuditEvent.objects.filter(action="legal.notice_saved", organisation_id=organisation.pk).exists()
    assert "OVH SAS" in page(client, f"/t/{SIREN}/mentions-legales/")
    html = page(client, f"/t/{SIREN}/accessibilite/")
    assert "partiellement conforme" in html
    assert "87,50 %" in html
    assert "Cabinet Exemple" in html
    assert "Les graphiques n&#x27;ont pas de titre long." in html
    assert "2026-2028 : audit annuel" in html
    assert "dpo@essais.example" in page(client, f"/t/{SIREN}/donnees-personnelles/")


def test_only_organisation_editors_change_the_notice(
    organisation: Organisation, other_organisation: Organisation, make_staff: Any, commune: Any
) -> None:
    for user in (
        make_staff(organisation, Role.ELU),
        make_staff(organisation, Role.ADMINISTRATEUR, commune),
        make_staff(other_organisation, Role.ADMINISTRATEUR),
    ):
        with pytest.raises(PermissionDenied):
            services.save_notice(SiteNotice(organisation=organisation), actor=user)
    assert not SiteNotice.objects.exists()


def test_privacy_lists_every_declared_processing_with_decisions(
    client: Client, organisation: Organisation, make_staff: Any
) -> None:
    declared = modules.processings()
    assert declared, "the installed modules declare processings"
    admin = make_staff(organisation, Role.ADMINISTRATEUR)
    notice = services.save_notice(SiteNotice(organisation=organisation), actor=admin)
    name = declared[0][1].name
    services.save_decision(
        ProcessingDecision(
            notice=notice, processing=name, legal_basis="Mission d'intérêt public", retention="Trois ans"
        ),
        actor=admin,
    )
    html = page(client, f"/t/{SIREN}/donnees-personnelles/")
    for _module, processing in declared:
        assert str(processing.label) in html or str(processing.label).replace("'", "&#x27;") in html
        assert str(processing.purpose).replace("'", "&#x27;") in html
    assert "Mission d&#x27;intérêt public" in html
    assert "Trois ans" in html
    # The others are not decided yet, and the page says so.
    assert "non encore précisée par le responsable du traitement" in html
    assert "adresse électronique" in html  # data in words, not column names
    assert "CNIL" in html


def test_open_data_page_lists_public_indicators_and_their_files(
    client: Client, organisation: Organisation, django_assert_max_num_queries: Any
) -> None:
    IndicatorDefinition.objects.create(
        code="essai.interne",
        name="Indicateur interne",
        organisation=organisation,
        direction=Direction.HIGHER_IS_BETTER,
        method="Compté.",
        visibility=Visibility.INTERNAL,
    )
    # A list page: a fixed number of queries, whatever the number of indicators.
    with django_assert_max_num_queries(8):
        html = page(client, f"/t/{SIREN}/donnees/")
    assert "essai.interne" not in html
    assert "Indicateur interne" not in html
    assert "Licence Ouverte" in html
    assert f"/t/{SIREN}/indicateurs/connectivite.foyers_raccordables.csv" in html
    assert f"/t/{SIREN}/indicateurs/connectivite.foyers_raccordables.json" in html
    assert "/api/v1/docs" in html


@pytest.mark.parametrize("url", [f"/t/{SIREN}/", f"/t/{SIREN}/projets/", "/", "/en/"])
def test_every_page_links_the_legal_pages(client: Client, organisation: Organisation, url: str) -> None:
    html = page(client, url)
    prefix = "/en" if url.startswith("/en/") else ""
    for route in ("mentions-legales", "accessibilite", "donnees-personnelles"):
        assert f'href="{prefix}/t/{SIREN}/{route}/"' in html
    # "API et données" leads to the residents' page, not to the developers' reference.
    assert f'href="{prefix}/t/{SIREN}/donnees/"' in html


def test_back_office_edits_both_languages_and_offers_defaults(
    client: Client, organisation: Organisation, make_staff: Any
) -> None:
    from territoire.roadmap.models import Axis

    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    axis = Axis.objects.filter(organisation=organisation).order_by("position").first()
    assert axis is not None
    html = page(client, f"/admin/roadmap/axis/{axis.pk}/change/")
    assert 'name="name_fr"' in html
    assert 'name="name_en"' in html
    assert 'value="Connectivity and networks"' in html  # the template's English, from the catalogue
    html = page(client, "/admin/legal/sitenotice/add/")
    assert 'value="Le président ou la présidente de CC des Essais"' in html
    assert 'name="non_conformities_en"' in html


def test_back_office_save_goes_through_the_service(
    client: Client, organisation: Organisation, make_staff: Any
) -> None:
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    form = {
        "organisation": organisation.pk,
        "publisher": "Mme la Présidente",
        "conformity": Conformity.NONE,
        "technologies": "HTML5",
        "data_licence": "lo-2.0",
        "processings-TOTAL_FORMS": "1",
        "processings-INITIAL_FORMS": "0",
        "processings-0-processing": modules.processings()[0][1].name,
        "processings-0-legal_basis_fr": "Consentement",
        "processings-0-retention_fr": "Un an",
    }
    response = client.post("/admin/legal/sitenotice/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    notice = SiteNotice.objects.get(organisation=organisation)
    assert notice.publisher == "Mme la Présidente"
    assert notice.processings.get().retention == "Un an"
    assert AuditEvent.objects.filter(action="legal.notice_saved").count() == 1
    assert AuditEvent.objects.filter(action="legal.processing_decided").count() == 1
