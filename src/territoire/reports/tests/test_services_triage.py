"""Triage, moderation, "+1", rounds and keys: rights, history, audit, notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from territoire.api.models import ApiToken
from territoire.core.models import AuditEvent
from territoire.core.uploads import sanitise_image
from territoire.reports import selectors, services
from territoire.reports.models import EventKind, Report, ReportEvent, ReportStatus, RoundStop
from territoire.reports.tests.conftest import ALPHA_NORD, BETA, Territory, jpeg_bytes
from territoire.territory.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(territory: Territory, make_staff: Any) -> Any:
    return make_staff(territory.organisation, role=Role.AGENT)


def test_default_statuses_for_every_new_organisation(territory: Territory, other_organisation: Any) -> None:
    for org in (territory.organisation, other_organisation):
        statuses = selectors.statuses_of(org)
        assert [s.code for s in statuses] == [
            "nouveau",
            "pris-en-compte",
            "planifie",
            "en-cours",
            "resolu",
            "non-pertinent",
            "doublon",
        ]
        assert [s.open311_state for s in statuses] == ["open"] * 4 + ["closed"] * 3
        assert [s.code for s in statuses if s.requires_answer] == ["resolu", "non-pertinent", "doublon"]
    assert services.ensure_default_statuses(territory.organisation)  # idempotent
    assert ReportStatus.objects.filter(organisation=territory.organisation).count() == 7


def test_closing_requires_a_reasoned_answer(
    make_report: Callable[..., Report], agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    report = make_report(email="resident@example.org")
    with pytest.raises(services.ReportError) as caught:
        services.change_status(report, "resolu", actor=agent)
    assert "answer" in caught.value.by_field()
    report.refresh_from_db()
    assert report.is_open
    assert report.status.code == "nouveau"
    with capture(execute=True):
        services.change_status(report, "resolu", actor=agent, answer="Trou rebouché.")
    report.refresh_from_db()
    assert not report.is_open
    assert report.closed_at is not None
    assert report.status_notes == "Trou rebouché."
    event = ReportEvent.objects.get(report=report, kind=EventKind.STATUS)
    assert event.from_status is not None
    assert event.to_status is not None
    assert (event.actor, event.from_status.code, event.to_status.code) == (agent, "nouveau", "resolu")
    assert AuditEvent.objects.filter(action="reports.status_changed", actor=agent).exists()
    # The reporter is told, with the link to the public page, and nothing else personal.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["resident@example.org"]
    assert "Trou rebouché." in message.body
    assert str(report.public_id) in message.body
    assert agent.email not in message.body
    assert agent.last_name not in message.body
    # Reopening clears closed_at.
    services.change_status(report, "en-cours", actor=agent)
    report.refresh_from_db()
    assert report.is_open
    assert report.closed_at is None


def test_no_mail_without_email(
    make_report: Callable[..., Report], agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    report = make_report()
    with capture(execute=True):
        services.change_status(report, "pris-en-compte", actor=agent)
    assert mail.outbox == []


def test_public_answer_and_internal_note(
    make_report: Callable[..., Report], agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    report = make_report(email="resident@example.org")
    with capture(execute=True):
        services.add_answer(report, "Intervention prévue mardi.", actor=agent)
        services.add_answer(report, "Voir avec le SIVOM", actor=agent, public=False)
    report.refresh_from_db()
    assert report.status_notes == "Intervention prévue mardi."
    assert len(mail.outbox) == 1
    public = selectors.report_history(report)
    assert [e.kind for e in public] == ["submitted", "answer"]
    assert all(e.actor == "" for e in public)
    staff = selectors.report_history(report, public_only=False)
    assert [e.kind for e in staff] == ["submitted", "answer", "note"]
    assert staff[-1].actor == agent.username


@pytest.mark.parametrize(
    ("role", "commune_code", "outcome"),
    [
        (Role.AGENT, None, "ok"),
        (Role.CHEF_PROJET, None, "ok"),
        (Role.ADMINISTRATEUR, None, "ok"),
        (Role.AGENT, "99101", "ok"),
        (Role.AGENT, "99102", "404"),
        (Role.ELU, None, "403"),
        (Role.DPO, None, "403"),
        ("other", None, "404"),
        ("anonymous", None, "404"),
    ],
)
def test_triage_rights(
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Any,
    other_organisation: Any,
    role: str,
    commune_code: str | None,
    outcome: str,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from territoire.territory.models import Commune

    report = make_report()
    if role == "other":
        actor = make_staff(other_organisation, role=Role.ADMINISTRATEUR)
    elif role == "anonymous":
        actor = AnonymousUser()
    else:
        commune = Commune.objects.get(insee_code=commune_code) if commune_code else None
        actor = make_staff(territory.organisation, role=role, commune=commune)
    expected: type[Exception] | None = {"ok": None, "404": Http404, "403": PermissionDenied}[outcome]
    if expected is None:
        services.change_status(report, "pris-en-compte", actor=actor)
        report.refresh_from_db()
        assert report.status.code == "pris-en-compte"
    else:
        with pytest.raises(expected):
            services.change_status(report, "pris-en-compte", actor=actor)
        report.refresh_from_db()
        assert report.status.code == "nouveau"


def test_moderation_rights_include_the_dpo(
    territory: Territory, make_report: Callable[..., Report], make_staff: Any
) -> None:
    report = make_report()
    dpo = make_staff(territory.organisation, role=Role.DPO)
    services.hide_report(report, "Données personnelles dans la description", actor=dpo)
    elu = make_staff(territory.organisation, role=Role.ELU)
    with pytest.raises(PermissionDenied):
        services.unhide_report(report, actor=elu)


def test_status_of_another_organisation_is_refused(
    make_report: Callable[..., Report], agent: Any, other_organisation: Any
) -> None:
    report = make_report()
    foreign = ReportStatus.objects.get(organisation=other_organisation, code="pris-en-compte")
    with pytest.raises(services.ReportError):
        services.change_status(report, foreign, actor=agent)
    with pytest.raises(services.ReportError):
        services.change_status(report, "inconnu", actor=agent)


def test_assign_crew_and_category(
    territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    report = make_report()
    services.assign_crew(report, territory.crew, actor=agent)
    report.refresh_from_db()
    assert report.crew == territory.crew
    services.change_category(report, territory.eclairage, actor=agent)
    report.refresh_from_db()
    assert report.category == territory.eclairage
    assert report.due_at == report.requested_at + timedelta(days=3)
    kinds = [e.kind for e in selectors.report_history(report, public_only=False)]
    assert kinds == ["submitted", "assignment", "category"]
    services.assign_crew(report, None, actor=agent)
    report.refresh_from_db()
    assert report.crew is None


def test_crew_of_another_organisation_is_refused(
    make_report: Callable[..., Report], agent: Any, other_organisation: Any
) -> None:
    foreign = services.save_crew(organisation=other_organisation, name="Autre", depot_lat=45, depot_lon=1)
    with pytest.raises(services.ReportError):
        services.assign_crew(make_report(), foreign, actor=agent)


def test_merge_duplicate_moves_supports(
    territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    target = make_report()
    source = make_report(email="second@example.org")
    assert services.support_report(source, "session-a")
    assert services.support_report(source, "session-b")
    assert services.support_report(target, "session-a")
    merged = services.merge_duplicate(source, target, actor=agent)
    source.refresh_from_db()
    assert source.duplicate_of == merged == target
    assert source.status.code == "doublon"
    assert not source.is_open
    assert str(target.public_id) in source.status_notes
    # a (already on target) + b moved + the source's reporter.
    assert merged.supporters_count == 3
    assert source.supports.count() == 0
    with pytest.raises(services.ReportError):
        services.merge_duplicate(target, target, actor=agent)
    other = make_report()
    with pytest.raises(services.ReportError):
        services.merge_duplicate(other, source, actor=agent)  # source is itself a duplicate


def test_support_is_idempotent(make_report: Callable[..., Report], agent: Any) -> None:
    report = make_report()
    assert services.support_report(report, "Session-X")
    assert not services.support_report(report, "session-x ")
    report.refresh_from_db()
    assert report.supporters_count == 1
    assert "session" not in report.supports.get().fingerprint
    services.change_status(report, "resolu", actor=agent, answer="Fait.")
    with pytest.raises(services.ReportError):
        services.support_report(report, "autre")


def test_duplicates_within_radius(
    territory: Territory, make_report: Callable[..., Report], settings: Any
) -> None:
    near = make_report((47.005, 2.005))
    make_report((47.005, 2.0056))  # ~45 m east
    make_report((47.0056, 2.005))  # ~67 m north: outside the default 50 m
    make_report((47.005, 2.005), service_code="eclairage")  # other category
    found = selectors.find_likely_duplicates(territory.voirie, 47.005, 2.005)
    assert next(c.report for c in found) == near
    assert len(found) == 2
    assert found[0].distance_m < 1 < found[1].distance_m < 50
    settings.TERRITOIRE = {**settings.TERRITOIRE, "REPORTS_DUPLICATE_RADIUS_M": 100}
    assert len(selectors.find_likely_duplicates(territory.voirie, 47.005, 2.005)) == 3


def test_hidden_report_leaves_public_reads(make_report: Callable[..., Report], agent: Any) -> None:
    report = make_report()
    services.hide_report(report, "Injurieux", actor=agent)
    assert selectors.get_public_report(report.public_id) is None
    assert not selectors.public_reports().exists()
    with pytest.raises(services.ReportError):
        services.hide_report(report, "  ", actor=agent)
    services.unhide_report(report, actor=agent)
    assert selectors.get_public_report(report.public_id) == report
    events = ReportEvent.objects.filter(report=report, kind__in=["hidden", "unhidden"])
    assert [e.is_public for e in events] == [False, False]


def test_photo_redaction(
    territory: Territory,
    make_report: Callable[..., Report],
    agent: Any,
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    capture = django_capture_on_commit_callbacks
    import io

    settings.MEDIA_ROOT = tmp_path
    report = make_report(photo=sanitise_image(io.BytesIO(jpeg_bytes())))
    photo = report.photos.get()
    path = Path(photo.file.path)
    assert path.is_file()
    assert selectors.get_public_photo(photo.public_id) == photo
    with pytest.raises(services.ReportError):
        services.redact_photo(photo, "", actor=agent)
    with capture(execute=True):
        services.redact_photo(photo, "Visage reconnaissable", actor=agent)
    photo.refresh_from_db()
    assert photo.redacted
    assert photo.redacted_reason == "Visage reconnaissable"
    assert not photo.file
    assert not path.exists()
    assert selectors.get_public_photo(photo.public_id) is None
    assert selectors.public_photos(report) == []


def test_triage_queue_with_overdue_flag(
    territory: Territory, make_report: Callable[..., Report], make_staff: Any
) -> None:
    old = make_report(requested_at=timezone.now() - timedelta(days=10))  # SLA 7 days: overdue
    fresh = make_report(ALPHA_NORD)
    beta = make_report(BETA, service_code="eclairage")
    admin = make_staff(territory.organisation, role=Role.ADMINISTRATEUR)
    queue = list(selectors.triage_queue(admin, territory.organisation))
    assert queue[0] == old
    assert queue[0].is_overdue  # type: ignore[attr-defined]
    assert {r.pk for r in queue} == {old.pk, fresh.pk, beta.pk}
    assert list(selectors.triage_queue(admin, territory.organisation, overdue_only=True)) == [old]
    assert list(selectors.triage_queue(admin, territory.organisation, team="Éclairage")) == [beta]
    local = make_staff(territory.organisation, role=Role.AGENT, commune=territory.beta)
    assert list(selectors.triage_queue(local, territory.organisation)) == [beta]
    counts = {
        (c["category__team"], c["commune__insee_code"]): (c["total"], c["overdue"])
        for c in selectors.queue_counts(admin, territory.organisation)
    }
    assert counts == {("Voirie", "99101"): (2, 1), ("Éclairage", "99102"): (1, 0)}


def test_status_state_change_follows_on_reports(
    territory: Territory, make_report: Callable[..., Report]
) -> None:
    report = make_report()
    status = ReportStatus.objects.get(organisation=territory.organisation, code="nouveau")
    with pytest.raises(services.ReportError):
        services.update_status(status, open311_state="closed")
    planned = ReportStatus.objects.get(organisation=territory.organisation, code="planifie")
    Report.objects.filter(pk=report.pk).update(status=planned)
    services.update_status(planned, open311_state="closed", label="Planifié (clos)")
    report.refresh_from_db()
    assert not report.is_open


def test_plan_round(territory: Territory, make_report: Callable[..., Report], agent: Any) -> None:
    reports = [make_report((47.001 + i * 0.001, 2.001 + (i % 3) * 0.002)) for i in range(6)]
    for r in reports:
        services.assign_crew(r, territory.crew, actor=agent)
    services.change_status(reports[0], "resolu", actor=agent, answer="Fait.")  # closed: not in the round
    planned = services.plan_round(territory.crew, date(2026, 6, 2), actor=agent, time_limit_s=0.5)
    stops = list(RoundStop.objects.filter(round=planned).order_by("position"))
    assert len(stops) == 5
    assert [s.position for s in stops] == [1, 2, 3, 4, 5]
    assert reports[0].pk not in {s.report_id for s in stops}
    assert planned.distance_m <= planned.baseline_distance_m + 1e-6
    assert planned.saving_percent is not None
    assert planned.saving_percent >= 0
    assert planned.geojson["type"] == "FeatureCollection"
    assert planned.service_minutes == 5 * 30


def test_plan_round_gives_each_planned_report_its_expected_time(
    territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    crew = services.save_crew(
        organisation=territory.organisation,
        name="Matin",
        depot_lat=47.0,
        depot_lon=2.0,
        shift_minutes=70,
        shift_start=time(7, 30),
    )
    reports = [make_report((47.002 + i * 0.001, 2.002)) for i in range(4)]
    for report in reports:
        services.assign_crew(report, crew, actor=agent)
    planned = services.plan_round(crew, date(2026, 6, 2), actor=agent, time_limit_s=0.5)
    stops = list(RoundStop.objects.filter(round=planned).order_by("left_over", "position"))
    visited = [s for s in stops if not s.left_over]
    start = timezone.make_aware(datetime(2026, 6, 2, 7, 30))
    assert visited
    times = [s.expected_at for s in visited]
    assert all(t is not None and start < t < start + timedelta(minutes=70) for t in times)
    assert times == sorted(times)
    for stop in stops:
        report = Report.objects.get(pk=stop.report_id)
        if stop.left_over:
            assert stop.expected_at is None
            assert report.expected_at is None  # left over: still to plan
            assert not report.events.filter(kind=EventKind.ROUND).exists()
        else:
            assert report.expected_at == stop.expected_at
            event = report.events.get(kind=EventKind.ROUND)
            assert event.is_public
            assert event.data["date"] == "2026-06-02"


def test_plan_round_lists_left_over(
    territory: Territory, make_report: Callable[..., Report], agent: Any
) -> None:
    crew = services.save_crew(
        organisation=territory.organisation, name="Courte", depot_lat=47.0, depot_lon=2.0, shift_minutes=70
    )
    for i in range(4):
        services.assign_crew(make_report((47.002 + i * 0.001, 2.002)), crew, actor=agent)
    planned = services.plan_round(crew, date(2026, 6, 2), actor=agent, time_limit_s=0.5)
    visited = RoundStop.objects.filter(round=planned, left_over=False).count()
    left = RoundStop.objects.filter(round=planned, left_over=True).count()
    assert visited + left == 4
    assert left >= 2
    assert visited >= 1


def test_plan_round_rights(territory: Territory, make_staff: Any, other_organisation: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.plan_round(
            territory.crew, date(2026, 6, 2), actor=make_staff(territory.organisation, role=Role.ELU)
        )
    with pytest.raises(Http404):
        services.plan_round(territory.crew, date(2026, 6, 2), actor=make_staff(other_organisation))


def test_api_keys(territory: Territory) -> None:
    key, raw = services.create_api_key("Appli citoyenne")
    assert raw.startswith("trt_")
    assert key.modules == ["reports"]
    assert key.can_write
    assert len(raw) >= 40
    assert key.key_hash != raw
    assert raw not in key.key_hash
    assert services.authenticate_api_key(raw) == key
    assert services.authenticate_api_key(raw + "x") is None
    with pytest.raises(services.ReportError):
        services.revoke_api_key("trt_")
    services.revoke_api_key(key.key_prefix)
    assert services.authenticate_api_key(raw) is None
    assert ApiToken.objects.get(pk=key.pk).revoked_at is not None
    with pytest.raises(services.ReportError):
        services.create_api_key("  ")


def test_listings_have_bounded_query_counts(
    territory: Territory,
    make_report: Callable[..., Report],
    make_staff: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(8):
        make_report((47.001 + i * 0.001, 2.005), service_code="voirie" if i % 2 else "eclairage")
    admin = make_staff(territory.organisation, role=Role.ADMINISTRATEUR)
    with django_assert_max_num_queries(2):
        rows = [
            (r.category.name, r.status.label, r.commune.name, r.zone, r.crew, r.is_overdue)  # type: ignore[attr-defined]
            for r in selectors.triage_queue(admin, territory.organisation)
        ]
    assert len(rows) == 8
    with django_assert_max_num_queries(1):
        public = [
            (r.category.name, r.status.label, r.commune.name, r.zone) for r in selectors.public_reports()
        ]
    assert len(public) == 8
    with django_assert_max_num_queries(1):
        assert len(selectors.find_likely_duplicates(territory.voirie, 47.003, 2.005, radius_m=500)) == 3


def test_notification_failure_does_not_break_triage(
    make_report: Callable[..., Report], agent: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from territoire.core import mail as core_mail

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("smtp down")

    # The send fails in the task (retried, then given up), never in the staff's request.
    monkeypatch.setattr(core_mail, "send_mail", broken)
    report = make_report(email="resident@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(report, "pris-en-compte", actor=agent)
    report.refresh_from_db()
    assert report.status.code == "pris-en-compte"
    assert mail.outbox == []
