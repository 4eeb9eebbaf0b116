"""Errors of the reports services: one ``FieldError`` per problem, raised together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class FieldError:
    """One problem with a submission: the field (Open311 name), a French message, a code.

    ``code`` is the HTTP status the Open311 server answers with (400 bad input, 403 bad
    API key, 404 unknown jurisdiction or service). ``reason`` names the kind of problem
    (``no_location``, ``commune_needed``…) so that a page for residents can word it for a
    person, while the Open311 API keeps ``message``, which names its parameters.
    """

    field: str
    message: str
    code: int = 400
    reason: str = ""


class ReportError(ValueError):
    """Bad input: one or more ``FieldError``; nothing has been written."""

    def __init__(self, errors: FieldError | Sequence[FieldError]) -> None:
        self.errors: list[FieldError] = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    @property
    def status(self) -> int:
        """The HTTP status for the whole answer: the most serious of the errors' codes."""
        codes = {e.code for e in self.errors}
        for code in (403, 404):
            if code in codes:
                return code
        return 400

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field, []).append(e.message)
        return out


class ReportNotFound(Http404):
    """The object does not exist or is outside the caller's reach (never reveal which)."""


class ReportForbidden(PermissionDenied):
    """The caller can see the object but may not do this to it (e.g. an élu closing a report)."""
