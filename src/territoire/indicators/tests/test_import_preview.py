"""The staff import page: preview, confirmation, stale previews, XLSX, French dates,
suggestions, the template file, and messages in the reader's language."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from territoire.accounts.testing import StaffClient
from territoire.core.models import AuditEvent
from territoire.indicators.models import Measurement, MeasurementOrigin, PendingImport
from territoire.indicators.tests.helpers import ALPHA, BETA, ORG, PUBLIC_CODE
from territoire.territory.models import Organisation, Role

pytestmark = pytest.mark.django_db

URL = f"/t/{ORG}/importer/"
HEADER = "indicator,scope,period_start,period_end,value\n"


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def imported() -> Any:
    return Measurement.objects.exclude(origin=MeasurementOrigin.AGGREGATED)


def confirm_url(response: Any) -> str:
    return f"{URL}{response.context['pending'].public_id}/confirmer/"


@pytest.fixture
def lead(client: Client, organisation: Organisation, make_staff: Callable[..., Any]) -> Any:
    user = make_staff(organisation, Role.CHEF_PROJET)
    client.force_login(user)
    return user


def test_preview_lists_added_corrected_and_unchanged_and_writes_nothing(client: Client, lead: Any) -> None:
    first = (
        HEADER
        + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,60\n{PUBLIC_CODE},{BETA},2025-01-01,2025-01-31,40\n"
    )
    client.post(confirm_url(client.post(URL, {"file": upload("a.csv", first)})))
    assert imported().count() == 2
    second = (
        HEADER.replace(",", ";")
        + f"{PUBLIC_CODE};{ALPHA};2025-01-01;2025-01-31;64,5\n"
        + f"{PUBLIC_CODE};{BETA};2025-01-01;2025-01-31;40\n"
        + f"{PUBLIC_CODE};{ALPHA};2025-02-01;2025-02-28;61\n"
    )
    response = client.post(URL, {"file": upload("b.csv", second)})
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(p.row.scope.code, p.row.period.start) for p in preview.added] == [(ALPHA, date(2025, 2, 1))]
    assert [(p.old, p.row.value) for p in preview.corrected] == [(Decimal("60"), Decimal("64.5"))]
    assert len(preview.unchanged) == 1
    page = response.content.decode()
    # "From X to Y", in French numbers.
    assert ">60<" in page
    assert ">64,5<" in page
    assert "1 valeur ajoutée, 1 valeur corrigée, 1 inchangée" in page
    assert imported().count() == 2  # nothing yet
    assert PendingImport.objects.count() == 1

    done = client.post(confirm_url(response))
    assert done.status_code == 302
    assert imported().filter(is_current=True).count() == 3
    assert Measurement.objects.get(
        scope__code=ALPHA, period_start=date(2025, 1, 1), is_current=True
    ).value == Decimal("64.5")
    assert not PendingImport.objects.exists()
    assert AuditEvent.objects.filter(action="indicators.import").count() == 2
    # Confirming the same preview again applies nothing: it is gone.
    again = client.post(confirm_url(response))
    assert again.status_code == 410
    assert imported().count() == 4


def test_a_stale_preview_is_refused_and_shown_again(
    client: Client, lead: Any, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    text = HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,60\n"
    response = client.post(URL, {"file": upload("a.csv", text)})
    assert [p.kind for p in response.context["preview"].rows] == ["added"]
    # Meanwhile a colleague records the same figure by hand.
    colleague = StaffClient()
    colleague.force_login(make_staff(organisation, Role.AGENT))
    colleague.post(
        f"/t/{ALPHA}/indicateurs/{PUBLIC_CODE}/saisir/", {"year": "2025", "month": "1", "value": "58"}
    )
    assert imported().get().value == Decimal("58")

    stale = client.post(confirm_url(response))
    assert stale.status_code == 409
    assert "ont changé depuis l" in stale.content.decode()
    assert imported().get().value == Decimal("58")  # nothing written
    assert [(p.kind, p.old) for p in stale.context["preview"].rows] == [("corrected", Decimal("58"))]
    # Confirming the new preview applies it.
    assert client.post(confirm_url(stale)).status_code == 302
    assert imported().get(is_current=True).value == Decimal("60")


def test_another_persons_preview_cannot_be_confirmed(
    client: Client, lead: Any, organisation: Organisation, make_staff: Callable[..., Any]
) -> None:
    response = client.post(
        URL, {"file": upload("a.csv", HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,60\n")}
    )
    url = confirm_url(response)
    client.force_login(make_staff(organisation, Role.ADMINISTRATEUR))
    assert client.post(url).status_code == 410
    assert not imported().exists()
    assert PendingImport.objects.count() == 1


def test_cancel_discards_the_file(client: Client, lead: Any) -> None:
    response = client.post(
        URL, {"file": upload("a.csv", HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,60\n")}
    )
    assert client.post(confirm_url(response), {"cancel": "1"}).status_code == 302
    assert not PendingImport.objects.exists()
    assert not imported().exists()


def test_confirmation_is_a_post(client: Client, lead: Any) -> None:
    response = client.post(
        URL, {"file": upload("a.csv", HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,60\n")}
    )
    assert client.get(confirm_url(response)).status_code == 405
    assert not imported().exists()


def test_french_dates_and_french_headers(client: Client, lead: Any) -> None:
    text = "indicateur;périmètre;début;fin;valeur\n" + f"{PUBLIC_CODE};{ALPHA};01/03/2025;31/03/2025;61,5\n"
    response = client.post(URL, {"file": upload("a.csv", text)})
    assert response.status_code == 200, response.context.get("errors")
    row = response.context["preview"].added[0].row
    assert (row.period.start, row.period.end, row.value) == (
        date(2025, 3, 1),
        date(2025, 3, 31),
        Decimal("61.5"),
    )


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_file_with_date_and_number_cells(client: Client, lead: Any) -> None:
    content = _xlsx(
        [
            ["indicator", "scope", "period_start", "period_end", "value", "note"],
            [PUBLIC_CODE, int(ALPHA), datetime(2025, 4, 1), datetime(2025, 4, 30), 62.5, "relevé"],
            [PUBLIC_CODE, BETA, "01/04/2025", "30/04/2025", "41,25", None],
            [None, None, None, None, None, None],
        ]
    )
    response = client.post(URL, {"file": upload("chiffres.xlsx", content)})
    assert response.status_code == 200, response.context.get("errors")
    rows = [(p.row.scope.code, p.row.value, p.row.line) for p in response.context["preview"].added]
    assert rows == [(ALPHA, Decimal("62.5"), 2), (BETA, Decimal("41.25"), 3)]
    assert client.post(confirm_url(response)).status_code == 302
    assert Measurement.objects.get(scope__code=ALPHA).provenance == "import:chiffres.xlsx"


def test_xlsx_errors_keep_the_spreadsheets_line_numbers(client: Client, lead: Any) -> None:
    content = _xlsx(
        [
            ["indicator", "scope", "period_start", "period_end", "value"],
            [PUBLIC_CODE, ALPHA, date(2025, 4, 1), date(2025, 4, 30), "soixante"],
        ]
    )
    response = client.post(URL, {"file": upload("chiffres.xlsx", content)})
    assert response.status_code == 422
    assert [(e.line, e.column, e.message) for e in response.context["errors"]] == [
        (2, "value", "« soixante » n'est pas un nombre")
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04 not really a zip",
        # A ZIP that claims to unpack into far more than any figures file.
        None,
    ],
)
def test_a_broken_or_oversized_spreadsheet_is_refused_in_words(
    client: Client, lead: Any, content: bytes | None
) -> None:
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
        content = buffer.getvalue()
    response = client.post(URL, {"file": upload("chiffres.xlsx", content)})
    assert response.status_code == 422
    assert response.context["errors"][0].message
    assert not PendingImport.objects.exists()


def test_unknown_column_and_indicator_suggest_the_closest(client: Client, lead: Any) -> None:
    text = (
        "indicator,scope,period_start,period_end,valeurs\n"
        + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,1\n"
    )
    response = client.post(URL, {"file": upload("a.csv", text)})
    assert [(e.line, e.column, e.message) for e in response.context["errors"]] == [
        (
            1,
            "value",
            "colonne absente de l'en-tête : le fichier a une colonne « valeurs », renommez-la « value »",
        )
    ]
    text = HEADER + f"connectivite.foyers_raccordable,{ALPHA},2025-01-01,2025-01-31,1\n"
    response = client.post(URL, {"file": upload("a.csv", text)})
    [error] = response.context["errors"]
    assert (error.line, error.column) == (2, "indicator")
    assert f"vouliez-vous dire « {PUBLIC_CODE} »" in error.message
    text = (
        "indicator,scope,period_start,period_end,value,not\n"
        + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,1,x\n"
    )
    response = client.post(URL, {"file": upload("a.csv", text)})
    assert [(e.column, e.message) for e in response.context["errors"]] == [
        ("not", "colonne inconnue (vouliez-vous dire « note » ?)")
    ]


def test_a_suggestion_never_names_another_tenants_indicator(
    client: Client, lead: Any, other_organisation: Organisation
) -> None:
    from territoire.indicators.models import Direction, IndicatorDefinition

    IndicatorDefinition.objects.create(
        code="voisine.secret_interne",
        name="Secret",
        direction=Direction.HIGHER_IS_BETTER,
        method="-",
        organisation=other_organisation,
    )
    text = HEADER + f"voisine.secret_intern,{ALPHA},2025-01-01,2025-01-31,1\n"
    text += f"voisine.secret_interne,{ALPHA},2025-01-01,2025-01-31,1\n"
    response = client.post(URL, {"file": upload("a.csv", text)})
    messages = [e.message for e in response.context["errors"]]
    assert len(messages) == 2
    assert all("secret_interne »" not in m.replace("« voisine.secret_interne »", "") for m in messages)
    assert "vouliez-vous dire" not in messages[0]
    # Its own indicator, used on this organisation's commune, is unknown here.
    assert messages[1].startswith("indicateur inconnu « voisine.secret_interne »")


def test_messages_follow_the_pages_language(client: Client, lead: Any) -> None:
    text = HEADER + f"{PUBLIC_CODE},{ALPHA},2025-01-01,2025-01-31,soixante\n"
    french = client.post(URL, {"file": upload("a.csv", text)})
    assert french.context["errors"][0].message == "« soixante » n'est pas un nombre"
    english = client.post("/en" + URL, {"file": upload("a.csv", text)})
    assert english.status_code == 422
    with translation.override("en"):
        expected = gettext("« %(text)s » n'est pas un nombre") % {"text": "soixante"}
    # What the English catalogue says (the merger's .po: "'soixante' is not a number").
    assert english.context["errors"][0].message == expected


def test_the_template_file_reads_back(client: Client, lead: Any) -> None:
    response = client.get(f"{URL}modele.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(
        "\ufeffindicator;scope;period_start;period_end;value;note;indicator_name;scope_name;unit"
    )
    lines = body.strip().splitlines()
    assert any(line.startswith(f"{PUBLIC_CODE};{ALPHA};") for line in lines)
    assert not any(line.startswith(f"{PUBLIC_CODE};{ORG};") for line in lines)  # aggregated from the communes
    assert not any(line.startswith("roadmap.") for line in lines)  # computed indicators
    # Filled in (one value), it imports as it is: the informative columns are ignored.
    filled = [lines[0]] + [
        line.replace(";;;", ";42;;", 1) for line in lines[1:] if line.startswith(f"{PUBLIC_CODE};{ALPHA};")
    ]
    response = client.post(URL, {"file": upload("modele.csv", "\n".join(filled).encode("utf-8"))})
    assert response.status_code == 200, response.context.get("errors")
    assert [p.row.value for p in response.context["preview"].added] == [Decimal("42")]
