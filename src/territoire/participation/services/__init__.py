"""Writes of the participation module (all of them): validation at the edge, then one
``core.actions.action`` (one transaction, the audit trail, the data versions). Errors are
``ParticipationError`` (French message, field, HTTP status). Reads (phases, the ballot's
proposals, results) are in ``participation.selectors``."""

from territoire.participation.census import import_census, release_census_entry, verify_census
from territoire.participation.eligibility import check_eligibility
from territoire.participation.errors import ParticipationError
from territoire.participation.services.ballots import (
    cast_ballot,
    delete_paper_ballot,
    enter_paper_ballot,
    validate_ballot,
    withdraw_ballot,
)
from territoire.participation.services.budgets import (
    add_category,
    add_envelope,
    create_budget,
    estimate_cost,
    review_proposal,
    set_phase,
    submit_proposal,
)
from territoire.participation.services.consultations import (
    add_question,
    create_consultation,
    moderate_answer,
    publish_consultation_answer,
    publish_consultation_results,
    submit_response,
)
from territoire.participation.services.moderation import (
    auto_hide_threshold,
    dismiss_report,
    hide_contribution,
    independent_reporters,
    is_candidate,
    report_abuse,
    restore_contribution,
)
from territoire.participation.services.pabulib import import_pabulib
from territoire.participation.services.participants import (
    email_verification_token,
    participant_for,
    register_participant,
    send_verification_email,
    update_profile,
    verify_email,
)
from territoire.participation.services.reference import set_reference_population
from territoire.participation.services.results import compute_results, implement_winners, publish_results

__all__ = [
    "ParticipationError",
    "add_category",
    "add_envelope",
    "add_question",
    "auto_hide_threshold",
    "cast_ballot",
    "check_eligibility",
    "compute_results",
    "create_budget",
    "create_consultation",
    "delete_paper_ballot",
    "dismiss_report",
    "email_verification_token",
    "enter_paper_ballot",
    "estimate_cost",
    "hide_contribution",
    "implement_winners",
    "import_census",
    "import_pabulib",
    "independent_reporters",
    "is_candidate",
    "moderate_answer",
    "participant_for",
    "publish_consultation_answer",
    "publish_consultation_results",
    "publish_results",
    "register_participant",
    "release_census_entry",
    "report_abuse",
    "restore_contribution",
    "review_proposal",
    "send_verification_email",
    "set_phase",
    "set_reference_population",
    "submit_proposal",
    "submit_response",
    "update_profile",
    "validate_ballot",
    "verify_census",
    "verify_email",
    "withdraw_ballot",
]
