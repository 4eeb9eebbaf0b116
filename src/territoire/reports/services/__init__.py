"""Every write of the reports module: intake, triage, moderation, rounds, Open311 keys.

One module per part (``errors``, ``setup``, ``intake``, ``supports``, ``triage``,
``rounds``, ``api_keys``; ``history`` writes a report's events); the names callers use
are re-exported here.

Validation happens here, at the edge, for every entry point (web form, Open311, staff,
commands): a bad submission raises ``ReportError`` carrying one ``FieldError`` per
problem (field, French message, Open311/HTTP code) and nothing is written. Rights are
checked through ``permissions`` (built on ``territory.access``); a report outside the
caller's reach raises ``ReportNotFound`` (a 404). Each write is a ``core.actions.action``
(one transaction, the audit record, the reports pages' cache version) and records the
report's history (``ReportEvent``: who, when, what).
"""

from territoire.reports.services import (
    api_keys,
    errors,
    history,
    intake,
    references,
    rounds,
    setup,
    supports,
    triage,
)
from territoire.reports.services.api_keys import (
    LAST_USED_EVERY,
    MODULE,
    authenticate_api_key,
    create_api_key,
    open311_keys,
    revoke_api_key,
)
from territoire.reports.services.errors import (
    FieldError,
    ReportError,
    ReportForbidden,
    ReportNotFound,
)
from territoire.reports.services.history import (
    record_event,
)
from territoire.reports.services.intake import (
    ATTRIBUTE_STRING_MAX,
    ATTRIBUTE_TEXT_MAX,
    PERSONAL_FIELDS,
    PHONE_RE,
    TEXT_LIMITS,
    CleanSubmission,
    attach_photo,
    parse_date_param,
    process_queue,
    submit_open311,
    submit_report,
    validate_submission,
)
from territoire.reports.services.rounds import (
    plan_round,
)
from territoire.reports.services.setup import (
    AttributeSpec,
    ensure_default_statuses,
    initial_status,
    on_organisation_created,
    save_category,
    save_crew,
    update_status,
)
from territoire.reports.services.supports import (
    followers_of,
    notify_followers,
    support_as_resident,
    support_report,
    supporter_fingerprint,
    verified_resident,
)
from territoire.reports.services.triage import (
    add_answer,
    assign_crew,
    change_category,
    change_status,
    hide_report,
    merge_duplicate,
    redact_photo,
    unhide_report,
)

__all__ = [
    "ATTRIBUTE_STRING_MAX",
    "ATTRIBUTE_TEXT_MAX",
    "LAST_USED_EVERY",
    "MODULE",
    "PERSONAL_FIELDS",
    "PHONE_RE",
    "TEXT_LIMITS",
    "AttributeSpec",
    "CleanSubmission",
    "FieldError",
    "ReportError",
    "ReportForbidden",
    "ReportNotFound",
    "add_answer",
    "api_keys",
    "assign_crew",
    "attach_photo",
    "authenticate_api_key",
    "change_category",
    "change_status",
    "create_api_key",
    "ensure_default_statuses",
    "errors",
    "followers_of",
    "hide_report",
    "history",
    "initial_status",
    "intake",
    "merge_duplicate",
    "notify_followers",
    "on_organisation_created",
    "open311_keys",
    "parse_date_param",
    "plan_round",
    "process_queue",
    "record_event",
    "redact_photo",
    "references",
    "revoke_api_key",
    "rounds",
    "save_category",
    "save_crew",
    "setup",
    "submit_open311",
    "submit_report",
    "support_as_resident",
    "support_report",
    "supporter_fingerprint",
    "supports",
    "triage",
    "unhide_report",
    "update_status",
    "validate_submission",
    "verified_resident",
]
