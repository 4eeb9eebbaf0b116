"""The errors of the participation module: ``ParticipationError``, the one error its
services raise (a French message and the field), and ``PabulibError``, a Pabulib file
that cannot be read."""

from __future__ import annotations


class ParticipationError(Exception):
    """Refused input or action. ``message`` is shown to the person; ``field`` names the
    form field (or "" for the whole form); ``status`` is the HTTP status a view answers.
    ``messages`` lists every fault found when there are several (shown all at once);
    ``message`` is then all of them in one sentence."""

    def __init__(
        self, message: str = "", *, field: str = "", status: int = 422, messages: list[str] | None = None
    ) -> None:
        self.messages = [str(m) for m in messages] if messages else [str(message)]
        self.message = str(message) if message else " ".join(self.messages)
        super().__init__(self.message)
        self.field = field
        self.status = status

    def __str__(self) -> str:
        return self.message


class PabulibError(ValueError):
    """A Pabulib file that cannot be read; ``line`` is 1-based (None: the whole file)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line is not None else message)
