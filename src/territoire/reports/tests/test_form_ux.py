"""The residents' side as FixMyStreet users expect it (issue 18 §3): a photo kept when the
form has to be corrected, required questions marked, the answers to the category's
questions on the report's page, no "+1" for the report's own author, French plurals."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from territoire.core.cache import bump_data_version
from territoire.participation.models import Participant
from territoire.reports.models import Report, ReportPhoto, ServiceAttribute
from territoire.reports.tests.conftest import ALPHA_SUD, Territory, jpeg_bytes
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db

SIREN = "200000001"
NEW = f"/t/{SIREN}/signalements/nouveau/"
LINK = re.compile(r"http://[^\s]+/signalements/confirmer/[^\s/]+/")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def detail(report: Report) -> str:
    return f"/t/{SIREN}/signalements/{report.public_id}/"


def form(**extra: Any) -> dict[str, Any]:
    return {
        "category": "voirie",
        "description": "Un trou profond.",
        "attr__voirie__taille": "grand",
        "lat": str(ALPHA_SUD[0]),
        "long": str(ALPHA_SUD[1]),
        "confirm": "1",
        **extra,
    }


# --------------------------------------------------------------------------- the photo


def test_a_photo_attached_to_a_form_with_errors_is_kept(client: Client, territory: Territory) -> None:
    photo = SimpleUploadedFile("trou.jpg", jpeg_bytes(), "image/jpeg")
    first = client.post(NEW, form(description="", photo=photo))
    assert first.status_code == 422
    html = first.content.decode()
    assert "Votre photo est bien jointe" in html
    found = re.search(r'name="photo_ref" value="([^"]+)"', html)
    assert found, "the photo's reference is carried by the form"
    # The resident corrects the description and sends again, without choosing the file.
    again = client.post(NEW, form(description="Un trou profond.", photo_ref=found.group(1)))
    assert again.status_code == 302
    report = Report.objects.get()
    assert ReportPhoto.objects.filter(report=report).count() == 1


def test_a_refused_photo_is_not_kept(client: Client, territory: Territory) -> None:
    fake = SimpleUploadedFile("trou.jpg", b"pas une image", "image/jpeg")
    response = client.post(NEW, form(description="", photo=fake))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Votre photo est bien jointe" not in html
    assert 'name="photo_ref" value="' not in html


# --------------------------------------------------------------------------- questions


def test_required_questions_are_marked(client: Client, territory: Territory) -> None:
    html = client.get(NEW).content.decode()
    label = re.search(r'<label for="id_attr__voirie__taille"[^>]*>(.*?)</label>', html, re.S)
    assert label, html
    assert "(obligatoire)" in label.group(1)
    assert re.search(r'<select[^>]*aria-required="true"[^>]*id="id_attr__voirie__taille"', html) or re.search(
        r'<select[^>]*id="id_attr__voirie__taille"[^>]*aria-required="true"', html
    )
    optional = re.search(r'<label for="id_attr__voirie__profondeur"[^>]*>(.*?)</label>', html, re.S)
    assert optional, html
    assert "obligatoire" not in optional.group(1)


def test_answers_are_shown_to_staff_and_the_public_ones_to_everyone(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
) -> None:
    voirie = make_report(ALPHA_SUD, attribute={"taille": "grand", "profondeur": "12"})
    lamp = make_report(
        ALPHA_SUD,
        service_code="eclairage",
        attribute={
            "symptome": ["eteint", "clignote"],
            "note": "Appelez M. Martin au 06 12 34 56 78",
            "poteau": "A12",
        },
    )
    public = Client()
    page = public.get(detail(voirie)).content.decode()
    # The names of the chosen values, as the resident read them.
    assert "Quelle taille ?" in page
    assert "Grand" in page
    assert "Profondeur (cm)" in page
    lamp_page = public.get(detail(lamp)).content.decode()
    assert "Éteint, Clignote" in lamp_page
    # Free text is not public by default: it may hold a name or a phone number.
    assert "06 12 34 56 78" not in lamp_page
    assert "A12" not in lamp_page
    # Unless staff mark the question public (the lamp-post number holds no personal data).
    ServiceAttribute.objects.filter(category=territory.eclairage, code="poteau").update(public=True)
    bump_data_version("reports")  # as the services do: the cached page follows
    assert "A12" in public.get(detail(lamp)).content.decode()
    # Staff handling the report see every answer, the internal ones marked.
    client.force_login(make_staff(territory.organisation, role=Role.AGENT))
    staff = client.get(f"/t/{SIREN}/signalements/gestion/{lamp.public_id}/").content.decode()
    assert "06 12 34 56 78" in staff
    assert "Numéro du poteau" in staff
    assert "non publié" in staff


# --------------------------------------------------------------------------- "+1"


def test_the_author_is_not_offered_a_plus_one(client: Client, territory: Territory) -> None:
    assert client.post(NEW, form()).status_code == 302
    report = Report.objects.get()
    own = client.get(detail(report)).content.decode()
    assert 'id="own-report"' in own
    assert "+1 — Je rencontre aussi ce problème" not in own
    refused = client.post(detail(report) + "soutenir/", {"email": "moi@example.org"}, follow=True)
    assert "Vous avez déposé ce signalement" in refused.content.decode()
    assert mail.outbox == []
    # Someone else is offered it.
    other = Client().get(detail(report)).content.decode()
    assert "+1 — Je rencontre aussi ce problème" in other
    assert 'id="own-report"' not in other


def test_a_verified_resident_is_not_offered_a_plus_one_on_their_report(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report(ALPHA_SUD, email="habitante@example.org")
    user = get_user_model().objects.create_user(
        username="habitante", email="habitante@example.org", password="x"
    )
    Participant.objects.create(user=user, email_verified_at=timezone.now())
    browser = Client()
    browser.force_login(user)
    page = browser.get(detail(report)).content.decode()
    assert 'id="own-report"' in page
    browser.post(detail(report) + "soutenir/", {})
    report.refresh_from_db()
    assert report.supporters_count == 0


def test_the_authors_own_address_confirmed_as_a_support_is_not_counted(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report(ALPHA_SUD, email="habitant@example.org")
    # From another browser: the page cannot know, and must not say whose address it is.
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(detail(report) + "soutenir/", {"email": "habitant@example.org"})
    assert len(mail.outbox) == 1
    link = re.sub(r"^https?://[^/]+", "", LINK.search(mail.outbox[0].body).group(0))  # type: ignore[union-attr]
    page = client.get(link)
    assert page.status_code == 200
    assert "votre propre signalement" in page.content.decode()
    report.refresh_from_db()
    assert report.supporters_count == 0


# --------------------------------------------------------------------------- plurals


def test_french_plurals_of_the_supports(territory: Territory, make_report: Callable[..., Report]) -> None:
    report = make_report(ALPHA_SUD)
    page = Client().get(detail(report)).content.decode()
    assert "0 personnes" not in page
    assert "a encore confirmé ce problème" in page
    Report.objects.filter(pk=report.pk).update(supporters_count=1)
    bump_data_version("reports")  # as the services do: the cached page follows
    assert "1 personne a confirmé ce problème" in Client().get(detail(report)).content.decode()
    Report.objects.filter(pk=report.pk).update(supporters_count=2)
    bump_data_version("reports")
    assert "2 personnes ont confirmé ce problème" in Client().get(detail(report)).content.decode()


def test_an_empty_list_says_so_rather_than_zero_plural(client: Client, territory: Territory) -> None:
    html = client.get(f"/t/{SIREN}/signalements/").content.decode()
    assert "0 signalements" not in html
