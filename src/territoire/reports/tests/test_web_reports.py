"""Residents' pages: the form and its bad input, the duplicate step and "+1", the list, a
report's page, its photo, the zones' outlines and the statistics."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from territoire.core.uploads import sanitise_image
from territoire.reports import services
from territoire.reports.models import Report, ReportPhoto
from territoire.reports.tests.conftest import ALPHA_NORD, ALPHA_SUD, OUTSIDE, Territory, jpeg_bytes
from territoire.territory.models import Zone

pytestmark = pytest.mark.django_db

SIREN = "200000001"
LIST = f"/t/{SIREN}/signalements/"
NEW = f"/t/{SIREN}/signalements/nouveau/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Appareil"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (2.0, 21.0, 7.0),
    }
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def form_data(point: tuple[float, float] | None = ALPHA_SUD, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "voirie",
        "description": "Un trou profond devant l'école.",
        "attr__voirie__taille": "grand",
        "email": "habitant@example.org",
    }
    if point is not None:
        data["lat"], data["long"] = str(point[0]), str(point[1])
    data.update(extra)
    return data


def field_error(response: Any, field: str) -> str:
    """The text of the error shown next to ``field`` (its id ``id_<field>_error``)."""
    html = response.content.decode()
    found = re.search(rf'id="id_{re.escape(field)}_error">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field}"
    return found.group(1)


def location_error(response: Any) -> str:
    found = re.search(r'id="location_error">(.*?)</p>', response.content.decode(), re.S)
    assert found, "no error next to the location"
    return found.group(1)


def nothing_stored(media: Path) -> None:
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


# --------------------------------------------------------------------------- the form


def test_form_page_shows_categories_map_and_the_no_js_alternative(
    client: Client, territory: Territory
) -> None:
    response = client.get(NEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<fieldset id="field-category"' in html
    assert "<legend>Catégorie du problème</legend>" in html
    assert 'value="voirie"' in html
    assert 'value="eclairage"' in html
    assert 'data-picker="1"' in html
    assert "reports/vendor/leaflet/leaflet.js" in html
    assert 'name="address"' in html
    assert 'name="zone"' in html
    assert 'name="attr__voirie__taille"' in html
    assert "<script>" not in html
    assert " style=" not in html
    assert "onclick" not in html
    zones = list(Zone.objects.filter(commune__organisation=territory.organisation))
    for zone in zones:
        assert f'value="{zone.pk}"' in html


def test_report_on_the_map_with_a_photo_is_created_and_exif_is_gone(
    client: Client, territory: Territory, media: Path
) -> None:
    photo = SimpleUploadedFile("IMG_0001.jpg", gps_jpeg(), content_type="image/jpeg")
    response = client.post(NEW, {**form_data(ALPHA_NORD), "photo": photo})
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == f"/t/{SIREN}/signalements/{report.public_id}/merci/"
    assert report.zone is not None
    assert report.zone.name == "Nord"
    assert report.commune == territory.alpha
    assert report.email == "habitant@example.org"
    assert report.attributes == {"taille": "grand"}
    stored = ReportPhoto.objects.get(report=report)

    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "habitant@example.org" not in thanks.content.decode()

    page = client.get(f"/t/{SIREN}/signalements/{report.public_id}/")
    photo_url = f"/t/{SIREN}/signalements/{report.public_id}/photos/{stored.public_id}/"
    assert photo_url in page.content.decode()
    served = client.get(photo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["Content-Disposition"].startswith("inline;")
    image = Image.open(io.BytesIO(served.content))
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert ExifTags.Base.Make not in image.getexif()


def test_without_javascript_the_address_and_district_locate_the_report(
    client: Client, territory: Territory
) -> None:
    zone = Zone.objects.get(commune=territory.beta)
    response = client.post(NEW, form_data(None, address="3 place de l'Église", zone=str(zone.pk)))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.commune == territory.beta
    assert report.address_string == "3 place de l'Église"
    assert report.lat is None
    # The district chosen in the list is kept: the report counts in its zone's statistics.
    assert report.zone == zone


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"lat": "", "long": ""}, "location", "Placez le repère sur la carte ou indiquez une adresse."),
        ({"lat": "", "long": "", "address": "12 rue des Écoles"}, "zone", "Choisissez le quartier"),
        ({"lat": "abc", "long": "2"}, "location", "Le repère de la carte n&#x27;a pas pu être lu"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, "location", "en dehors du territoire"),
        ({"description": "x" * 4001}, "description", "4001 caractères ; 4000 au plus"),
        ({"description": ""}, "description", "Décrivez le problème"),
        ({"category": ""}, "category", "Choisissez la catégorie"),
        ({"category": "inconnue"}, "category", "Cette catégorie n&#x27;existe pas"),
        ({"attr__voirie__taille": ""}, "attr__voirie__taille", "Réponse obligatoire"),
        ({"email": "pas-un-email"}, "email", "Adresse e-mail invalide"),
        ({"attr__voirie__constat": "hier soir"}, "attr__voirie__constat", "par exemple 2026-05-01 08:30"),
        ({"zone": "999999"}, "zone", "Ce quartier n&#x27;existe pas"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_stored(
    client: Client, territory: Territory, media: Path, change: dict[str, str], where: str, message: str
) -> None:
    response = client.post(NEW, {**form_data(), **change})
    assert response.status_code == 422
    text = location_error(response) if where == "location" else field_error(response, where)
    assert message in text
    html = response.content.decode()
    # Written for a person: no parameter names of the Open311 API.
    for jargon in ("lat et long", "jurisdiction_id", "service_code", "« lat »", "« long »", "ISO 8601"):
        assert jargon not in html
    assert 'class="error-summary"' in html
    anchor = "location" if where == "location" else f"id_{where}_0" if where == "category" else f"id_{where}"
    assert f'href="#{anchor}"' in html
    if where not in {"location", "category"}:
        assert re.search(
            rf'id="id_{where}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_{where}"', html
        )
    nothing_stored(media)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("photo.jpg", b"Ceci est un texte, pas une image.\n", "image/jpeg"),
            "pas une image",
        ),
        (
            SimpleUploadedFile("photo.jpg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg"),
            "pas une image",
        ),
    ],
)
def test_fake_image_is_refused(
    client: Client, territory: Territory, media: Path, upload: SimpleUploadedFile, message: str
) -> None:
    response = client.post(NEW, {**form_data(), "photo": upload})
    assert response.status_code == 422
    assert message in field_error(response, "photo")
    nothing_stored(media)


def test_oversized_photo_is_refused(client: Client, territory: Territory, media: Path, settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_BYTES": 1024}
    big = SimpleUploadedFile("big.jpg", jpeg_bytes(400, 300) + b"\0" * 2048, "image/jpeg")
    response = client.post(NEW, {**form_data(), "photo": big})
    assert response.status_code == 422
    assert "La photo dépasse" in field_error(response, "photo")
    nothing_stored(media)


def test_html_in_the_description_is_stored_as_is_and_shown_escaped(
    client: Client, territory: Territory
) -> None:
    payload = '<script>alert("x")</script><b>gras</b>'
    response = client.post(NEW, form_data(description=payload))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.description == payload
    for url in (f"/t/{SIREN}/signalements/{report.public_id}/", LIST):
        html = client.get(url).content.decode()
        assert payload not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;gras&lt;/b&gt;" in html


def test_public_writes_are_rate_limited(client: Client, territory: Territory, settings: Any) -> None:
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "RATE_LIMITS": {**settings.TERRITOIRE["RATE_LIMITS"], "public_write": "2/m"},
    }
    statuses = [client.post(NEW, form_data(description="")).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    limited = client.post(NEW, form_data())
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert Report.objects.count() == 0
    assert client.get(NEW).status_code == 200  # reading is never limited


# --------------------------------------------------------------------------- duplicates


def test_likely_duplicate_is_shown_before_creating_and_the_photo_survives_the_confirmation(
    client: Client, territory: Territory, make_report: Callable[..., Report], media: Path
) -> None:
    existing = make_report(ALPHA_SUD, description="Trou déjà signalé")
    photo = SimpleUploadedFile("trou.jpg", gps_jpeg(), content_type="image/jpeg")
    near = (ALPHA_SUD[0] + 0.0001, ALPHA_SUD[1])  # about 11 m away
    step = client.post(NEW, {**form_data(near), "photo": photo})
    assert step.status_code == 200
    html = step.content.decode()
    assert "Ce problème a peut-être déjà été signalé" in html
    assert f"/signalements/{existing.public_id}/soutenir/" in html
    assert "+1 — Je confirme ce problème" in html
    assert "Trou déjà signalé" in html
    assert Report.objects.count() == 1  # nothing created yet

    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert hidden["confirm"] == "1"
    assert hidden["category"] == "voirie"
    assert hidden["photo_ref"]
    assert hidden["attr__voirie__taille"] == "grand"
    hidden.pop("csrfmiddlewaretoken", None)
    confirmed = client.post(NEW, hidden)
    assert confirmed.status_code == 302
    created = Report.objects.exclude(pk=existing.pk).get()
    assert created.email == "habitant@example.org"
    assert ReportPhoto.objects.filter(report=created).count() == 1


def test_confirmation_step_is_validated_again(
    client: Client, territory: Territory, make_report: Callable[..., Report]
) -> None:
    make_report(ALPHA_SUD)
    tampered = {**form_data(OUTSIDE), "confirm": "1"}
    response = client.post(NEW, tampered)
    assert response.status_code == 422
    assert "en dehors du territoire" in location_error(response)
    expired = client.post(NEW, {**form_data(), "confirm": "1", "photo_ref": "x" * 43})
    assert expired.status_code == 422
    assert "joignez-la à nouveau" in field_error(expired, "photo")
    assert Report.objects.count() == 1


def test_plus_one_on_a_closed_report_is_refused_with_a_message(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    report = make_report(ALPHA_SUD)
    services.change_status(report, "resolu", actor=make_staff(territory.organisation), answer="Rebouché.")
    response = client.post(f"/t/{SIREN}/signalements/{report.public_id}/soutenir/", follow=True)
    assert "ne peut plus être soutenu" in response.content.decode()
    report.refresh_from_db()
    assert report.supporters_count == 0


# --------------------------------------------------------------------------- list and pages


def test_list_filters_hides_moderated_reports_and_shows_no_personal_data(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    visible = make_report(
        ALPHA_SUD, description="Trou visible", email="secret@example.org", first_name="Jeanne"
    )
    light = make_report(ALPHA_NORD, service_code="eclairage", description="Lampe éteinte")
    hidden = make_report(ALPHA_NORD, description="Propos injurieux")
    services.hide_report(hidden, "Injurieux", actor=make_staff(territory.organisation))
    html = client.get(LIST).content.decode()
    assert "Trou visible" in html
    assert "Lampe éteinte" in html
    assert "Propos injurieux" not in html
    assert "secret@example.org" not in html
    assert "Jeanne" not in html
    assert 'id="report-points"' in html
    filtered = client.get(LIST, {"category": "eclairage"}).content.decode()
    assert "Lampe éteinte" in filtered
    assert "Trou visible" not in filtered
    zone = Zone.objects.get(commune=territory.alpha, name="Sud")
    by_zone = client.get(LIST, {"zone": str(zone.pk)}).content.decode()
    assert "Trou visible" in by_zone
    assert "Lampe éteinte" not in by_zone
    by_status = client.get(LIST, {"status": "resolu"}).content.decode()
    assert "Trou visible" not in by_status
    assert client.get(LIST, {"category": "nope"}).status_code == 400
    assert visible.public_id
    assert light.public_id


def test_list_query_count_does_not_grow_with_reports(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(3):
        make_report(ALPHA_SUD)
    with django_assert_max_num_queries(12) as few:
        assert client.get(LIST + "?category=voirie").status_code == 200
    for _ in range(25):
        make_report(ALPHA_NORD)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST + "?category=voirie")
    assert response.status_code == 200
    assert "Page 1 sur 2" in response.content.decode()


def test_report_page_shows_history_and_answer_and_404_elsewhere(
    client: Client,
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Callable[..., Any],
    other_organisation: Any,
) -> None:
    report = make_report(ALPHA_SUD, email="secret@example.org")
    services.change_status(
        report, "resolu", actor=make_staff(territory.organisation), answer="Trou rebouché le 3 mai."
    )
    url = f"/t/{SIREN}/signalements/{report.public_id}/"
    html = client.get(url).content.decode()
    assert "Trou rebouché le 3 mai." in html
    assert "Résolu" in html
    assert "Signalement déposé" in html
    assert "secret@example.org" not in html
    assert client.get(f"/t/99101/signalements/{report.public_id}/").status_code == 200
    assert client.get(f"/t/99102/signalements/{report.public_id}/").status_code == 404
    assert client.get(f"/t/200000002/signalements/{report.public_id}/").status_code == 404
    assert client.get(f"/signalements/{report.public_id}/")["Location"] == url


def test_hidden_report_and_redacted_photo_are_not_served(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    staff = make_staff(territory.organisation)
    report = make_report(ALPHA_SUD, photo=sanitise_image(io.BytesIO(jpeg_bytes())))
    photo = ReportPhoto.objects.get(report=report)
    url = f"/t/{SIREN}/signalements/{report.public_id}/photos/{photo.public_id}/"
    assert client.get(url).status_code == 200
    services.redact_photo(photo, "Visage reconnaissable", actor=staff)
    assert client.get(url).status_code == 404
    assert url not in client.get(f"/t/{SIREN}/signalements/{report.public_id}/").content.decode()
    other = make_report(ALPHA_SUD, photo=sanitise_image(io.BytesIO(jpeg_bytes())))
    other_photo = ReportPhoto.objects.get(report=other)
    services.hide_report(other, "Injurieux", actor=staff)
    assert client.get(f"/t/{SIREN}/signalements/{other.public_id}/").status_code == 404
    assert (
        client.get(f"/t/{SIREN}/signalements/{other.public_id}/photos/{other_photo.public_id}/").status_code
        == 404
    )


def test_zones_outlines_are_public_geojson(client: Client, territory: Territory) -> None:
    response = client.get(f"/t/{SIREN}/signalements/quartiers.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    names = sorted(f["properties"]["name"] for f in response.json()["features"])
    assert names == ["Bourg", "Nord", "Sud"]
    assert len(client.get("/t/99102/signalements/quartiers.geojson").json()["features"]) == 1


def test_statistics_page_has_figures_chart_and_tables(
    client: Client, territory: Territory, make_report: Callable[..., Report], make_staff: Callable[..., Any]
) -> None:
    staff = make_staff(territory.organisation)
    for _ in range(6):
        report = make_report(ALPHA_SUD)
        services.change_status(report, "resolu", actor=staff, answer="Fait.")
    make_report(ALPHA_NORD, service_code="eclairage")
    response = client.get(f"/t/{SIREN}/signalements/statistiques/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pour 1 000 habitants" in html
    assert '<svg class="barchart"' in html
    assert "<title" in html
    assert "Nid-de-poule" in html
    assert html.count("<caption") == 2
    assert "moins de 5" in html  # the lighting category and the north zone are too small to show


def test_english_pages_exist(client: Client, territory: Territory) -> None:
    assert client.get(f"/en{LIST}").status_code == 200
    assert client.get(f"/en{NEW}").status_code == 200


def test_unknown_scope_is_404(client: Client, territory: Territory) -> None:
    assert client.get("/t/999999999/signalements/").status_code == 404
    assert client.get("/t/999999999/signalements/nouveau/").status_code == 404


def test_tiles_only_when_a_tile_server_is_configured(
    client: Client, territory: Territory, settings: Any
) -> None:
    assert 'data-tiles=""' in client.get(NEW).content.decode()
    settings.TERRITOIRE = {
        **settings.TERRITOIRE,
        "MAP_TILE_URL": "https://tiles.example.org/{z}/{x}/{y}.png",
        "MAP_TILE_ATTRIBUTION": "© Contributeurs",
    }
    html = client.get(NEW).content.decode()
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert 'data-attribution="© Contributeurs"' in html
    # Pages without a map load no Leaflet.
    assert "leaflet.js" not in client.get(f"/t/{SIREN}/signalements/statistiques/").content.decode()


@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["category", "description", "lat", "long", "address", "zone", "email", "photo_ref", "confirm"]
        ),
        st.text(max_size=60) | st.sampled_from(["voirie", "47.005", "2.005", "1", "-999", "nan", "1e308"]),
    )
)
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_form_input_gets_an_answer_never_a_server_error(
    client: Client, territory: Territory, settings: Any, fields: dict[str, str]
) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "RATE_LIMITS": {"public_write": ""}}
    before = Report.objects.count()
    response = client.post(NEW, fields)
    assert response.status_code in {200, 302, 422}
    if response.status_code != 302:
        assert Report.objects.count() == before


def test_every_error_is_shown_at_once(client: Client, territory: Territory, media: Path) -> None:
    response = client.post(NEW, {**form_data(OUTSIDE), "description": "", "email": "non"})
    assert response.status_code == 422
    assert "Décrivez le problème" in field_error(response, "description")
    assert "en dehors du territoire" in location_error(response)
    assert "Adresse e-mail invalide" in field_error(response, "email")
    nothing_stored(media)
