"""Moderation: residents' reports of abuse on proposals and free-text answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.participation.models.budgets import Proposal
from territoire.participation.models.consultations import Answer
from territoire.participation.models.participants import Participant


class AbuseReportStatus(models.TextChoices):
    OPEN = "open", _("à traiter")
    UPHELD = "upheld", _("retenu (contenu masqué)")
    DISMISSED = "dismissed", _("écarté")


class AbuseReport(TimeStampedModel):
    """A participant's report of a proposal or a free-text answer. One per reporter and
    contribution, so that one person cannot trigger the automatic hiding alone."""

    reporter = models.ForeignKey(
        Participant, verbose_name=_("signalé par"), on_delete=models.CASCADE, related_name="abuse_reports"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="abuse_reports"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="abuse_reports"
    )
    reason = models.CharField(_("motif"), max_length=500)
    status = models.CharField(
        _("statut"), max_length=10, choices=AbuseReportStatus.choices, default=AbuseReportStatus.OPEN
    )
    # The report whose count hid the contribution automatically: the queue shows it, so
    # that staff review every automatic hiding.
    caused_hiding = models.BooleanField(_("a déclenché le masquage automatique"), default=False)
    handled_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("signalement d'abus")
        verbose_name_plural = _("signalements d'abus")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False, answer__isnull=True)
                | Q(proposal__isnull=True, answer__isnull=False),
                name="abuse_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=Q(proposal__isnull=False),
                name="abuse_report_once_proposal",
            ),
            models.UniqueConstraint(
                fields=["reporter", "answer"],
                condition=Q(answer__isnull=False),
                name="abuse_report_once_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"report #{self.pk}"
