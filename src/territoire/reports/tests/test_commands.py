"""territoire reports create-api-key | revoke-api-key | list-api-keys | plan-round | process-queue"""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from territoire.api.models import ApiToken
from territoire.reports import services
from territoire.reports.models import QueuedRequest, Report, Round
from territoire.reports.tests.conftest import ALPHA_SUD, Territory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("reports", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_list_revoke_api_key(db: Any) -> None:
    output = run("create-api-key", "Appli citoyenne")
    raw = output.strip().splitlines()[-1]
    key = ApiToken.objects.get(name="Appli citoyenne")
    assert key.modules == ["reports"]
    assert raw.startswith(key.key_prefix)
    assert key.key_hash != raw
    assert services.authenticate_api_key(raw) == key
    listing = run("list-api-keys")
    assert key.key_prefix in listing
    assert "active" in listing
    assert raw not in listing
    assert "revoked" in run("revoke-api-key", key.key_prefix)
    assert services.authenticate_api_key(raw) is None
    assert "revoked" in run("list-api-keys")


def test_api_key_for_an_organisation(organisation: Any) -> None:
    run("create-api-key", "Appli", "--organisation", organisation.siren)
    assert ApiToken.objects.get().organisation == organisation
    with pytest.raises(CommandError, match="SIREN"):
        run("create-api-key", "Appli", "--organisation", "999999999")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("revoke-api-key", "trt_inconnu"), "Aucune clé"),
        (("revoke-api-key", "o3"), "8 characters"),
        (("create-api-key", "  "), "obligatoire"),
        (("plan-round", "--crew", "Fantôme", "--date", "2026-06-02"), "no crew"),
        (("plan-round", "--crew", "Équipe voirie", "--date", "02/06/2026"), "YYYY-MM-DD"),
        (("process-queue", "--limit", "0"), "--limit"),
    ],
)
def test_bad_input(territory: Territory, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        run(*args)
    assert caught.value.returncode == 2


def test_plan_round(territory: Territory, make_report: Callable[..., Report], make_staff: Any) -> None:
    staff = make_staff(territory.organisation)
    for i in range(5):
        report = make_report(
            (47.001 + i * 0.0015, 2.001 + (i % 2) * 0.003), address_string=f"{i} rue du Port"
        )
        services.assign_crew(report, territory.crew, actor=staff)
    output = run("plan-round", "--crew", "Équipe voirie", "--date", "2026-06-02", "--time-limit", "0.5")
    planned = Round.objects.get()
    assert "Nid-de-poule" in output
    assert "0 rue du Port" in output
    assert "nearest neighbour" in output
    assert "saving" in output
    assert f"{planned.distance_m / 1000:.2f} km" in output
    assert str(planned.public_id) in output


def test_plan_round_ambiguous_crew(territory: Territory, other_organisation: Any) -> None:
    services.save_crew(organisation=other_organisation, name="Équipe voirie", depot_lat=45, depot_lon=1)
    with pytest.raises(CommandError, match="--organisation"):
        run("plan-round", "--crew", "Équipe voirie", "--date", "2026-06-02")
    output = run(
        "plan-round", "--crew", "Équipe voirie", "--date", "2026-06-02", "--organisation", "200000001"
    )
    assert "Planned: 0.00 km" in output


def test_process_queue(territory: Territory) -> None:
    services.submit_open311(
        {"service_code": "encombrants", "lat": str(ALPHA_SUD[0]), "long": str(ALPHA_SUD[1])},
        api_key=territory.api_key,
    )
    assert "1 queued request(s) turned into reports" in run("process-queue")
    assert QueuedRequest.objects.get().report == Report.objects.get()


def test_queue_task_is_periodic(territory: Territory) -> None:
    from territoire.core.scheduler import jobs
    from territoire.reports.tasks import process_report_queue

    assert "reports.process_queue" in jobs()
    services.submit_open311(
        {"service_code": "encombrants", "lat": str(ALPHA_SUD[0]), "long": str(ALPHA_SUD[1])},
        api_key=territory.api_key,
    )
    assert process_report_queue.call() == {"created": 1, "failed": 0}
