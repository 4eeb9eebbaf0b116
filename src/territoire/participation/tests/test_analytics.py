"""Engagement analytics: suppression of small counts, including by subtraction from a
published total; representativeness; themes; query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from territoire.participation import selectors, services
from territoire.participation.models import QuestionKind
from territoire.participation.tests.factories import make_participant, make_zone
from territoire.territory.models import Commune, Organisation


def _respond(organisation: Organisation, people: list[Any], theme: str = "Mobilités") -> None:
    now = timezone.now()
    c = services.create_consultation(
        organisation,
        title="Avis",
        theme=theme,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=1),
        residence="any",
    )
    q = services.add_question(c, kind=QuestionKind.SCALE, text="Note", scale_min=1, scale_max=5)
    for p in people:
        services.submit_response(p, c, {q.pk: 3})


def _no_recovery(cells: dict[Any, int | None], total: int | None) -> None:
    """With the total published, no hidden cell is alone (it would be total − the rest)."""
    hidden = [key for key, value in cells.items() if value is None]
    if total is not None:
        assert len(hidden) != 1, f"{hidden[0]} = total − published cells"


def test_zone_counts_cannot_be_recovered_by_subtraction(organisation: Organisation, commune: Commune) -> None:
    nord, sud, est = (make_zone(commune, code, population=1000) for code in ("nord", "sud", "est"))
    people = (
        [make_participant(commune, zone=nord) for _ in range(7)]
        + [make_participant(commune, zone=sud) for _ in range(2)]
        + [make_participant(commune, zone=est) for _ in range(6)]
    )
    _respond(organisation, people)
    a = selectors.engagement_analytics(organisation, k=5)
    zones = {z.zone: z.participants for z in a.zones}
    # Sud (2) is below k; est (6) or nord (7) must be hidden too, since the zones' total (15)
    # is published through the territory's rate and the total of participants.
    assert zones["Sud (Alpha)"] is None
    assert sum(1 for v in zones.values() if v is None) >= 2
    assert all(z.rate_percent is None for z in a.zones if z.participants is None)
    assert a.participants_total == 15
    _no_recovery(zones, a.participants_total)
    _no_recovery(a.age_observed, a.participants_total)


def test_age_profile_and_unknown_band(organisation: Organisation, commune: Commune) -> None:
    people = [make_participant(commune, birth_year=None, age_band="30-44") for _ in range(6)]
    people += [make_participant(commune, birth_year=None, age_band="60-74") for _ in range(6)]
    people += [make_participant(commune, birth_year=None) for _ in range(2)]  # no band declared
    _respond(organisation, people)
    services.set_reference_population(commune, "age_band", {"30-44": 500, "60-74": 500})
    a = selectors.engagement_analytics(organisation, k=5)
    # The two without a band are a hidden cell; one more cell is hidden so the total
    # (14) does not give them back.
    assert a.age_observed[""] is None
    _no_recovery(a.age_observed, a.participants_total)
    assert a.representativeness == 1  # 6/12 and 6/12 against 500/1000 and 500/1000


def test_themes_and_low_engagement(organisation: Organisation, commune: Commune) -> None:
    busy, quiet = make_zone(commune, "busy", population=100), make_zone(commune, "quiet", population=1000)
    _respond(organisation, [make_participant(commune, zone=busy) for _ in range(10)], theme="Mobilités")
    _respond(organisation, [make_participant(commune, zone=quiet) for _ in range(5)], theme="Culture")
    a = selectors.engagement_analytics(organisation, k=5)
    assert [t[0] for t in a.themes] == ["Mobilités", "Culture"]
    assert [z.zone for z in a.low_zones] == ["Quiet (Alpha)"]


def test_analytics_query_count_is_bounded(
    organisation: Organisation, commune: Commune, django_assert_max_num_queries: Any
) -> None:
    zone = make_zone(commune, "nord")
    _respond(organisation, [make_participant(commune, zone=zone) for _ in range(30)])
    with django_assert_max_num_queries(12):
        selectors.engagement_analytics(organisation)


def test_analytics_send_no_list_of_participants_back_to_the_database(
    organisation: Organisation, commune: Commune
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    zone = make_zone(commune, "nord")
    few = [make_participant(commune, zone=zone) for _ in range(6)]
    _respond(organisation, few)
    with CaptureQueriesContext(connection) as small:
        selectors.engagement_analytics(organisation)
    _respond(organisation, [make_participant(commune, zone=zone) for _ in range(24)], theme="Écoles")
    with CaptureQueriesContext(connection) as large:
        analytics = selectors.engagement_analytics(organisation)
    # Participants are counted and grouped in the database (subqueries): the SQL does not
    # grow with their number, so a city with 100,000 participants works on SQLite too.
    assert [len(q["sql"]) for q in large.captured_queries] == [len(q["sql"]) for q in small.captured_queries]
    assert analytics.participants_total == 30
