"""Reads of the participation module for pages, API, exports and indicators.

Public reads never return personal data: no participant, e-mail or voter identity.
Query counts are bounded whatever the number of proposals or ballots (aggregates in the
database, pagination, ``select_related``).

What is suppressed (counts from 1 to k − 1, k = ``core.disclosure.threshold()``):

- consultation results: every count of respondents (per option, per value, per rank,
  per profile), with complementary suppression against published totals;
- engagement analytics: participants per zone and per profile, contributions and votes
  per theme;
- NOT the vote counts of a budget's published result (see ``selectors.budgets``).

One module per area (``budgets``, ``consultations``, ``moderation``, ``engagement``,
``participants``); the names are re-exported here, so callers write
``selectors.consultation_results(...)``.
"""

from territoire.participation.selectors.budgets import (
    PROPOSALS_PER_PAGE,
    EnvelopeDashboard,
    EnvelopeResults,
    PublicProposal,
    ResultRow,
    ballot_by_receipt,
    ballot_of,
    ballot_proposals,
    ballots_of,
    budget_dashboard,
    budget_results,
    current_phase,
    envelope_results,
    has_voted,
    online_ballot,
    phase_windows,
    phases_of,
    proposals_page,
    proposals_queryset,
    public_budget,
    public_budgets,
    public_envelope,
    public_proposal,
    published_proposal,
    published_result,
    results_published,
    results_to_review,
    votable_proposals,
    voting_closed,
)
from territoire.participation.selectors.consultations import (
    ConsultationResults,
    OptionCount,
    QuestionResult,
    consultation_results,
    my_response,
    public_consultation,
    public_consultations,
    unanswered_consultations,
)
from territoire.participation.selectors.engagement import (
    Analytics,
    active_participants,
    age_profile,
    engagement_analytics,
    reference_profile,
    theme_counts,
    zone_participation_counts,
)
from territoire.participation.selectors.moderation import answers_to_moderate, open_reports
from territoire.participation.selectors.participants import Activity, participant_activity

__all__ = [
    "PROPOSALS_PER_PAGE",
    "Activity",
    "Analytics",
    "ConsultationResults",
    "EnvelopeDashboard",
    "EnvelopeResults",
    "OptionCount",
    "PublicProposal",
    "QuestionResult",
    "ResultRow",
    "active_participants",
    "age_profile",
    "answers_to_moderate",
    "ballot_by_receipt",
    "ballot_of",
    "ballot_proposals",
    "ballots_of",
    "budget_dashboard",
    "budget_results",
    "consultation_results",
    "current_phase",
    "engagement_analytics",
    "envelope_results",
    "has_voted",
    "my_response",
    "online_ballot",
    "open_reports",
    "participant_activity",
    "phase_windows",
    "phases_of",
    "proposals_page",
    "proposals_queryset",
    "public_budget",
    "public_budgets",
    "public_consultation",
    "public_consultations",
    "public_envelope",
    "public_proposal",
    "published_proposal",
    "published_result",
    "reference_profile",
    "results_published",
    "results_to_review",
    "theme_counts",
    "unanswered_consultations",
    "votable_proposals",
    "voting_closed",
    "zone_participation_counts",
]
