"""Consultations: questions, options, one response per participant, answers (free texts
moderated)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from territoire.core.models import TimeStampedModel
from territoire.participation.models.eligibility import EligibilityRules
from territoire.participation.models.participants import Participant


class Consultation(TimeStampedModel, EligibilityRules):
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("présentation"), blank=True)
    theme = models.CharField(_("thème"), max_length=100, blank=True)
    opens_at = models.DateTimeField(_("ouverture"))
    closes_at = models.DateTimeField(_("clôture"))
    published_at = models.DateTimeField(
        _("publiée le"), null=True, blank=True, help_text=_("Vide : brouillon, invisible du public.")
    )
    results_published_at = models.DateTimeField(_("résultats publiés le"), null=True, blank=True)
    suppression_k = models.PositiveSmallIntegerField(
        _("seuil de secret (k)"),
        null=True,
        blank=True,
        help_text=_("Vide : seuil par défaut de la plateforme."),
    )
    answer_text = models.TextField(_("réponse argumentée de la collectivité"), blank=True)
    decision_text = models.TextField(_("décision prise"), blank=True)
    answered_at = models.DateTimeField(_("réponse publiée le"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roadmap_projects = models.ManyToManyField(
        "roadmap.Project", verbose_name=_("projets de la feuille de route"), blank=True, related_name="+"
    )
    roadmap_decisions = models.ManyToManyField(
        "roadmap.Decision", verbose_name=_("décisions"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-opens_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="consultation_dates_order"),
        ]
        indexes = [models.Index(fields=["organisation", "opens_at"], name="consultation_org_opens")]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.published_at is not None and self.opens_at <= now < self.closes_at

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.closes_at


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("choix unique")
    MULTIPLE = "multiple", _("choix multiple")
    RANKING = "ranking", _("classement")
    SCALE = "scale", _("échelle")
    TEXT = "text", _("texte libre")


class Question(models.Model):
    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("aide"), max_length=500, blank=True)
    required = models.BooleanField(_("réponse obligatoire"), default=False)
    max_choices = models.PositiveSmallIntegerField(_("nombre maximal de choix"), null=True, blank=True)
    scale_min = models.SmallIntegerField(_("échelle : minimum"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("échelle : maximum"), null=True, blank=True)
    scale_min_label = models.CharField(_("libellé du minimum"), max_length=100, blank=True)
    scale_max_label = models.CharField(_("libellé du maximum"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["consultation", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="scale")
                | Q(scale_min__isnull=False, scale_max__isnull=False, scale_max__gt=F("scale_min")),
                name="question_scale_bounds",
            )
        ]

    def __str__(self) -> str:
        return self.text


class QuestionOption(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="options"
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    label = models.CharField(_("libellé"), max_length=300)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "position", "pk"]

    def __str__(self) -> str:
        return self.label


class Response(TimeStampedModel):
    """One participant's response to a consultation; edited in place until closing."""

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.CASCADE, related_name="responses"
    )
    participant = models.ForeignKey(
        Participant, verbose_name=_("participant"), on_delete=models.CASCADE, related_name="responses"
    )

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "participant"], name="response_one_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"response #{self.pk}"


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("en attente de modération")
    PUBLISHED = "published", _("publié")
    HIDDEN = "hidden", _("masqué")


class Answer(models.Model):
    """One answer to one question: one row per chosen option (ranking: with its rank),
    or one row with a value (scale) or a text (free text)."""

    response = models.ForeignKey(
        Response, verbose_name=_("réponse"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    option = models.ForeignKey(
        QuestionOption,
        verbose_name=_("option"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
    )
    rank = models.PositiveSmallIntegerField(_("rang"), null=True, blank=True)
    value = models.SmallIntegerField(_("valeur"), null=True, blank=True)
    text = models.TextField(_("texte"), blank=True)
    moderation = models.CharField(
        _("modération"), max_length=10, choices=ModerationStatus.choices, blank=True
    )
    hidden_reason = models.CharField(_("motif public du masquage"), max_length=500, blank=True)
    hidden_at = models.DateTimeField(_("masqué le"), null=True, blank=True)
    moderated_at = models.DateTimeField(_("modéré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réponse à une question")
        verbose_name_plural = _("réponses aux questions")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "option"],
                condition=Q(option__isnull=False),
                name="answer_unique_option",
            ),
            models.UniqueConstraint(
                fields=["response", "question"],
                condition=Q(option__isnull=True),
                name="answer_unique_value",
            ),
            models.CheckConstraint(
                condition=~Q(moderation="hidden") | ~Q(hidden_reason=""), name="answer_hidden_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"answer #{self.pk}"
