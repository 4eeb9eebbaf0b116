"""Residents' "+1" on a report, and the followers e-mailed when it changes.

A "+1" counts once per *supporter*, and the supporter is named by something the client
does not control (never a cookie, which a visitor drops to count again):

- a signed-in resident with a verified account: ``account:<user id>``;
- anyone else: the e-mail address they give, counted only once they open the link of the
  confirmation e-mail (``reports.services.confirmations``). The identity is then
  ``email:<day the report was filed>:<normal form of the address>``.

Only ``supporter_fingerprint(identity)`` is stored: HMAC-SHA256 keyed by the
installation's ``SECRET_KEY``. The report's filing day is a salt that changes from one
day's reports to the next, so the fingerprints of one address on reports of different
days do not match (no profile of a supporter across reports), while one address counts
once on one report. No address is stored for a "+1"; the address of a supporter who asks
to *follow* the report is kept on the support (as before), with the time it was confirmed.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from territoire.core.actions import action
from territoire.core.emails import normalise_email
from territoire.core.mail import send_later
from territoire.reports.models import (
    VERSION_KEY,
    EventKind,
    Report,
    ReportEvent,
    Support,
)
from territoire.reports.services.errors import FieldError, ReportError
from territoire.reports.services.history import record_event


def supporter_fingerprint(identity: str) -> str:
    """A keyed hash of what identifies a supporter (see the module doc): nothing stored in clear."""
    return hmac.new(
        settings.SECRET_KEY.encode(), identity.strip().lower().encode(), hashlib.sha256
    ).hexdigest()


def account_identity(user: Any) -> str:
    return f"account:{user.pk}"


def email_identity(report: Report, normal_email: str) -> str:
    """The identity of a supporter known by a confirmed address (salted by the filing day)."""
    day = timezone.localdate(report.requested_at).isoformat()
    return f"email:{day}:{normal_email}"


def verified_resident(user: Any) -> bool:
    """A signed-in resident whose account's address is verified (participation's account)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "is_staff", False):
        return False
    participant = getattr(user, "participant", None)
    return getattr(participant, "email_verified_at", None) is not None


def support_report(
    report: Report,
    identity: str,
    *,
    email: str | None = None,
    email_confirmed: bool = False,
    ip_address: str | None = None,
) -> bool:
    """Add a "+1" from ``identity`` (hashed); idempotent. Returns True if it was new.

    Callers pass an identity the client does not control (``account_identity``, or
    ``email_identity`` once the address is confirmed). ``email`` (optional) makes the
    supporter a follower of the report; it is e-mailed only when ``email_confirmed``.
    Giving it on a second "+1" from the same supporter adds it to the existing support
    (the "+1" itself is not counted twice).
    """
    if not identity.strip():
        raise ReportError(FieldError("identity", _("Soutien anonyme impossible.")))
    email = (email or "").strip()
    if email:
        try:
            email = normalise_email(email)
            if len(email) > 254:
                raise DjangoValidationError("too long")
        except DjangoValidationError:
            raise ReportError(FieldError("email", _("Adresse e-mail invalide."))) from None
    confirmed_at = timezone.now() if email and email_confirmed else None
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
            if email and (existing.email != email or (confirmed_at and not existing.email_confirmed_at)):
                existing.email = email
                existing.email_confirmed_at = confirmed_at
                existing.save(update_fields=["email", "email_confirmed_at"])
            return False
        try:
            with transaction.atomic():
                Support.objects.create(
                    report_id=report.pk, fingerprint=fingerprint, email=email, email_confirmed_at=confirmed_at
                )
        except IntegrityError:  # the same supporter, at the same instant
            act.audited, act.versions = False, ()
            return False
        Report.objects.filter(pk=report.pk).update(supporters_count=F("supporters_count") + 1)
        record_event(report, EventKind.SUPPORT, is_public=True)
    report.refresh_from_db(fields=["supporters_count"])
    return True


def support_as_resident(report: Report, user: Any, *, follow: bool, ip_address: str | None = None) -> bool:
    """A verified resident's "+1", counted at once (their address is already confirmed)."""
    if not verified_resident(user):
        raise ReportError(FieldError("identity", _("Connectez-vous avec un compte confirmé.")))
    return support_report(
        report,
        account_identity(user),
        email=user.email if follow else None,
        email_confirmed=True,
        ip_address=ip_address,
    )


def followers_of(report: Report | int) -> list[str]:
    """The confirmed e-mail addresses of the report's followers; personal data."""
    report_id = report if isinstance(report, int) else report.pk
    return sorted(
        set(
            Support.objects.filter(report_id=report_id, email_confirmed_at__isnull=False)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def notify_followers(report_id: int, event_id: int) -> int:
    """Queue the news of ``event_id`` for the report's confirmed followers, one message each.

    Each follower gets their own message (no one sees another's address); the task queue
    sends them (``core.mail``). Failures are logged, never raised. Returns the number of
    messages queued.
    """
    import logging

    from django.utils import translation

    from territoire.reports import notifications

    try:
        report = Report.objects.select_related("category", "status", "commune").filter(pk=report_id).first()
        event = (
            ReportEvent.objects.select_related("to_status").filter(pk=event_id, report_id=report_id).first()
        )
        if report is None or event is None or report.hidden:
            return 0
        reporter = report.email.lower() if report.email_confirmed_at else ""
        recipients = [e for e in followers_of(report_id) if e.lower() != reporter]
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
        return send_later(subject, "\n".join(lines), recipients)
    except Exception:
        logging.getLogger(__name__).exception("reports: notification of followers of %s failed", report_id)
        return 0
