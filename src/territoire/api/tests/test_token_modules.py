"""API tokens limited to some modules: refused (403, naming the module) elsewhere."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from territoire.api.models import ApiToken
from territoire.territory.models import Organisation

BATCH = {
    "measurements": [
        {
            "indicator": "x",
            "scope": "200000001",
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "value": "1",
        }
    ]
}


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_token_without_modules_opens_every_module(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation, write=False)
    assert client.get("/api/v1/measurements", **bearer(raw)).status_code == 200
    assert client.get("/api/v1/communes", **bearer(raw)).status_code == 200


def test_a_token_limited_to_a_module_is_refused_elsewhere_with_a_reason(
    client: Client, organisation: Organisation, make_token: Callable[..., str]
) -> None:
    raw = make_token(organisation, modules=["roadmap"])
    assert (
        client.get(f"/api/v1/organisations/{organisation.siren}/projects", **bearer(raw)).status_code == 200
    )
    # Reads of another module with this token: refused, not silently served as public.
    response = client.get("/api/v1/measurements", **bearer(raw))
    assert response.status_code == 403
    assert "'indicators'" in response.json()["detail"]
    # Writes too: nothing is recorded.
    response = client.post("/api/v1/measurements", data=BATCH, content_type="application/json", **bearer(raw))
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "Authorization"


def test_the_module_list_is_validated(organisation: Organisation) -> None:
    token, _raw = ApiToken.issue(name="x", organisation=organisation, modules=["nope"])
    with pytest.raises(ValidationError, match="nope"):
        token.full_clean()
    token.modules = "indicators"
    with pytest.raises(ValidationError):
        token.full_clean()
    token.modules = ["indicators", "roadmap"]
    token.full_clean()


def test_create_token_takes_modules_and_refuses_unknown_ones(organisation: Organisation) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "api", "create-token", "Capteurs", "--organisation", organisation.siren,
        "--module", "indicators", "--module", "indicators", stdout=out, stderr=err,
    )  # fmt: skip
    token = ApiToken.objects.get(name="Capteurs")
    assert token.modules == ["indicators"]
    assert "modules indicators" in err.getvalue()
    with pytest.raises(CommandError, match="unknown module") as raised:
        call_command("api", "create-token", "X", "--organisation", organisation.siren, "--module", "nope")
    assert raised.value.returncode == 2


def test_an_unrestricted_token_still_needs_write_rights(
    client: Client, organisation: Organisation, make_token: Callable[..., Any]
) -> None:
    raw = make_token(organisation, write=False, modules=["indicators"])
    response = client.post("/api/v1/measurements", data=BATCH, content_type="application/json", **bearer(raw))
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_an_open311_key_of_the_whole_installation_opens_no_json_api_endpoint(
    rf: Any, organisation: Organisation
) -> None:
    """An Open311 application's key is a token limited to reports; without an organisation
    it is valid for Open311 only, which the JSON API (scoped by organisation) refuses."""
    from territoire.api.auth import TokenAuth

    token, raw = ApiToken.issue(name="Appli", can_write=True, modules=["reports"])
    token.full_clean()
    for module in (None, "reports", "indicators"):
        assert TokenAuth(module).authenticate(rf.get("/"), raw) is None
    token.modules = []
    with pytest.raises(ValidationError, match="organisation"):
        token.full_clean()


@pytest.mark.parametrize("days", ["-1", "-365", "99999999"])
def test_create_token_refuses_a_validity_that_would_not_expire_or_overflow(
    organisation: Organisation, days: str
) -> None:
    # --days -1 used to issue a token that never expires, without a word.
    with pytest.raises(CommandError, match="--days") as raised:
        call_command(
            "api", "create-token", "X", "--organisation", organisation.siren, "--days", days,
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert raised.value.returncode == 2
    assert not ApiToken.objects.filter(name="X").exists()


def test_create_token_says_when_a_token_never_expires(organisation: Organisation) -> None:
    err = io.StringIO()
    call_command(
        "api", "create-token", "Y", "--organisation", organisation.siren, "--days", "0",
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert ApiToken.objects.get(name="Y").expires_at is None
    assert "never expires" in err.getvalue()
    call_command(
        "api", "create-token", "Z", "--organisation", organisation.siren, "--days", "1",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert ApiToken.objects.get(name="Z").expires_at is not None
