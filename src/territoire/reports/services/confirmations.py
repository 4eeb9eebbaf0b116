"""Confirm an address before mailing it, and before counting a "+1" given with it.

Anyone can type anyone's address in a report form, an Open311 request or a "+1": the
platform mails an address (and counts a supporter by it) only once its owner opened the
link of a confirmation e-mail. The link carries a signed token (``django.core.signing``,
expiring after ``REPORTS_EMAIL_TOKEN_HOURS``) naming the report and the address, so
nothing is stored before the confirmation. One confirmation per address and report; an
address that is the verified account of a resident needs none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.core.emails import normalise_email
from territoire.core.mail import send_later
from territoire.reports import notifications
from territoire.reports.models import Report
from territoire.reports.services.errors import FieldError, ReportError
from territoire.reports.services.supports import email_identity, support_report

_SALT = "territoire.reports.email-confirmation"
REPORTER = "r"
SUPPORTER = "s"


def token_max_age_seconds() -> int:
    return int(settings.TERRITOIRE.get("REPORTS_EMAIL_TOKEN_HOURS", 72)) * 3600


def normalised(email: str) -> str:
    """The normal form of a typed address, or a ``ReportError`` on the ``email`` field."""
    try:
        return normalise_email(email)
    except DjangoValidationError:
        raise ReportError(FieldError("email", _("Adresse e-mail invalide."))) from None


def is_verified_account(email: str) -> bool:
    """The address is the verified account of a resident (confirmed once for all)."""
    if not email or not apps.is_installed("territoire.participation"):
        return False
    return (
        get_user_model()
        .objects.filter(email=email, is_staff=False, participant__email_verified_at__isnull=False)
        .exists()
    )


def _link(token: str) -> str:
    base = str(settings.TERRITOIRE.get("SITE_URL", "http://localhost:8000")).rstrip("/")
    try:
        with translation.override("fr"):
            path = reverse("reports-confirm-email", kwargs={"token": token})
    except NoReverseMatch:  # a URL configuration without the public pages (API-only tests)
        path = f"/signalements/confirmer/{token}/"
    return base + path


def _send(email: str, report: Report, kind: str, *, follow: bool = False) -> None:
    token = signing.dumps({"k": kind, "r": report.pk, "e": email, "f": follow}, salt=_SALT)
    with translation.override("fr"):
        if kind == REPORTER:
            subject = _("Confirmez votre adresse pour suivre votre signalement")
            intro = _("Vous avez déposé un signalement « %(category)s » (référence %(reference)s).")
        else:
            subject = _("Confirmez votre soutien au signalement")
            intro = _("Vous avez soutenu le signalement « %(category)s ».")
        body = "\n".join(
            [
                _("Bonjour,"),
                "",
                intro % {"category": report.category.name, "reference": report.reference or ""},
                _("Pour confirmer votre adresse, ouvrez ce lien :"),
                _link(token),
                "",
                _("Si vous n'êtes pas à l'origine de cette demande, ignorez ce message."),
            ]
        )
    send_later(subject, body, [email])


def request_reporter_confirmation(report: Report) -> None:
    """After a report is stored with an address (inside its action): confirmed at once for
    a verified resident's address, else a confirmation e-mail is queued."""
    if not report.email or report.email_confirmed_at is not None:
        return
    if is_verified_account(report.email):
        report.email_confirmed_at = timezone.now()
        Report.objects.filter(pk=report.pk).update(email_confirmed_at=report.email_confirmed_at)
        notifications.send_acknowledgement(report)
        return
    _send(report.email, report, REPORTER)


def request_support(report: Report, email: str, *, follow: bool) -> str:
    """A "+1" given with an address: counted once the address is confirmed (link e-mailed).

    Returns the normal form of the address. Nothing is stored until the confirmation.
    """
    address = normalised(email)
    if report.hidden or not report.is_open:
        raise ReportError(FieldError("report", _("Ce signalement ne peut plus être soutenu.")))
    _send(address, report, SUPPORTER, follow=follow)
    return address


@dataclass(frozen=True)
class Confirmation:
    kind: str
    report: Report
    counted: bool = False
    # The supporter's address is the report's own author's: not counted twice.
    own: bool = False


def confirm(token: str, *, ip_address: str | None = None) -> Confirmation:
    """Open a confirmation link; idempotent. ``ReportError`` for a bad or expired link."""
    invalid = ReportError(FieldError("token", _("Lien de confirmation invalide ou expiré.")))
    try:
        data: Any = signing.loads(token, salt=_SALT, max_age=token_max_age_seconds())
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or data.get("k") not in (REPORTER, SUPPORTER):
        raise invalid
    report_id, email = data.get("r"), str(data.get("e") or "")
    report = Report.objects.filter(pk=report_id).first() if isinstance(report_id, int) else None
    if report is None or not email:
        raise invalid
    if data["k"] == REPORTER:
        if report.email != email:
            raise invalid
        with action(
            "reports.email_confirmed",
            actor_label="public",
            obj=report,
            organisation_id=report.organisation_id,
            ip_address=ip_address,
            versions=(),
        ):
            now = timezone.now()
            first = Report.objects.filter(pk=report.pk, email=email, email_confirmed_at__isnull=True).update(
                email_confirmed_at=now
            )
            if first:
                # The acknowledgement waited for the address to be confirmed.
                report.email_confirmed_at = now
                notifications.send_acknowledgement(report)
        return Confirmation(REPORTER, report)
    if report.email and report.email == email:
        return Confirmation(SUPPORTER, report, own=True)
    counted = support_report(
        report,
        email_identity(report, email),
        email=email if data.get("f") else None,
        email_confirmed=True,
        ip_address=ip_address,
    )
    return Confirmation(SUPPORTER, report, counted=counted)
