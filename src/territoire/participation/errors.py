"""The one error the participation services raise: a French message and the field."""

from __future__ import annotations


class ParticipationError(Exception):
    """Refused input or action. ``message`` is shown to the person; ``field`` names the
    form field (or "" for the whole form); ``status`` is the HTTP status a view answers."""

    def __init__(self, message: str, *, field: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.status = status

    def __str__(self) -> str:
        return self.message
