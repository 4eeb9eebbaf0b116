"""Open311 conformance: POST requests (realtime and queued), tokens, every error path.

Each bad input gets the spec's error document with the right HTTP status, and nothing
is stored (no report, no photo file, no queued request).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.core import actions
from territoire.reports import services
from territoire.reports.models import QueuedRequest, Report, ReportPhoto, ReportSource
from territoire.reports.tests.conftest import ALPHA_SUD, BETA, OUTSIDE, Territory, jpeg_bytes
from territoire.reports.tests.open311_client import BASE, FORMATS, get, post

pytestmark = [pytest.mark.django_db, pytest.mark.urls("territoire.reports.tests.urls_open311")]


def form(territory: Territory, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "api_key": territory.raw_key,
        "service_code": "voirie",
        "lat": str(ALPHA_SUD[0]),
        "long": str(ALPHA_SUD[1]),
        "attribute[taille]": "grand",
        "description": "Trou profond devant le n° 12",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def nothing_stored() -> None:
    assert Report.objects.count() == 0
    assert ReportPhoto.objects.count() == 0
    assert QueuedRequest.objects.count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_report(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = post(
        client,
        fmt,
        form(
            territory,
            email="resident@example.org",
            first_name="Camille",
            last_name="Martin",
            phone="0612345678",
            device_id="device-123",
            account_id="account-456",
            address_string="12 rue du Port",
            media_url="https://photos.example.org/1.jpg",
        ),
    )
    assert response.status_code == 200
    assert len(doc) == 1
    entry = doc[0]
    assert set(entry) == {"service_request_id", "service_notice", "account_id"}
    assert entry["account_id"] in (None, "")
    report = Report.objects.get(public_id=entry["service_request_id"])
    assert report.source == ReportSource.OPEN311
    assert report.api_key == territory.api_key
    assert (report.email, report.first_name, report.last_name) == (
        "resident@example.org",
        "Camille",
        "Martin",
    )
    assert (report.phone, report.device_id, report.account_id) == ("0612345678", "device-123", "account-456")
    assert report.address_string == "12 rue du Port"
    assert report.media_url == "https://photos.example.org/1.jpg"
    assert report.attributes == {"taille": "grand"}
    assert "7 jours" in entry["service_notice"]
    territory.api_key.refresh_from_db()
    assert territory.api_key.last_used_at is not None


def test_jurisdiction_is_inferred_from_the_point(
    client: Client, territory: Territory, other_organisation: Any
) -> None:
    response, doc = post(client, "json", form(territory, lat=str(BETA[0]), long=str(BETA[1])))
    assert response.status_code == 200
    assert Report.objects.get(public_id=doc[0]["service_request_id"]).commune == territory.beta


def test_jurisdiction_restricts_the_point(client: Client, territory: Territory) -> None:
    response, doc = post(client, "json", form(territory, jurisdiction_id="99102"))  # point is in Alpha
    assert response.status_code == 400
    assert "territoire" in doc[0]["description"]
    nothing_stored()
    response, _doc = post(client, "json", form(territory, jurisdiction_id="99101"))
    assert response.status_code == 200


def test_multivaluelist_attribute(client: Client, territory: Territory) -> None:
    data = form(territory, service_code="eclairage", **{"attribute[taille]": None})
    data["attribute[symptome][]"] = ["eteint", "clignote"]
    response, doc = post(client, "json", data)
    assert response.status_code == 200, doc
    assert Report.objects.get().attributes == {"symptome": ["eteint", "clignote"]}


def test_html_in_description_is_stored_as_text_and_escaped_in_xml(
    client: Client, territory: Territory
) -> None:
    html = '<script>alert("x")</script> & <b>gras</b>'
    response, _doc = post(client, "json", form(territory, description=html))
    assert response.status_code == 200
    report = Report.objects.get()
    assert report.description == html
    raw = client.get(f"{BASE}requests/{report.public_id}.xml")
    assert b"<script>" not in raw.content
    assert b"&lt;script&gt;" in raw.content
    _response, parsed = get(client, f"requests/{report.public_id}", "xml")
    assert parsed[0]["description"] == html
    _response, parsed = get(client, f"requests/{report.public_id}", "json")
    assert parsed[0]["description"] == html


@pytest.mark.parametrize("fmt", FORMATS)
def test_batch_service_returns_a_token(client: Client, territory: Territory, fmt: str) -> None:
    response, doc = post(
        client, fmt, form(territory, service_code="encombrants", **{"attribute[taille]": None})
    )
    assert response.status_code == 200
    token = doc[0]["token"]
    assert "service_request_id" not in doc[0]
    assert Report.objects.count() == 0
    response, doc = get(client, f"tokens/{token}", fmt)
    assert response.status_code == 200
    assert doc[0]["token"] == token
    assert doc[0]["service_request_id"] in (None, "")
    services.process_queue()
    response, doc = get(client, f"tokens/{token}", fmt)
    report = Report.objects.get()
    assert doc[0]["service_request_id"] == str(report.public_id)
    response, doc = get(client, f"requests/{report.public_id}", fmt)
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(client: Client, territory: Territory, fmt: str) -> None:
    for token in ("4b0c8f8e-3b1e-4a8f-9d33-000000000000", "pas-un-jeton"):
        response, doc = get(client, f"tokens/{token}", fmt)
        assert response.status_code == 404
        assert str(doc[0]["code"]) == "404"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("api_key", ["", "o311_faux", "revoked", "read_only", "other_module"])
def test_bad_api_key_is_403(client: Client, territory: Territory, fmt: str, api_key: str) -> None:
    """Only a valid API token that may write to the reports module is an Open311 key."""
    if api_key == "revoked":
        _key, api_key = services.create_api_key("Ancienne")
        services.revoke_api_key(api_key[:13])
    elif api_key == "read_only":
        _token, api_key = ApiToken.issue(name="Lecture", organisation=territory.organisation)
    elif api_key == "other_module":
        _token, api_key = ApiToken.issue(
            name="Indicateurs", organisation=territory.organisation, can_write=True, modules=["indicators"]
        )
    response, doc = post(client, fmt, form(territory, api_key=api_key or None))
    assert response.status_code == 403
    assert doc == [{"code": 403 if fmt == "json" else "403", "description": "api_key missing or invalid"}]
    nothing_stored()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("jurisdiction", ["99101", "200000001"])
def test_a_key_of_another_organisation_finds_no_jurisdiction_here(
    client: Client, territory: Territory, other_organisation: Any, fmt: str, jurisdiction: str
) -> None:
    _key, raw = services.create_api_key("Voisine", organisation=other_organisation)
    unknown, unknown_doc = post(client, fmt, form(territory, api_key=raw, jurisdiction_id="99999"))
    assert unknown.status_code == 404
    response, doc = post(client, fmt, form(territory, api_key=raw, jurisdiction_id=jurisdiction))
    # Exactly the answer to a jurisdiction that does not exist, but for its code.
    assert response.status_code == 404
    assert str(doc[0]["code"]) == "404"
    assert doc[0]["description"] == unknown_doc[0]["description"].replace("99999", jurisdiction)
    nothing_stored()


def test_a_key_limited_to_a_commune_takes_its_reports_only(client: Client, territory: Territory) -> None:
    _token, raw = ApiToken.issue(
        name="Bêta", organisation=territory.organisation, commune=territory.beta, can_write=True
    )
    response, doc = post(client, "json", form(territory, api_key=raw))  # a point in Alpha
    assert response.status_code == 403
    assert doc[0]["description"].startswith("api_key:")
    nothing_stored()
    response, _doc = post(client, "json", form(territory, api_key=raw, lat=str(BETA[0]), long=str(BETA[1])))
    assert response.status_code == 200


BAD_INPUT = [
    ({"service_code": "inconnu"}, "service_code"),
    ({"service_code": None}, "service_code"),
    ({"lat": None, "long": None}, "lat"),
    ({"lat": "91"}, "lat"),
    ({"lat": "-90.5"}, "lat"),
    ({"long": "200"}, "long"),
    ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, "lat"),
    ({"description": "é" * 4001}, "description"),
    ({"email": "pas@"}, "email"),
    ({"media_url": "file:///etc/passwd"}, "media_url"),
    ({"attribute[taille]": None}, "attribute[taille]"),
    ({"attribute[taille]": "énorme"}, "attribute[taille]"),
    ({"attribute[profondeur]": "profond"}, "attribute[profondeur]"),
    ({"attribute[constat]": "28/11/2026"}, "attribute[constat]"),
    ({"attribute[inconnu]": "x"}, "attribute[inconnu]"),
    ({"attribute": "x"}, "attribute"),
    ({"jurisdiction_id": "00000"}, "jurisdiction_id"),
]


@pytest.mark.parametrize(("data", "field"), BAD_INPUT)
def test_bad_input(client: Client, territory: Territory, data: dict[str, Any], field: str) -> None:
    for fmt in FORMATS:
        response, doc = post(client, fmt, form(territory, **data))
        expected = 404 if field == "jurisdiction_id" else 400
        assert response.status_code == expected, doc
        assert isinstance(doc, list)
        assert doc
        assert all(set(error) == {"code", "description"} for error in doc)
        assert any(field in error["description"] for error in doc), doc
        assert str(doc[0]["code"]) == str(expected)
        nothing_stored()


def test_several_errors_are_all_reported(client: Client, territory: Territory) -> None:
    response, doc = post(
        client, "json", form(territory, email="x", media_url="ftp://x", description="x" * 10)
    )
    assert response.status_code == 400
    assert {e["description"].split(":")[0] for e in doc} == {"email", "media_url"}


def test_photo_upload_is_sanitised(
    client: Client, territory: Territory, settings: Any, tmp_path: Path, make_staff: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.TERRITOIRE = {**settings.TERRITOIRE, "SITE_URL": "https://signalements.example.fr/"}
    upload = SimpleUploadedFile("photo.png", jpeg_bytes(), content_type="image/png")
    response, doc = post(client, "json", {**form(territory), "media": upload})
    assert response.status_code == 200, doc
    photo = ReportPhoto.objects.get()
    assert photo.content_type == "image/jpeg"
    assert photo.width == 40
    assert not photo.file.name.endswith("photo.png")
    assert "photo" not in Path(photo.file.name).name
    assert (tmp_path / photo.file.name).is_file()
    # The listing points to the photo's public page; a withdrawn photo is no longer linked.
    request_id = doc[0]["service_request_id"]
    _response, listed = get(client, f"requests/{request_id}", "json")
    assert listed[0]["media_url"] == (
        f"https://signalements.example.fr/t/99101/signalements/{request_id}/photos/{photo.public_id}/"
    )
    staff = make_staff(territory.organisation)
    services.redact_photo(photo, "Visage", actor=staff)
    _response, listed = get(client, f"requests/{request_id}", "json")
    assert listed[0]["media_url"] == ""


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("photo.jpg", b"ceci n'est pas une image\n" * 10, content_type="image/jpeg"),
        SimpleUploadedFile("photo.jpg", jpeg_bytes()[:200], content_type="image/jpeg"),
    ],
    ids=["text-named-jpg", "truncated"],
)
def test_fake_image_is_refused(
    client: Client, territory: Territory, settings: Any, tmp_path: Path, upload: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response, doc = post(client, "json", {**form(territory), "media": upload})
    assert response.status_code == 400
    assert doc[0]["description"].startswith("media")
    nothing_stored()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_oversized_image_is_refused(
    client: Client, territory: Territory, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.TERRITOIRE = {**settings.TERRITOIRE, "UPLOAD_MAX_BYTES": 1000}
    buffer = io.BytesIO(jpeg_bytes(400, 400) + b"\0" * 2000)
    upload = SimpleUploadedFile("grande.jpg", buffer.getvalue(), content_type="image/jpeg")
    response, doc = post(client, "json", {**form(territory), "media": upload})
    assert response.status_code == 400
    assert doc[0]["description"].startswith("media")
    nothing_stored()


def test_photo_is_deleted_when_the_transaction_fails(
    client: Client, territory: Territory, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database down")

    # The last write of the transaction, after the photo and every row are stored.
    monkeypatch.setattr(actions, "bump_data_version", fail)
    upload = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    with pytest.raises(RuntimeError):
        client.post(f"{BASE}requests.json", {**form(territory), "media": upload})
    nothing_stored()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_batch_service_refuses_an_uploaded_photo(
    client: Client, territory: Territory, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg")
    data = {**form(territory, service_code="encombrants", **{"attribute[taille]": None}), "media": upload}
    response, doc = post(client, "json", data)
    assert response.status_code == 400
    assert doc[0]["description"].startswith("media")
    nothing_stored()


def test_post_needs_no_csrf_token(territory: Territory) -> None:
    strict = Client(enforce_csrf_checks=True)
    response, _doc = post(strict, "json", form(territory))
    assert response.status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_rate_limit(client: Client, territory: Territory, settings: Any, fmt: str) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "RATE_LIMITS": {"public_write": "2/m"}}
    for _ in range(2):
        response, _doc = post(client, fmt, form(territory))
        assert response.status_code == 200
    response, doc = post(client, fmt, form(territory))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert str(doc[0]["code"]) == "429"
    assert doc[0]["description"]
    assert Report.objects.count() == 2
    # Per address: another client is not limited.
    response, _doc = post(client, fmt, form(territory), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 200


def test_get_is_not_rate_limited(client: Client, territory: Territory, settings: Any) -> None:
    settings.TERRITOIRE = {**settings.TERRITOIRE, "RATE_LIMITS": {"public_write": "1/m"}}
    for _ in range(3):
        assert client.get(f"{BASE}requests.json").status_code == 200


def test_requested_datetime_is_now(client: Client, territory: Territory) -> None:
    before = timezone.now()
    post(client, "json", form(territory))
    assert Report.objects.get().requested_at >= before


def test_photo_metadata_is_stripped(
    client: Client, territory: Territory, settings: Any, tmp_path: Path
) -> None:
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    exif = Image.Exif()
    exif[0x010F] = "Appareil du résident"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (47.0, 1.0, 2.0), "E", (2.0, 3.0, 4.0)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(buffer, "JPEG", exif=exif)
    assert b"Exif" in buffer.getvalue()
    upload = SimpleUploadedFile("gps.jpg", buffer.getvalue(), content_type="image/jpeg")
    response, _doc = post(client, "json", {**form(territory), "media": upload})
    assert response.status_code == 200
    stored = (tmp_path / ReportPhoto.objects.get().file.name).read_bytes()
    assert b"Exif" not in stored
    assert b"Appareil" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_a_post_reads_then_writes_in_one_transaction(
    client: Client, territory: Territory, django_assert_num_queries: Any
) -> None:
    post(client, "json", form(territory))  # the key's last_used_at is written once a minute
    with django_assert_num_queries(14) as captured:
        response, _doc = post(client, "json", form(territory))
    assert response.status_code == 200
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    # Reads: the key, the zones' cache version, the zone and commune of the point, the
    # category and its attributes. Then the transaction (in a test, a savepoint): the
    # initial status, the reference (the year's counter incremented, then read), the
    # report, its history event, its audit record, the cache version.
    assert statements == ["SELECT"] * 5 + ["SAVEPOINT", "SELECT", "UPDATE", "SELECT"] + ["INSERT"] * 3 + [
        "UPDATE",
        "RELEASE",
    ]


def test_a_key_revoked_or_created_elsewhere_counts_at_the_next_request(
    client: Client, territory: Territory
) -> None:
    from territoire.api.models import ApiToken

    assert post(client, "json", form(territory))[0].status_code == 200
    # As another process would: no signal reaches this one, only the database changes.
    ApiToken.objects.filter(pk=territory.api_key.pk).update(revoked_at=timezone.now())
    response, doc = post(client, "json", form(territory))
    assert response.status_code == 403
    assert "api_key" in doc[0]["description"]
    _token, raw = ApiToken.issue(name="Autre appli", can_write=True, modules=["reports"])
    assert post(client, "json", form(territory, api_key=raw))[0].status_code == 200
    assert Report.objects.count() == 2
