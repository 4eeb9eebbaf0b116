"""Back-office of citizen participation, scoped per organisation (territory.scoped_admin).

Decisions that carry rules (review, estimate, results, moderation) go through the
services, from admin actions or ``save_model``; a refusal is shown as an error message
and nothing is saved. Participants and census entries are not in the back-office
(personal data; census entries are only hashes anyway).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline

from territoire.core.admin import ReadOnlyAdminMixin
from territoire.participation import services
from territoire.participation.errors import ParticipationError
from territoire.participation.models import (
    AbuseReport,
    Answer,
    Ballot,
    BallotMethod,
    BudgetCategory,
    BudgetPhase,
    Consultation,
    Envelope,
    ModerationStatus,
    ParticipatoryBudget,
    Proposal,
    ProposalStatus,
    Question,
    QuestionOption,
    ReferencePopulation,
    Result,
)
from territoire.participation.permissions import can_manage
from territoire.territory.models import Organisation
from territoire.territory.scoped_admin import OrganisationScopedAdmin

DEFAULT_HIDE_REASON = _("Contenu contraire à la charte de la participation.")


def _can_manage_org(user: Any, organisation: Organisation | int) -> bool:
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return can_manage(user, org_id)


class ParticipationAdmin(OrganisationScopedAdmin):
    edit_check = staticmethod(_can_manage_org)

    def _run(self, request: HttpRequest, action: Any, *args: Any, **kwargs: Any) -> bool:
        try:
            action(*args, **kwargs)
        except ParticipationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        return True


class PhaseInline(admin.TabularInline):
    model = BudgetPhase
    extra = 0


class EnvelopeInline(TranslationTabularInline):
    model = Envelope
    extra = 0
    fields = ["code", "name", "zone", "amount"]


class CategoryInline(TranslationTabularInline):
    model = BudgetCategory
    extra = 0


@admin.register(ParticipatoryBudget)
class ParticipatoryBudgetAdmin(TranslationAdmin, ParticipationAdmin):
    commune_path = "commune"
    list_display = ["title", "year", "ballot_kind", "rule", "published_at", "organisation"]
    list_filter = ["organisation", "year", "ballot_kind", "rule"]
    search_fields = ["title"]
    inlines = [PhaseInline, EnvelopeInline, CategoryInline]
    readonly_fields = ["imported_from", "pabulib_meta"]
    actions = ["compute_results", "implement_winners"]

    @admin.action(description=_("Calculer les résultats de chaque enveloppe (sans publier)"))
    def compute_results(self, request: HttpRequest, queryset: QuerySet[ParticipatoryBudget]) -> None:
        done = 0
        for budget in queryset:
            for envelope in budget.envelopes.all():
                done += self._run(request, services.compute_results, envelope, actor=request.user)
        if done:
            self.message_user(
                request, _("%(n)s résultat(s) calculé(s), à vérifier puis publier.") % {"n": done}
            )

    @admin.action(description=_("Inscrire les lauréats à la feuille de route"))
    def implement_winners(self, request: HttpRequest, queryset: QuerySet[ParticipatoryBudget]) -> None:
        created = 0
        for budget in queryset:
            for envelope in budget.envelopes.all():
                try:
                    created += len(services.implement_winners(envelope, actor=request.user))
                except ParticipationError as exc:
                    self.message_user(request, f"{envelope}: {exc.message}", messages.WARNING)
        self.message_user(request, _("%(n)s projet(s) créé(s) dans la feuille de route.") % {"n": created})


@admin.register(Proposal)
class ProposalAdmin(ParticipationAdmin):
    organisation_path = "budget__organisation"
    commune_path = "budget__commune"
    list_display = ["external_id", "title", "envelope", "status", "estimated_cost", "selected", "hidden_at"]
    list_filter = ["status", "selected", "budget"]
    list_select_related = ["envelope", "envelope__budget"]
    search_fields = ["title", "external_id"]
    readonly_fields = ["author", "reviewed_at", "estimated_at", "selected", "roadmap_project", "hidden_at"]
    actions = ["mark_eligible", "reject_with_reason"]

    def save_model(self, request: HttpRequest, obj: Proposal, form: Any, change: bool) -> None:
        """Status and estimate go through the services (rules, audit trail)."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        before = Proposal.objects.get(pk=obj.pk)
        status, reason, cost = obj.status, obj.public_reason, obj.estimated_cost
        changed = set(form.changed_data)
        other = changed - {"status", "public_reason", "estimated_cost"}
        if other:
            for name in ("status", "public_reason", "estimated_cost"):
                setattr(obj, name, getattr(before, name))
            super().save_model(request, obj, form, change)
        if {"status", "public_reason"} & changed and status != ProposalStatus.SUBMITTED:
            self._run(
                request,
                services.review_proposal,
                before,
                eligible=status == ProposalStatus.ELIGIBLE,
                reason=reason,
                actor=request.user,
            )
            before.refresh_from_db()
        if "estimated_cost" in changed and cost is not None:
            self._run(request, services.estimate_cost, before, cost=int(cost), actor=request.user)

    @admin.action(description=_("Déclarer recevables"))
    def mark_eligible(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        for proposal in queryset:
            self._run(request, services.review_proposal, proposal, eligible=True, actor=request.user)

    @admin.action(description=_("Déclarer non recevables (avec la réponse motivée déjà saisie)"))
    def reject_with_reason(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        for proposal in queryset:
            self._run(
                request,
                services.review_proposal,
                proposal,
                eligible=False,
                reason=proposal.public_reason,
                actor=request.user,
            )


@admin.register(Ballot)
class PaperBallotAdmin(ReadOnlyAdminMixin, ParticipationAdmin):
    """Paper ballots entered by staff (read-only here; entered on the staff page)."""

    organisation_path = "envelope__budget__organisation"
    commune_path = "envelope__budget__commune"
    list_display = ["public_id", "envelope", "entered_by", "created_at"]
    list_filter = ["envelope__budget"]
    list_select_related = ["envelope", "envelope__budget", "entered_by"]
    fields = ["envelope", "method", "entered_by", "voter_zone", "created_at"]
    readonly_fields = ["envelope", "method", "entered_by", "voter_zone", "created_at"]
    actions = ["delete_paper_ballots"]
    allow_change = True  # the page of a ballot, and its deletion through the action (audited)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ballot]:
        return super().get_queryset(request).filter(method=BallotMethod.PAPER)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Supprimer les bulletins papier saisis par erreur"))
    def delete_paper_ballots(self, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
        for ballot in queryset:
            self._run(request, services.delete_paper_ballot, ballot, actor=request.user)


@admin.register(Result)
class ResultAdmin(ReadOnlyAdminMixin, ParticipationAdmin):
    organisation_path = "envelope__budget__organisation"
    commune_path = "envelope__budget__commune"
    list_display = [
        "envelope",
        "rule",
        "satisfaction",
        "ballot_count",
        "total_cost",
        "computed_at",
        "published_at",
    ]
    list_filter = ["rule", "envelope__budget"]
    list_select_related = ["envelope", "envelope__budget"]
    readonly_fields = [f.name for f in Result._meta.fields]
    actions = ["publish"]
    allow_change = True  # the publish action
    allow_delete = True

    @admin.action(description=_("Publier ce résultat"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Result]) -> None:
        for result in queryset:
            if self._run(request, services.publish_results, result, actor=request.user):
                self.message_user(request, _("Résultat publié : %(r)s") % {"r": result})


class OptionInline(TranslationTabularInline):
    model = QuestionOption
    extra = 0


class QuestionInline(TranslationStackedInline):
    model = Question
    extra = 0
    show_change_link = True


@admin.register(Consultation)
class ConsultationAdmin(TranslationAdmin, ParticipationAdmin):
    commune_path = "commune"
    list_display = ["title", "theme", "opens_at", "closes_at", "published_at", "answered_at"]
    list_filter = ["organisation", "theme"]
    search_fields = ["title"]
    inlines = [QuestionInline]
    filter_horizontal = ["roadmap_projects", "roadmap_decisions"]
    readonly_fields = ["answered_at", "answered_by", "results_published_at"]
    actions = ["publish_results", "publish_answer"]

    @admin.action(description=_("Publier les résultats (après clôture)"))
    def publish_results(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        for consultation in queryset:
            self._run(request, services.publish_consultation_results, consultation, actor=request.user)

    @admin.action(description=_("Publier la réponse argumentée déjà saisie"))
    def publish_answer(self, request: HttpRequest, queryset: QuerySet[Consultation]) -> None:
        for c in queryset:
            self._run(
                request,
                services.publish_consultation_answer,
                c,
                answer_text=c.answer_text,
                decision_text=c.decision_text,
                projects=list(c.roadmap_projects.all()),
                decisions=list(c.roadmap_decisions.all()),
                actor=request.user,
            )


@admin.register(Question)
class QuestionAdmin(TranslationAdmin, ParticipationAdmin):
    organisation_path = "consultation__organisation"
    commune_path = "consultation__commune"
    list_display = ["text", "consultation", "kind", "position"]
    list_select_related = ["consultation"]
    inlines = [OptionInline]


@admin.register(Answer)
class FreeTextModerationAdmin(ReadOnlyAdminMixin, ParticipationAdmin):
    """Free-text answers to moderate before publication."""

    organisation_path = "response__consultation__organisation"
    commune_path = "response__consultation__commune"
    list_display = ["pk", "question", "moderation", "text", "hidden_reason"]
    list_filter = ["moderation"]
    list_select_related = ["question"]
    fields = ["question", "text", "moderation", "hidden_reason", "moderated_at"]
    readonly_fields = ["question", "text", "moderation", "hidden_reason", "moderated_at"]
    actions = ["publish_texts", "hide_texts"]
    allow_change = True  # the moderation actions; hidden content stays (audit trail)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return super().get_queryset(request).filter(question__kind="text")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Publier"))
    def publish_texts(self, request: HttpRequest, queryset: QuerySet[Answer]) -> None:
        for answer in queryset.select_related("response__consultation", "question"):
            self._run(request, services.moderate_answer, answer, publish=True, actor=request.user)

    @admin.action(description=_("Masquer (motif : contraire à la charte)"))
    def hide_texts(self, request: HttpRequest, queryset: QuerySet[Answer]) -> None:
        for answer in queryset.select_related("response__consultation", "question"):
            if answer.moderation != ModerationStatus.HIDDEN:
                self._run(
                    request,
                    services.moderate_answer,
                    answer,
                    publish=False,
                    reason=str(DEFAULT_HIDE_REASON),
                    actor=request.user,
                )


@admin.register(AbuseReport)
class AbuseReportAdmin(ReadOnlyAdminMixin, ParticipationAdmin):
    organisation_path = "proposal__budget__organisation"
    list_display = ["created_at", "reason", "proposal", "answer", "status"]
    list_filter = ["status"]
    fields = ["reason", "proposal", "answer", "status", "handled_at", "handled_by"]
    readonly_fields = ["reason", "proposal", "answer", "status", "handled_at", "handled_by"]
    actions = ["uphold", "dismiss"]
    allow_change = True  # the moderation actions

    def reach_paths(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # Reports of free-text answers reach their organisation through the consultation.
        return (
            ("proposal__budget__organisation", "answer__response__consultation__organisation"),
            ("proposal__budget__commune", "answer__response__consultation__commune"),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[AbuseReport]:
        return super().get_queryset(request).select_related("proposal", "answer")

    def _organisation_id(self, obj: Model) -> int | None:
        report: Any = obj
        if report.proposal_id:
            return int(report.proposal.budget.organisation_id)
        return int(report.answer.response.consultation.organisation_id)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Retenir : masquer le contenu (motif : contraire à la charte)"))
    def uphold(self, request: HttpRequest, queryset: QuerySet[AbuseReport]) -> None:
        for report in queryset:
            self._run(
                request,
                services.hide_contribution,
                proposal=report.proposal,
                answer=report.answer,
                reason=str(DEFAULT_HIDE_REASON),
                actor=request.user,
            )

    @admin.action(description=_("Écarter le signalement"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[AbuseReport]) -> None:
        for report in queryset:
            self._run(request, services.dismiss_report, report, actor=request.user)


@admin.register(ReferencePopulation)
class ReferencePopulationAdmin(ParticipationAdmin):
    organisation_path = "commune__organisation"
    commune_path = "commune"
    list_display = ["commune", "zone", "attribute", "category", "count", "year"]
    list_filter = ["attribute", "commune"]
    list_select_related = ["commune", "zone"]
