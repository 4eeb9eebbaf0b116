"""Residents' "+1" on a report, and the followers e-mailed when it changes."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.reports.models import (
    VERSION_KEY,
    EventKind,
    Report,
    ReportEvent,
    Support,
)
from territoire.reports.services.errors import FieldError, ReportError
from territoire.reports.services.history import record_event

if TYPE_CHECKING:
    pass


def supporter_fingerprint(identity: str) -> str:
    """A keyed hash of whatever identifies a supporter (session, e-mail): nothing stored in clear."""
    return hmac.new(
        settings.SECRET_KEY.encode(), identity.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def support_report(
    report: Report, identity: str, *, email: str | None = None, ip_address: str | None = None
) -> bool:
    """Add a "+1" from ``identity`` (hashed); idempotent. Returns True if it was new.

    ``email`` (optional) makes the supporter a follower of the report: they are e-mailed
    when its status changes or the service answers, like the reporter. The address is
    personal data: stored on the support, never shown. Giving it on a second "+1" from the
    same supporter adds it to the existing support (the "+1" itself is not counted twice).
    """
    if not identity.strip():
        raise ReportError(FieldError("identity", _("Soutien anonyme impossible.")))
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
            if len(email) > 254:
                raise DjangoValidationError("too long")
        except DjangoValidationError:
            raise ReportError(FieldError("email", _("Adresse e-mail invalide."))) from None
    fingerprint = supporter_fingerprint(identity)
    with action(
        "reports.supported",
        actor_label="public",
        obj=report,
        organisation_id=report.organisation_id,
        changes={"follows": bool(email)},
        ip_address=ip_address,
        versions=(VERSION_KEY,),
    ) as act:
        current = (
            Report.objects.select_for_update().filter(pk=report.pk).only("id", "hidden", "is_open").first()
        )
        if current is None or current.hidden or not current.is_open:
            raise ReportError(FieldError("report", _("Ce signalement ne peut plus être soutenu.")))
        existing = Support.objects.filter(report_id=report.pk, fingerprint=fingerprint).first()
        if existing is not None:
            # Not a new "+1": nothing to audit, no page changes.
            act.audited, act.versions = False, ()
            if email and existing.email != email:
                existing.email = email
                existing.save(update_fields=["email"])
            return False
        try:
            with transaction.atomic():
                Support.objects.create(report_id=report.pk, fingerprint=fingerprint, email=email)
        except IntegrityError:  # the same supporter, at the same instant
            act.audited, act.versions = False, ()
            return False
        Report.objects.filter(pk=report.pk).update(supporters_count=F("supporters_count") + 1)
        record_event(report, EventKind.SUPPORT, is_public=True)
    report.refresh_from_db(fields=["supporters_count"])
    return True


def followers_of(report: Report | int) -> list[str]:
    """The e-mail addresses of the report's followers (supporters who left one); personal data."""
    report_id = report if isinstance(report, int) else report.pk
    return sorted(
        set(Support.objects.filter(report_id=report_id).exclude(email="").values_list("email", flat=True))
    )


def notify_followers(report_id: int, event_id: int) -> int:
    """E-mail the followers of a report the news of ``event_id``, one message each (after commit).

    Each follower gets their own message (no one sees another's address). Failures are
    logged, never raised. Returns the number of messages sent.
    """
    import logging

    from django.core.mail import send_mass_mail
    from django.utils import translation

    from territoire.reports import notifications

    try:
        report = Report.objects.select_related("category", "status", "commune").filter(pk=report_id).first()
        event = (
            ReportEvent.objects.select_related("to_status").filter(pk=event_id, report_id=report_id).first()
        )
        if report is None or event is None or report.hidden:
            return 0
        recipients = [e for e in followers_of(report_id) if e.lower() != report.email.lower()]
        if not recipients:
            return 0
        with translation.override("fr"):
            subject = _("Signalement suivi « %(category)s » : %(status)s") % {
                "category": report.category.name,
                "status": report.status.label,
            }
            lines = [
                _("Bonjour,"),
                "",
                _("Le signalement « %(category)s » à %(commune)s, que vous soutenez, a évolué.")
                % {"category": report.category.name, "commune": report.commune.name},
                _("Statut : %(status)s") % {"status": report.status.label},
            ]
            if event.message and event.is_public:
                lines += ["", _("Réponse du service :"), event.message]
            lines += [
                "",
                _("Suivre le signalement : %(url)s") % {"url": notifications.public_report_url(report)},
                "",
                _(
                    "Ce message est envoyé automatiquement ; vous le recevez parce que vous avez laissé votre adresse."
                ),
            ]
        body = "\n".join(lines)
        return int(send_mass_mail([(subject, body, None, [r]) for r in recipients], fail_silently=False))
    except Exception:
        logging.getLogger(__name__).exception("reports: notification of followers of %s failed", report_id)
        return 0
