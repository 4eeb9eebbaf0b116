"""Short references of reports, readable over the phone: ``VAL-2026-00123``.

The organisation's prefix (three letters of its short name), the year the report was
filed (local time) and a number that starts again at 1 each year for each organisation.
The number comes from ``ReportCounter``: an ``UPDATE … SET last = last + n`` locks the
row until the caller's transaction commits, so a concurrent report waits and takes the
next number; the year's first report creates the row (an insert that ignores a conflict,
so two first reports of a year do not fail) and increments it. The unique constraint on
(organisation, reference) guards the result. The public id (a UUID) stays the report's
identifier everywhere else; the reference is for people.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from territoire.reports.models import Report, ReportCounter
from territoire.territory.models import Organisation

DEFAULT_PREFIX = "SIG"
_REFERENCE = re.compile(r"^\s*([A-Za-z]{1,3})\s*[-\s]?\s*(\d{4})\s*[-\s]?\s*(\d{1,9})\s*$")


def prefix_of(organisation: Organisation) -> str:
    """Three capital letters from the organisation's short name (``val-de-loire`` → ``VAL``)."""
    letters = re.sub(r"[^A-Za-z]", "", organisation.slug or "")
    return (letters[:3] or DEFAULT_PREFIX).upper()


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:05d}"


def allocate(organisation: Organisation, at: datetime | None = None, count: int = 1) -> list[str]:
    """Reserve ``count`` consecutive references of ``organisation`` for the year of ``at``.

    Must run inside the transaction that stores the reports (``core.actions.action``):
    the counter's row stays locked until it commits.
    """
    year = timezone.localtime(at or timezone.now()).year
    counter = ReportCounter.objects.filter(organisation=organisation, year=year)
    # Two queries on the usual path (the year's counter exists): the increment, which
    # locks the row until commit, then the read of the new value.
    if not counter.update(last=F("last") + count):
        # The year's first report: create the row, ignoring a concurrent creation.
        ReportCounter.objects.bulk_create(
            [ReportCounter(organisation=organisation, year=year, last=0)], ignore_conflicts=True
        )
        counter.update(last=F("last") + count)
    last = counter.values_list("last", flat=True).get()
    prefix = prefix_of(organisation)
    return [format_reference(prefix, year, number) for number in range(last - count + 1, last + 1)]


def normalise_reference(text: str) -> str | None:
    """A reference as staff may type it (``val 2026 123``, ``VAL-2026-00123``) in its
    stored form, or None if it does not look like one."""
    found = _REFERENCE.fullmatch(text or "")
    if found is None:
        return None
    prefix, year, number = found.groups()
    return format_reference(prefix.upper(), int(year), int(number))


def assign(reports: list[Report]) -> None:
    """Give unsaved reports (a bulk insert: the demo) their references, oldest first per
    organisation and year, one counter update per organisation and year."""
    groups: dict[tuple[int, int], list[Report]] = {}
    for report in reports:
        year = timezone.localtime(report.requested_at).year
        groups.setdefault((report.organisation_id, year), []).append(report)
    for (_organisation_id, _year), members in groups.items():
        members.sort(key=lambda r: r.requested_at)
        given = allocate(members[0].organisation, members[0].requested_at, count=len(members))
        for report, reference in zip(members, given, strict=True):
            report.reference = reference
