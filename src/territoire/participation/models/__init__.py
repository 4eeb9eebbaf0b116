"""Citizen participation: participants, consultations, participatory budgets, moderation.

Invariants live in the database: one response per participant and consultation, one
ballot per participant and envelope (online ballots; paper and imported ballots carry no
participant), one proposal per ballot item, one published result per envelope. Census
entries hold only keyed hashes (HMAC-SHA256) of the identifying fields, never clear text.

One module per area (``participants``, ``eligibility``, ``consultations``, ``budgets``,
``moderation``); every name is re-exported here, where Django finds the models.
"""

from territoire.participation.models.budgets import (
    PHASE_ORDER,
    Ballot,
    BallotItem,
    BallotKind,
    BallotMethod,
    BudgetCategory,
    BudgetPhase,
    Envelope,
    ParticipatoryBudget,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    ResultRule,
    Satisfaction,
)
from territoire.participation.models.consultations import (
    Answer,
    Consultation,
    ModerationStatus,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
)
from territoire.participation.models.eligibility import (
    EligibilityRules,
    Residence,
)
from territoire.participation.models.moderation import (
    AbuseReport,
    AbuseReportStatus,
)
from territoire.participation.models.participants import (
    VERSION_KEY,
    AgeBand,
    CensusAttempt,
    CensusEntry,
    CensusKey,
    Gender,
    Participant,
    ReferenceAttribute,
    ReferencePopulation,
    age_band_for,
)

__all__ = [
    "PHASE_ORDER",
    "VERSION_KEY",
    "AbuseReport",
    "AbuseReportStatus",
    "AgeBand",
    "Answer",
    "Ballot",
    "BallotItem",
    "BallotKind",
    "BallotMethod",
    "BudgetCategory",
    "BudgetPhase",
    "CensusAttempt",
    "CensusEntry",
    "CensusKey",
    "Consultation",
    "EligibilityRules",
    "Envelope",
    "Gender",
    "ModerationStatus",
    "Participant",
    "ParticipatoryBudget",
    "PhaseKind",
    "Proposal",
    "ProposalStatus",
    "Question",
    "QuestionKind",
    "QuestionOption",
    "ReferenceAttribute",
    "ReferencePopulation",
    "Residence",
    "Response",
    "Result",
    "ResultRule",
    "Satisfaction",
    "age_band_for",
]
