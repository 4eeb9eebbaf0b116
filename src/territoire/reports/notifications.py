"""E-mails to reporters when their report changes (queued after commit, sent by a worker).

The message names the report's category, its new status and the service's public answer,
with the link to the report's public page; it never carries anyone else's data. The
backend is Django's (console or file in the demo, SMTP in production).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from territoire.core.mail import send_later
from territoire.reports.models import EventKind, Report, ReportEvent

logger = logging.getLogger(__name__)

# The public page of a report, by url name (defined by the module's urls.py).
PUBLIC_URL_NAME = "reports-detail"


def public_report_url(report: Report) -> str:
    """Absolute URL of the report's public page (``TERRITOIRE["SITE_URL"]`` + path)."""
    base = str(settings.TERRITOIRE.get("SITE_URL", "http://localhost:8000")).rstrip("/")
    try:
        with translation.override("fr"):
            path = reverse(PUBLIC_URL_NAME, kwargs={"public_id": report.public_id})
    except NoReverseMatch:
        path = f"/signalements/{report.public_id}/"
    return base + path


def send_acknowledgement(report: Report) -> bool:
    """Queue the acknowledgement of a new report to its author's confirmed address.

    Called inside the transaction that stores the report (a verified resident's address)
    or confirms its address: ``send_later`` queues it once that transaction commits. It
    names the report's reference, to quote on the phone, and the link to its page.
    """
    if not report.email or report.email_confirmed_at is None:
        # Never mail an address its owner has not confirmed (anyone can type anyone's).
        return False
    with translation.override("fr"):
        subject = _("Signalement %(reference)s bien reçu") % {"reference": report.reference or ""}
        lines = [
            _("Bonjour,"),
            "",
            _("Nous avons bien reçu votre signalement « %(category)s » déposé le %(date)s à %(commune)s.")
            % {
                "category": report.category.name,
                "date": timezone.localtime(report.requested_at).strftime("%d/%m/%Y"),
                "commune": report.commune.name,
            },
            _("Sa référence : %(reference)s. Rappelez-la si vous contactez la mairie.")
            % {"reference": report.reference or ""},
            "",
            _("Suivre le signalement : %(url)s") % {"url": public_report_url(report)},
            _("Vous serez prévenu par e-mail de chaque changement de statut et des réponses du service."),
            "",
            _(
                "Ce message est envoyé automatiquement ; vous le recevez parce que vous avez laissé votre adresse."
            ),
        ]
    return send_later(subject, "\n".join(lines), [report.email]) == 1


def notify_reporter(report_id: int, event_id: int) -> bool:
    """Send the reporter the news of ``event_id``; False when there is no one to tell.

    Runs after commit: a failure (mail server, URL configuration) is logged, never raised,
    so the staff member's change, already saved, is not answered with an error.
    """
    try:
        return _notify_reporter(report_id, event_id)
    except Exception:
        logger.exception("reports: notification of report %s failed", report_id)
        return False


def _notify_reporter(report_id: int, event_id: int) -> bool:
    report = Report.objects.select_related("category", "status", "commune").filter(pk=report_id).first()
    event = ReportEvent.objects.select_related("to_status").filter(pk=event_id, report_id=report_id).first()
    if report is None or event is None or not report.email or report.hidden:
        return False
    if report.email_confirmed_at is None:
        # Never mail an address its owner has not confirmed (anyone can type anyone's).
        return False
    with translation.override("fr"):
        if event.kind == EventKind.STATUS and event.to_status is not None:
            subject = _("Votre signalement « %(category)s » : %(status)s") % {
                "category": report.category.name,
                "status": event.to_status.label,
            }
        else:
            subject = _("Votre signalement « %(category)s » : réponse du service") % {
                "category": report.category.name
            }
        lines = [
            _("Bonjour,"),
            "",
            _("Votre signalement « %(category)s » déposé le %(date)s à %(commune)s a évolué.")
            % {
                "category": report.category.name,
                "date": timezone.localtime(report.requested_at).strftime("%d/%m/%Y"),
                "commune": report.commune.name,
            },
            _("Statut : %(status)s") % {"status": report.status.label},
        ]
        if event.message and event.is_public:
            lines += ["", _("Réponse du service :"), event.message]
        lines += [
            "",
            _("Suivre le signalement : %(url)s") % {"url": public_report_url(report)},
            "",
            _(
                "Ce message est envoyé automatiquement ; vous le recevez parce que vous avez laissé votre adresse."
            ),
        ]
    send_later(subject, "\n".join(lines), [report.email])
    return True
